// Bounds checked before memory is committed to a file, so a hostile or broken file cannot
// exhaust the daemon's memory (a 100 KB PNG may claim to be 100000×100000).

/// Limits applied to every decode. All are checked before any pixel buffer is allocated.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest accepted width × height. Default 64 megapixels.
    public var maxPixels: Int
    /// Largest accepted file size in bytes. Default 256 MiB.
    public var maxFileBytes: Int

    public init(maxPixels: Int = 64_000_000, maxFileBytes: Int = 256 << 20) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    public static let `default` = DecodeLimits()

    /// Throws `.zeroDimensions` or `.tooLarge` for dimensions this decode must refuse.
    func check(width: Int, height: Int, file: String) throws(ImageDecodeError) {
        if width <= 0 || height <= 0 { throw ImageDecodeError(file: file, reason: .zeroDimensions) }
        // Compare without multiplying first: width * height may overflow for absurd headers.
        if width > maxPixels || height > maxPixels / width {
            throw ImageDecodeError(file: file, reason: .tooLarge(width: width, height: height, limit: maxPixels))
        }
    }
}
