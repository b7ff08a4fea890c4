// The decoded form of every scan: one channel of 8- or 16-bit samples, row-major.

/// A grayscale image. Samples are stored widened to `UInt16` so that 8- and 16-bit sources share
/// one type; `bitDepth` says which range they use (0...255 or 0...65535).
public struct GrayImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// 8 or 16.
    public var bitDepth: Int
    /// `width * height` samples, row-major, top row first.
    public var samples: [UInt16]

    public init(width: Int, height: Int, bitDepth: Int, samples: [UInt16]) {
        precondition(bitDepth == 8 || bitDepth == 16, "GrayImage: bit depth must be 8 or 16")
        precondition(samples.count == width * height, "GrayImage: sample count does not match size")
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.samples = samples
    }

    /// The largest sample value: 255 or 65535.
    public var maxValue: Int { (1 << bitDepth) - 1 }

    /// Samples as 8-bit values (16-bit samples are rounded to the nearest 8-bit level).
    public var samples8: [UInt8] {
        if bitDepth == 8 { return samples.map { UInt8(truncatingIfNeeded: $0) } }
        return samples.map { UInt8((UInt32($0) * 255 + 32767) / 65535) }
    }
}
