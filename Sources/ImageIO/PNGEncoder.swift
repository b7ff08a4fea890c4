// Grayscale PNG writing with text metadata (tEXt for Latin-1, iTXt for UTF-8), through libpng.
// Synthetic samples carry their provenance in these chunks (synthetic=true, class, seed, checkpoint).
import AtomicFile
import CPNG

/// An encoding failure, naming the file (or "<memory>") and libpng's reason.
public struct ImageEncodeError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var reason: String
    public var description: String { "cannot encode \(file): \(reason)" }
}

/// Writes 8- or 16-bit grayscale PNGs.
public enum PNGEncoder {
    /// Encodes `image` as a grayscale PNG of its bit depth with the given text chunks (in order).
    /// Keys must be 1–79 Latin-1 characters (PNG spec); values are written as UTF-8 iTXt when not ASCII.
    public static func encode(_ image: GrayImage, text: [(key: String, value: String)] = []) throws(ImageEncodeError)
        -> [UInt8]
    {
        for (key, _) in text where key.isEmpty || key.utf8.count > 79 || !key.unicodeScalars.allSatisfy({ $0.value < 256 }) {
            throw ImageEncodeError(file: "<memory>", reason: "invalid PNG text key \"\(key)\" (1–79 Latin-1 characters)")
        }
        let pixelBytes: [UInt8]
        if image.bitDepth == 8 {
            pixelBytes = image.samples.map { UInt8(truncatingIfNeeded: $0) }
        } else {
            pixelBytes = image.samples.withUnsafeBytes { Array($0) }  // host order; the shim swaps
        }
        // C strings for keys and values must outlive the call.
        let keys = text.map { strdupLatin1($0.key) }
        let values = text.map { strdup($0.value)! }
        defer {
            keys.forEach { free($0) }
            values.forEach { free($0) }
        }
        var entries = (0..<text.count).map { i in
            cohort_png_text_entry(
                key: UnsafePointer<CChar>(keys[i]), value: UnsafePointer<CChar>(values[i]),
                utf8: text[i].value.utf8.allSatisfy { $0 < 0x80 } ? 0 : 1)
        }
        var buffer = cohort_png_buffer()
        defer { free(buffer.data) }
        let status = pixelBytes.withUnsafeBufferPointer { pixels in
            entries.withUnsafeMutableBufferPointer { list in
                cohort_png_encode_gray(
                    pixels.baseAddress, UInt32(image.width), UInt32(image.height), Int32(image.bitDepth),
                    list.baseAddress, Int32(list.count), &buffer)
            }
        }
        guard status == 0, let data = buffer.data else {
            let message = withUnsafeBytes(of: &buffer.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            throw ImageEncodeError(file: "<memory>", reason: message)
        }
        return Array(UnsafeBufferPointer(start: data, count: buffer.size))
    }

    /// Encodes and writes atomically (temporary file, fsync, rename) to `path`.
    public static func write(_ image: GrayImage, text: [(key: String, value: String)] = [], to path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try encode(image, text: text)
        } catch {
            throw ImageEncodeError(file: path, reason: error.reason)
        }
        try AtomicFile.write(bytes, to: path)
    }

    /// A NUL-terminated Latin-1 copy of `key` (PNG keywords are Latin-1, not UTF-8).
    private static func strdupLatin1(_ key: String) -> UnsafeMutablePointer<CChar> {
        let scalars = Array(key.unicodeScalars)
        let copy = UnsafeMutablePointer<CChar>.allocate(capacity: scalars.count + 1)
        for (i, scalar) in scalars.enumerated() { copy[i] = CChar(bitPattern: UInt8(scalar.value)) }
        copy[scalars.count] = 0
        let heap = strdup(copy)!
        copy.deallocate()
        return heap
    }
}
