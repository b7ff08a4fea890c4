// JPEG decoding through libjpeg-turbo's TurboJPEG API (baseline, progressive, grayscale, YCbCr).
// Colour JPEGs are decoded to RGB and then converted with Pillow's luma rounding (Luma.swift), so a
// scan preprocessed here matches one converted with Pillow; CMYK/YCCK (print colour) is refused.
import CTurboJPEG

enum JPEGDecoder {
    /// Header facts as far as they can be read, without judging them (for `cohort inspect`).
    static func describe(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError)
        -> (info: ImageInfo, frame: JPEGFrame, colorspace: Int32?, headerError: String?)
    {
        let frame = try JPEGHeader.frame(bytes, file: file)
        var info = ImageInfo(
            format: .jpeg, width: frame.width, height: frame.height, bitDepth: frame.precision,
            colorType: frame.components == 1 ? "gray" : frame.components == 4 ? "cmyk" : "ycbcr",
            interlaced: frame.progressive)
        guard let handle = tjInitDecompress() else {
            throw ImageDecodeError(file: file, reason: .unreadable("cannot create a TurboJPEG decompressor"))
        }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard tjDecompressHeader3(handle, base, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0
        else { return (info, frame, nil, errorString(handle)) }
        info.width = Int(width)
        info.height = Int(height)
        info.colorType = colorspaceName(colorspace)
        return (info, frame, colorspace, nil)
    }

    /// Reads the header facts; throws for unsupported variants and limit violations.
    static func info(_ bytes: UnsafeRawBufferPointer, file: String, limits: DecodeLimits) throws(ImageDecodeError)
        -> (ImageInfo, colorspace: Int32)
    {
        let (info, frame, colorspace, headerError) = try describe(bytes, file: file)
        try limits.check(width: info.width, height: info.height, file: file)
        if frame.lossless {
            throw ImageDecodeError(file: file, reason: .unsupported("lossless JPEG"))
        }
        if frame.precision != 8 {
            throw ImageDecodeError(file: file, reason: .unsupported("\(frame.precision)-bit JPEG (only 8-bit is read)"))
        }
        guard let colorspace else {
            throw ImageDecodeError(file: file, reason: .corrupt("JPEG header: \(headerError ?? "unreadable")"))
        }
        if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
            throw ImageDecodeError(
                file: file,
                reason: .unsupported("\(info.colorType.uppercased()) JPEG (print colour space); export the scan as grayscale or RGB"))
        }
        return (info, colorspace)
    }

    /// Decodes a whole JPEG held in memory to gray.
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String, limits: DecodeLimits) throws(ImageDecodeError)
        -> DecodedImage
    {
        let (info, colorspace) = try info(bytes, file: file, limits: limits)
        guard let handle = tjInitDecompress() else {
            throw ImageDecodeError(file: file, reason: .unreadable("cannot create a TurboJPEG decompressor"))
        }
        defer { tjDestroy(handle) }
        let gray = colorspace == Int32(TJCS_GRAY.rawValue)
        let channels = gray ? 1 : 3
        let format = gray ? Int32(TJPF_GRAY.rawValue) : Int32(TJPF_RGB.rawValue)
        let pixelCount = info.width * info.height
        var pixels = [UInt8](repeating: 0, count: pixelCount * channels)
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status = pixels.withUnsafeMutableBufferPointer {
            tjDecompress2(
                handle, base, UInt(bytes.count), $0.baseAddress, Int32(info.width), 0, Int32(info.height),
                format, 0)
        }
        if status != 0 {
            let message = errorString(handle)
            let fatal = tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue)
            // libjpeg reports a short file as a warning and pads the rest with gray: refuse it anyway.
            if message.contains("Premature end") || message.contains("premature end") {
                throw ImageDecodeError(file: file, reason: .truncated("JPEG data ends early (\(message))"))
            }
            if fatal {
                throw ImageDecodeError(file: file, reason: .corrupt("libjpeg-turbo: \(message)"))
            }
            // Other warnings (e.g. extraneous bytes before a marker) leave a complete image.
        }
        let samples = [UInt16](unsafeUninitializedCapacity: pixelCount) { out, count in
            pixels.withUnsafeBytes { raw in
                if gray {
                    for i in 0..<pixelCount { out[i] = UInt16(raw[i]) }
                } else {
                    Luma.fromRGB8(raw, pixelCount: pixelCount, into: out)
                }
            }
            count = pixelCount
        }
        return DecodedImage(
            info: info, image: GrayImage(width: info.width, height: info.height, bitDepth: 8, samples: samples),
            text: [])
    }

    private static func errorString(_ handle: tjhandle) -> String {
        guard let message = tjGetErrorStr2(handle) else { return "unknown error" }
        return String(cString: message)
    }

    private static func colorspaceName(_ colorspace: Int32) -> String {
        switch UInt32(colorspace) {
        case TJCS_GRAY.rawValue: "gray"
        case TJCS_RGB.rawValue: "rgb"
        case TJCS_YCbCr.rawValue: "ycbcr"
        case TJCS_CMYK.rawValue: "cmyk"
        case TJCS_YCCK.rawValue: "ycck"
        default: "unknown"
        }
    }
}
