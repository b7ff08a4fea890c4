// Training-time augmentation suited to radiographs: small shifts, rotations and scaling (one bilinear
// affine warp), brightness and contrast; horizontal flips only when asked (anatomy is not mirror-
// symmetric in general, and a flipped chest X-ray puts the heart on the wrong side).
import Foundation
import Tensor

public struct RadiographAugmentation: Sendable, Equatable {
    /// Largest shift, as a fraction of the image size.
    public var shift: Float = 0.06
    /// Largest rotation, degrees.
    public var rotationDegrees: Float = 10
    /// Scale range ±.
    public var scale: Float = 0.1
    /// Brightness offset range ± (in [-1, 1] units) and contrast factor range ±.
    public var brightness: Float = 0.1
    public var contrast: Float = 0.1
    public var horizontalFlip = false

    public init() {}

    /// No augmentation at all.
    public static let none: RadiographAugmentation = {
        var a = RadiographAugmentation()
        a.shift = 0; a.rotationDegrees = 0; a.scale = 0; a.brightness = 0; a.contrast = 0
        return a
    }()

    /// Augments every image of `batch` [N, S, S, 1] in place; background outside the image is −1 (black).
    public func apply(to batch: Tensor, rng: inout RandomGenerator) {
        let (n, s) = (batch.shape[0], batch.shape[1])
        var source = [Float](repeating: 0, count: s * s)
        for i in 0..<n {
            let image = batch.data + i * s * s
            source.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: image, count: s * s) }
            let angle = rng.uniform(-rotationDegrees, rotationDegrees) * .pi / 180
            let zoom = 1 + rng.uniform(-scale, scale)
            let (tx, ty) = (rng.uniform(-shift, shift) * Float(s), rng.uniform(-shift, shift) * Float(s))
            let flip = horizontalFlip && rng.uniform() < 0.5
            let gain = 1 + rng.uniform(-contrast, contrast), offset = rng.uniform(-brightness, brightness)
            let (c, sn) = (cos(angle) / zoom, sin(angle) / zoom)
            let centre = Float(s - 1) / 2
            for y in 0..<s {
                for x in 0..<s {
                    // Inverse map: output pixel → source position.
                    let (dx, dy) = (Float(x) - centre - tx, Float(y) - centre - ty)
                    var sx = c * dx + sn * dy + centre
                    let sy = -sn * dx + c * dy + centre
                    if flip { sx = Float(s - 1) - sx }
                    var value: Float = -1
                    if sx >= 0, sy >= 0, sx <= Float(s - 1), sy <= Float(s - 1) {
                        let x0 = min(Int(sx), s - 2), y0 = min(Int(sy), s - 2)
                        let (fx, fy) = (sx - Float(x0), sy - Float(y0))
                        let top = source[y0 * s + x0] * (1 - fx) + source[y0 * s + x0 + 1] * fx
                        let bottom = source[(y0 + 1) * s + x0] * (1 - fx) + source[(y0 + 1) * s + x0 + 1] * fx
                        value = top * (1 - fy) + bottom * fy
                    }
                    image[y * s + x] = min(max(value * gain + offset, -1), 1)
                }
            }
        }
    }
}
