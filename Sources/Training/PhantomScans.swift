// Synthetic phantom "scans" for demos and tests: a noisy elliptical body outline whose classes differ
// by their lesions — one round lesion, two lesions, or a ring-shaped lesion — at random positions,
// sizes and contrasts. Nothing medical about them; they make a dataset whose classes a GAN and a
// classifier can learn in minutes on 2 cores, with no data to download.
import Foundation
import ImageIO
import Tensor

public enum PhantomScans {
    /// The phantom classes, in label order.
    public static let classes = ["one_lesion", "two_lesions", "ring_lesion"]

    /// One phantom of class `label` (index into `classes`), `size`×`size` 8-bit gray.
    public static func image(label: Int, size: Int, rng: inout RandomGenerator) -> GrayImage {
        let s = Double(size)
        let (cx, cy) = (s / 2 + (Double(rng.uniform()) - 0.5) * s * 0.06, s / 2 + (Double(rng.uniform()) - 0.5) * s * 0.06)
        let (ax, ay) = (s * (0.28 + 0.16 * Double(rng.uniform())), s * (0.34 + 0.14 * Double(rng.uniform())))
        let tilt = (Double(rng.uniform()) - 0.5) * 0.8
        let (cosT, sinT) = (cos(tilt), sin(tilt))
        let tissue = 80 + 60 * Double(rng.uniform())
        // Low-frequency "anatomy": a few broad bright and dark patches and a gradient, different in every
        // scan, so phantoms are as varied as real scans are (and not near-duplicates of each other).
        let patches = (0..<5).map { _ in
            (
                x: s * Double(rng.uniform()), y: s * Double(rng.uniform()), r: s * (0.1 + 0.2 * Double(rng.uniform())),
                a: (Double(rng.uniform()) - 0.5) * 90
            )
        }
        let (gx, gy) = ((Double(rng.uniform()) - 0.5) * 60 / s, (Double(rng.uniform()) - 0.5) * 60 / s)
        struct Lesion { var x, y, r, contrast: Double; var ring: Bool }
        var lesions: [Lesion] = []
        let count = label == 1 ? 2 : 1
        for _ in 0..<count {
            let angle = Double(rng.uniform()) * 2 * .pi, reach = 0.45 * Double(rng.uniform())
            lesions.append(
                Lesion(
                    x: cx + cos(angle) * ax * reach, y: cy + sin(angle) * ay * reach,
                    r: s * (label == 2 ? 0.11 + 0.04 * Double(rng.uniform()) : 0.06 + 0.04 * Double(rng.uniform())),
                    contrast: 70 + 50 * Double(rng.uniform()), ring: label == 2))
        }
        var samples = [UInt16](repeating: 0, count: size * size)
        for y in 0..<size {
            for x in 0..<size {
                let (px, py) = (Double(x) + 0.5, Double(y) + 0.5)
                let (rx, ry) = ((px - cx) * cosT + (py - cy) * sinT, -(px - cx) * sinT + (py - cy) * cosT)
                let e = (rx / ax) * (rx / ax) + (ry / ay) * (ry / ay)
                var v = 12.0
                if e < 1 {
                    v = tissue * (1 - 0.35 * e) + (e > 0.85 ? 80 : 0) + gx * (px - cx) + gy * (py - cy)  // bright rim like a skull
                    for p in patches {
                        let d2 = ((px - p.x) * (px - p.x) + (py - p.y) * (py - p.y)) / (p.r * p.r)
                        if d2 < 4 { v += p.a * exp(-d2) }
                    }
                }
                for l in lesions {
                    let d = ((px - l.x) * (px - l.x) + (py - l.y) * (py - l.y)).squareRoot() / l.r
                    if l.ring {
                        if d > 0.6 && d < 1 { v += l.contrast }
                    } else if d < 1 {
                        v += l.contrast * (1 - d * d)
                    }
                }
                v += Double(rng.normal()) * 8
                samples[y * size + x] = UInt16(min(max(v.rounded(), 0), 255))
            }
        }
        return GrayImage(width: size, height: size, bitDepth: 8, samples: samples)
    }

    /// Writes `counts[c]` phantoms of each class as `<directory>/<class>/phantom-<seed>-<i>.png`; returns the paths.
    @discardableResult
    public static func write(counts: [Int], size: Int, seed: UInt64, to directory: String) throws -> [String] {
        var rng = RandomGenerator(seed: seed)
        var paths: [String] = []
        for (label, count) in counts.enumerated() where label < classes.count {
            let folder = directory + "/" + classes[label]
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for i in 0..<count {
                let path = "\(folder)/phantom-\(seed)-\(i).png"
                try PNGEncoder.write(image(label: label, size: size, rng: &rng), to: path)
                paths.append(path)
            }
        }
        return paths
    }
}
