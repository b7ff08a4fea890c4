// Smooth random "scans" for tests of near-duplicate grouping and of loading folders: a sum of Gaussian
// blobs, 96×96, 8-bit, optionally shifted, mirrored or re-contrasted — copies a radiology archive holds.
import Foundation
import ImageIO

public enum BlobScans {
    /// A smooth random "scan": a sum of Gaussian blobs, 96×96, 8-bit.
    public static func scan(seed: Int, shift: (Int, Int) = (0, 0), mirrored: Bool = false, gain: Double = 1, offset: Double = 0) -> GrayImage {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let blobs = (0..<12).map { _ in (next() * 96, next() * 96, 4 + next() * 14, next() * 180 - 60) }
        var samples = [UInt16](repeating: 0, count: 96 * 96)
        for y in 0..<96 {
            for x in 0..<96 {
                let sx = Double(mirrored ? 95 - x : x) - Double(shift.0), sy = Double(y) - Double(shift.1)
                var v = 40.0
                for (bx, by, r, a) in blobs { v += a * exp(-((sx - bx) * (sx - bx) + (sy - by) * (sy - by)) / (2 * r * r)) }
                samples[y * 96 + x] = UInt16(min(max(v * gain + offset, 0), 255))
            }
        }
        return GrayImage(width: 96, height: 96, bitDepth: 8, samples: samples)
    }
}
