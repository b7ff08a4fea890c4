// What de-duplication compares: a content hash of the model-size pixels (exact duplicates), two
// difference hashes (the image and its mirror: near-duplicate candidates), and a small normalized
// thumbnail (to confirm a candidate by pixel distance after aligning).
import ContentHash
import Foundation
import ImageIO

/// Fingerprints of one scan at model size.
public struct ImageFingerprint: Sendable {
    /// SHA-256 (hex) of the 8-bit model-size pixels: equal for exact duplicates after preprocessing.
    public var contentHash: String
    /// 64-bit difference hash of the image, and of its horizontal mirror.
    public var hash: UInt64
    public var mirroredHash: UInt64
    /// 32×32 thumbnail with zero mean and unit variance, so brightness and contrast changes vanish.
    public var thumbnail: [Float]

    public static let thumbnailSize = 32

    /// A fingerprint restored from its stored parts (the catalog keeps them).
    public init(contentHash: String, hash: UInt64, mirroredHash: UInt64, thumbnail: [Float]) {
        self.contentHash = contentHash
        self.hash = hash
        self.mirroredHash = mirroredHash
        self.thumbnail = thumbnail
    }

    /// Fingerprints `image` (already decoded; any size) after preprocessing to `modelSize`.
    public init(_ image: GrayImage, modelSize: Int) {
        let model = Preprocessor.resizeShorterSideAndCenterCrop(image, to: modelSize)
        contentHash = SHA256Hasher.hex(of: model.samples8)
        let small = Preprocessor.resizeShorterSideAndCenterCrop(model, to: Self.thumbnailSize)
        var values = small.samples.map { Float($0) }
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        let scale = variance > 1e-6 ? 1 / variance.squareRoot() : 0
        for i in values.indices { values[i] = (values[i] - mean) * scale }
        thumbnail = values
        hash = Self.differenceHash(values, mirrored: false)
        mirroredHash = Self.differenceHash(values, mirrored: true)
    }

    /// dHash: an 8×9 grid of box means; bit = left cell brighter than its right neighbour.
    static func differenceHash(_ thumbnail: [Float], mirrored: Bool) -> UInt64 {
        let size = thumbnailSize
        var grid = [Float](repeating: 0, count: 8 * 9)
        for row in 0..<8 {
            for col in 0..<9 {
                let (y0, y1) = (row * size / 8, (row + 1) * size / 8)
                let (x0, x1) = (col * size / 9, max((col + 1) * size / 9, col * size / 9 + 1))
                var sum: Float = 0
                for y in y0..<y1 {
                    for x in x0..<x1 { sum += thumbnail[y * size + (mirrored ? size - 1 - x : x)] }
                }
                grid[row * 9 + col] = sum / Float((y1 - y0) * (x1 - x0))
            }
        }
        var hash: UInt64 = 0
        for row in 0..<8 {
            for col in 0..<8 where grid[row * 9 + col] > grid[row * 9 + col + 1] {
                hash |= 1 << UInt64(row * 8 + col)
            }
        }
        return hash
    }
}
