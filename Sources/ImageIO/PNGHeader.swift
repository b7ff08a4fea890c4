// Reads a PNG's signature and IHDR chunk by hand, so size limits are checked before libpng
// (or anything else) allocates for the image. PNG spec: https://www.w3.org/TR/png-3/#11IHDR

/// The facts in a PNG's IHDR chunk.
struct PNGHeader: Equatable {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    var width: Int
    var height: Int
    var bitDepth: Int
    var colorType: Int
    var interlaced: Bool

    var colorTypeName: String {
        switch colorType {
        case 0: "gray"
        case 2: "rgb"
        case 3: "palette"
        case 4: "gray+alpha"
        case 6: "rgba"
        default: "unknown(\(colorType))"
        }
    }

    /// Parses the header of `bytes`, which must start with the PNG signature.
    static func parse(_ bytes: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError) -> PNGHeader {
        // signature (8) + length (4) + "IHDR" (4) + 13 data bytes + CRC (4)
        guard bytes.count >= 33 else {
            throw ImageDecodeError(file: file, reason: .truncated("file ends inside the PNG header (\(bytes.count) bytes)"))
        }
        func be32(_ offset: Int) -> Int {
            Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
        }
        let isIHDR = bytes[12] == 0x49 && bytes[13] == 0x48 && bytes[14] == 0x44 && bytes[15] == 0x52
        guard be32(8) == 13, isIHDR else {
            throw ImageDecodeError(file: file, reason: .corrupt("first PNG chunk is not a valid IHDR"))
        }
        let header = PNGHeader(
            width: be32(16), height: be32(20), bitDepth: Int(bytes[24]), colorType: Int(bytes[25]),
            interlaced: bytes[28] == 1)
        guard header.width < 1 << 31, header.height < 1 << 31 else {
            throw ImageDecodeError(file: file, reason: .corrupt("PNG dimensions exceed 2^31 − 1"))
        }
        let allowed: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard let depths = allowed[header.colorType] else {
            throw ImageDecodeError(file: file, reason: .corrupt("invalid PNG colour type \(header.colorType)"))
        }
        guard depths.contains(header.bitDepth) else {
            throw ImageDecodeError(
                file: file,
                reason: .unsupported("PNG bit depth \(header.bitDepth) with colour type \(header.colorTypeName)"))
        }
        guard bytes[28] <= 1 else {
            throw ImageDecodeError(file: file, reason: .corrupt("invalid PNG interlace method \(bytes[28])"))
        }
        return header
    }

    var info: ImageInfo {
        ImageInfo(
            format: .png, width: width, height: height, bitDepth: bitDepth, colorType: colorTypeName,
            interlaced: interlaced)
    }
}
