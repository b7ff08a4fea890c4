// PNG decoding through libpng (all bit depths and colour types, interlaced or not) to GrayImage.
import CPNG

enum PNGDecoder {
    /// Refuses a file with a chunk whose declared length runs past the end of the file, before libpng
    /// sees it: libpng 1.6.39 allocates an ancillary chunk's declared length before reading it, whatever
    /// `png_set_chunk_malloc_max` says (measured: a 57-byte PNG declaring a 1 GiB zTXt chunk peaked at
    /// 1,049 MiB). The whole file is in memory, so no chunk can be longer than what is left of it.
    static func checkChunkLengths(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError) {
        var offset = 8  // after the signature
        while offset + 8 <= bytes.count {
            let length = (0..<4).reduce(0) { $0 << 8 | Int(bytes[offset + $1]) }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            guard length <= bytes.count - offset - 12 else {
                throw ImageDecodeError(
                    file: file,
                    reason: .truncated(
                        "chunk \(type) at byte \(offset) declares \(length) bytes, but only \(max(0, bytes.count - offset - 12)) remain"))
            }
            if type == "IEND" { return }
            offset += 12 + length
        }
    }

    /// Decodes a whole PNG held in memory. The header has already been checked against the limits.
    static func decode(_ bytes: UnsafeRawBufferPointer, header: PNGHeader, file: String) throws(ImageDecodeError)
        -> DecodedImage
    {
        try checkChunkLengths(bytes, file: file)
        var reader = cohort_png_reader()
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard cohort_png_reader_open(&reader, base, bytes.count) == 0 else {
            throw failure(&reader, file: file)
        }
        defer { cohort_png_reader_close(&reader) }
        guard cohort_png_reader_read_header(&reader) == 0 else { throw failure(&reader, file: file) }

        let width = Int(reader.width)
        let height = Int(reader.height)
        let channels = Int(reader.channels)
        let depth = Int(reader.bit_depth)
        guard width == header.width, height == header.height, channels == 1 || channels == 3,
            depth == 8 || depth == 16
        else {
            throw ImageDecodeError(
                file: file, reason: .unsupported("PNG decodes to \(channels) channels of \(depth) bits"))
        }
        var raw = [UInt8](repeating: 0, count: height * Int(reader.rowbytes))
        let status = raw.withUnsafeMutableBufferPointer { cohort_png_reader_read_pixels(&reader, $0.baseAddress!) }
        guard status == 0 else { throw failure(&reader, file: file) }

        let samples = [UInt16](unsafeUninitializedCapacity: width * height) { out, count in
            raw.withUnsafeBytes { rawBytes in
                switch (channels, depth) {
                case (1, 8):
                    for i in 0..<(width * height) { out[i] = UInt16(rawBytes[i]) }
                case (3, 8):
                    Luma.fromRGB8(rawBytes, pixelCount: width * height, into: out)
                case (1, _):
                    let wide = rawBytes.bindMemory(to: UInt16.self)
                    for i in 0..<(width * height) { out[i] = wide[i] }
                default:
                    let wide = rawBytes.bindMemory(to: UInt16.self)
                    for i in 0..<(width * height) {
                        out[i] = Luma.gray(UInt32(wide[3 * i]), UInt32(wide[3 * i + 1]), UInt32(wide[3 * i + 2]))
                    }
                }
            }
            count = width * height
        }
        return DecodedImage(
            info: header.info,
            image: GrayImage(width: width, height: height, bitDepth: depth, samples: samples),
            text: textChunks(&reader))
    }

    private static func textChunks(_ reader: inout cohort_png_reader) -> [(key: String, value: String)] {
        var entries: [(key: String, value: String)] = []
        for index in 0..<cohort_png_reader_text_count(&reader) {
            var key: UnsafePointer<CChar>?
            var value: UnsafePointer<CChar>?
            var length = 0
            cohort_png_reader_text_at(&reader, index, &key, &value, &length)
            guard let key, let value else { continue }
            let bytes = UnsafeRawBufferPointer(start: value, count: length)
            entries.append((String(cString: key), String(decoding: bytes, as: UTF8.self)))
        }
        return entries
    }

    private static func failure(_ reader: inout cohort_png_reader, file: String) -> ImageDecodeError {
        let message = withUnsafeBytes(of: &reader.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if reader.hit_eof != 0 || message.contains("Not enough image data") || message.contains("Read Error") {
            return ImageDecodeError(file: file, reason: .truncated("PNG data ends early (\(message))"))
        }
        return ImageDecodeError(file: file, reason: .corrupt("libpng: \(message)"))
    }
}
