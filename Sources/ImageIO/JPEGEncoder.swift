// JPEG writing through TurboJPEG: used to make test fixtures of every JPEG variant Cohort must
// read or refuse (baseline, progressive, grayscale, CMYK), and available for exports.
import CTurboJPEG

/// Encodes 8-bit images as JPEG.
public enum JPEGEncoder {
    /// The pixel layout handed to the encoder.
    public enum Input: Sendable {
        /// One byte per pixel.
        case gray
        /// Three bytes per pixel, R G B.
        case rgb
        /// Four bytes per pixel, C M Y K (TurboJPEG writes these as YCCK JPEGs).
        case cmyk
    }

    /// Encodes `pixels` (`width * height * channels` bytes) at `quality` 1–100.
    public static func encode(
        pixels: [UInt8], width: Int, height: Int, input: Input, quality: Int = 90, progressive: Bool = false
    ) throws(ImageEncodeError) -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw ImageEncodeError(file: "<memory>", reason: "cannot create a TurboJPEG compressor")
        }
        defer { tjDestroy(handle) }
        let (format, subsampling): (TJPF, TJSAMP) =
            switch input {
            case .gray: (TJPF_GRAY, TJSAMP_GRAY)
            case .rgb: (TJPF_RGB, TJSAMP_420)
            case .cmyk: (TJPF_CMYK, TJSAMP_444)
            }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let flags = progressive ? TJFLAG_PROGRESSIVE : 0
        let status = pixels.withUnsafeBufferPointer {
            tjCompress2(
                handle, $0.baseAddress, Int32(width), 0, Int32(height), Int32(format.rawValue), &output, &size,
                Int32(subsampling.rawValue), Int32(quality), Int32(flags))
        }
        defer { tjFree(output) }
        guard status == 0, let output else {
            throw ImageEncodeError(file: "<memory>", reason: String(cString: tjGetErrorStr2(handle)))
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }
}
