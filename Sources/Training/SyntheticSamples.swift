// Writing synthetic samples so nobody can mistake them for scans: 8-bit grayscale PNGs whose text
// metadata says synthetic=true, the class, the seed and index that reproduce it, the generator
// checkpoint's SHA-256 and the time — written atomically.
import Foundation
import ImageIO
import Tensor

public enum SyntheticSamples {
    /// One image [S, S] in [-1, 1] → 8-bit gray.
    public static func image(_ images: Tensor, index: Int) -> GrayImage {
        let s = images.shape[1]
        return image(pixels: Array(UnsafeBufferPointer(start: images.data + index * s * s, count: s * s)), size: s)
    }

    /// One image [S·S] in [-1, 1] → 8-bit gray.
    public static func image(pixels: [Float], size s: Int) -> GrayImage {
        GrayImage(width: s, height: s, bitDepth: 8, samples: pixels.map { UInt16(min(max((($0 + 1) * 127.5).rounded(), 0), 255)) })
    }

    /// Writes `images` [N, S, S, 1] as `<dir>/syn-<seed>-<index>.png`; returns the paths.
    public static func write(
        _ images: Tensor, className: String, seed: UInt64, checkpointSHA256: String, to directory: String,
        time: Date = Date()
    ) throws -> [String] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try (0..<images.shape[0]).map { index in
            let path = "\(directory)/syn-\(seed)-\(index).png"
            try write(
                image(images, index: index), className: className, seed: seed, index: index,
                checkpointSHA256: checkpointSHA256, to: path, time: time)
            return path
        }
    }

    /// Writes one sample (atomically) to `path` with the metadata that marks it synthetic.
    /// `acceptanceScore`: the real-only classifier's probability for the class, when one judged it.
    public static func write(
        _ image: GrayImage, className: String, seed: UInt64, index: Int, checkpointSHA256: String,
        to path: String, time: Date = Date(), acceptanceScore: Float? = nil
    ) throws {
        var text: [(key: String, value: String)] = [
            (key: "synthetic", value: "true"), (key: "class", value: className), (key: "seed", value: String(seed)),
            (key: "index", value: String(index)), (key: "checkpoint_sha256", value: checkpointSHA256),
            (key: "time", value: ISO8601DateFormatter().string(from: time)),
            (key: "generator", value: "cohort conditional DCGAN (EMA weights)")
        ]
        if let acceptanceScore { text.append((key: "acceptance_score", value: String(format: "%.4f", acceptanceScore))) }
        try PNGEncoder.write(image, text: text, to: path)
    }
}
