// Finds a JPEG's frame header (SOFn) by walking its markers: precision, size, components and
// whether it is progressive — facts TurboJPEG's header call does not all report.
// Marker layout: ITU-T T.81 (JPEG), Annex B.

struct JPEGFrame: Equatable {
    var width: Int
    var height: Int
    var precision: Int
    var components: Int
    var progressive: Bool
    var lossless: Bool
}

enum JPEGHeader {
    /// Walks the markers of `bytes` (starting with FF D8) until the first SOFn.
    static func frame(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError) -> JPEGFrame {
        var i = 2
        let n = bytes.count
        while true {
            // Skip to the next marker (fill bytes 0xFF are allowed before a marker code).
            guard i < n else { throw truncated(file) }
            guard bytes[i] == 0xFF else {
                throw ImageDecodeError(file: file, reason: .corrupt("JPEG marker expected at byte \(i)"))
            }
            while i < n && bytes[i] == 0xFF { i += 1 }
            guard i < n else { throw truncated(file) }
            let marker = bytes[i]
            i += 1
            if marker == 0x01 || (0xD0...0xD7).contains(marker) { continue }  // no length
            if marker == 0xD9 || marker == 0xDA {
                throw ImageDecodeError(file: file, reason: .corrupt("JPEG has no frame header before its image data"))
            }
            guard i + 2 <= n else { throw truncated(file) }
            let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
            guard length >= 2 else {
                throw ImageDecodeError(file: file, reason: .corrupt("JPEG segment with invalid length at byte \(i)"))
            }
            let isFrame = (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
            if isFrame {
                guard i + 8 <= n else { throw truncated(file) }
                return JPEGFrame(
                    width: Int(bytes[i + 5]) << 8 | Int(bytes[i + 6]),
                    height: Int(bytes[i + 3]) << 8 | Int(bytes[i + 4]),
                    precision: Int(bytes[i + 2]),
                    components: Int(bytes[i + 7]),
                    progressive: [0xC2, 0xC6, 0xCA, 0xCE].contains(marker),
                    lossless: [0xC3, 0xC7, 0xCB, 0xCF].contains(marker))
            }
            i += length
        }
    }

    private static func truncated(_ file: String) -> ImageDecodeError {
        ImageDecodeError(file: file, reason: .truncated("file ends before the JPEG frame header"))
    }
}
