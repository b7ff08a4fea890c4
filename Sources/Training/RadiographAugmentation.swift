// Training-time augmentation suited to radiographs, for a network trained from scratch: a random-resized
// crop with small shifts, rotations and scaling (one bilinear affine warp), brightness, contrast and gamma,
// Gaussian noise, a random blur or down-up-sampling (the brain-MRI classes come from originals of
// different resolutions — sharpness would otherwise be a shortcut), and random erasing; horizontal flips
// only when asked (anatomy is not mirror-symmetric in general, and a flipped chest X-ray puts the heart on
// the wrong side: a per-dataset setting, on for brain MRI, never for chest X-rays).
import Foundation
import Tensor

public struct RadiographAugmentation: Sendable, Equatable {
    /// Largest shift, as a fraction of the image size.
    public var shift: Float = 0.06
    /// Largest rotation, degrees.
    public var rotationDegrees: Float = 10
    /// Scale range ±.
    public var scale: Float = 0.1
    /// Brightness offset range ± (in [-1, 1] units) and contrast factor range ±. With per-image
    /// standardization on (the classifier's default) these linear changes are undone except where they
    /// clip at ±1 and where gamma follows them; gamma is the intensity augmentation that survives.
    public var brightness: Float = 0.1
    public var contrast: Float = 0.1
    /// Smallest area kept by the random-resized crop (1: no crop; zooms in by up to 1/√minimum).
    public var cropMinimumArea: Float = 0.7
    /// Gamma drawn log-uniformly in [1/g, g] (1: none).
    public var gamma: Float = 1.3
    /// Largest standard deviation of added Gaussian noise (in [-1, 1] units).
    public var noise: Float = 0.03
    /// Probability of a 3×3 blur or a 2× down-up-sampling (half each).
    public var blurProbability: Float = 0.3
    /// Probability of erasing one rectangle of 2–10% of the image (filled with mid-grey).
    public var erasingProbability: Float = 0.25
    public var horizontalFlip = false

    public init() {}

    /// No augmentation at all.
    public static let none: RadiographAugmentation = {
        var a = RadiographAugmentation()
        a.shift = 0; a.rotationDegrees = 0; a.scale = 0; a.brightness = 0; a.contrast = 0
        a.cropMinimumArea = 1; a.gamma = 1; a.noise = 0; a.blurProbability = 0; a.erasingProbability = 0
        return a
    }()

    /// The geometric and intensity jitter of earlier versions only (no crop, gamma, noise, blur or erasing).
    public static let light: RadiographAugmentation = {
        var a = RadiographAugmentation()
        a.cropMinimumArea = 1; a.gamma = 1; a.noise = 0; a.blurProbability = 0; a.erasingProbability = 0
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
            let crop = cropMinimumArea < 1 ? 1 / rng.uniform(cropMinimumArea, 1).squareRoot() : 1
            let zoom = (1 + rng.uniform(-scale, scale)) * crop
            let (tx, ty) = (rng.uniform(-shift, shift) * Float(s), rng.uniform(-shift, shift) * Float(s))
            let flip = horizontalFlip && rng.uniform() < 0.5
            let gain = 1 + rng.uniform(-contrast, contrast), offset = rng.uniform(-brightness, brightness)
            Self.warp(source, into: image, size: s, angle: angle, zoom: zoom, shift: (tx, ty), flip: flip, gain: gain, offset: offset)
            applyPhotometric(image, size: s, rng: &rng)
        }
    }

    /// One bilinear affine warp of `source` [S·S] into `image`: rotation by `angle` (radians) and zoom
    /// about the centre, then a shift in pixels, an optional horizontal mirror, and `value·gain + offset`
    /// clipped to [-1, 1]; pixels that map outside the source are −1 (black).
    static func warp(
        _ source: [Float], into image: UnsafeMutablePointer<Float>, size s: Int, angle: Float, zoom: Float,
        shift: (x: Float, y: Float), flip: Bool, gain: Float = 1, offset: Float = 0
    ) {
        let (c, sn) = (cos(angle) / zoom, sin(angle) / zoom)
        let centre = Float(s - 1) / 2
        for y in 0..<s {
            for x in 0..<s {
                // Inverse map: output pixel → source position.
                let (dx, dy) = (Float(x) - centre - shift.x, Float(y) - centre - shift.y)
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

    /// Gamma, blur or down-up-sampling, noise and erasing on one image [S·S] in [-1, 1], in place.
    private func applyPhotometric(_ image: UnsafeMutablePointer<Float>, size s: Int, rng: inout RandomGenerator) {
        if gamma > 1 {
            let g = Foundation.exp(rng.uniform(-Foundation.log(gamma), Foundation.log(gamma)))
            for j in 0..<(s * s) { image[j] = 2 * Foundation.pow((image[j] + 1) / 2, g) - 1 }
        }
        if blurProbability > 0 && rng.uniform() < blurProbability {
            var copy = [Float](UnsafeBufferPointer(start: image, count: s * s))
            if rng.uniform() < 0.5 {
                // 3×3 binomial blur [1 2 1]/4 ⊗ [1 2 1]/4, edges clamped.
                for pass in 0..<2 {
                    for y in 0..<s {
                        for x in 0..<s {
                            let (a, b) =
                                pass == 0
                                ? ((y * s + max(x - 1, 0)), (y * s + min(x + 1, s - 1)))
                                : ((max(y - 1, 0) * s + x), (min(y + 1, s - 1) * s + x))
                            image[y * s + x] = 0.25 * copy[a] + 0.5 * copy[y * s + x] + 0.25 * copy[b]
                        }
                    }
                    for j in 0..<(s * s) { copy[j] = image[j] }
                }
            } else {
                // 2× down (2×2 mean) and back up (nearest): the detail of a half-resolution original.
                for y in 0..<s {
                    for x in 0..<s {
                        let (y0, x0) = (y & ~1, x & ~1)
                        let (y1, x1) = (min(y0 + 1, s - 1), min(x0 + 1, s - 1))
                        image[y * s + x] = 0.25 * (copy[y0 * s + x0] + copy[y0 * s + x1] + copy[y1 * s + x0] + copy[y1 * s + x1])
                    }
                }
            }
        }
        if noise > 0 {
            let sigma = rng.uniform(0, noise)
            for j in 0..<(s * s) { image[j] = min(max(image[j] + sigma * rng.normal(), -1), 1) }
        }
        if erasingProbability > 0 && rng.uniform() < erasingProbability {
            let area = rng.uniform(0.02, 0.10) * Float(s * s)
            let aspect = Foundation.exp(rng.uniform(Foundation.log(0.5), Foundation.log(2)))
            let h = min(s, max(1, Int((area * aspect).squareRoot()))), w = min(s, max(1, Int((area / aspect).squareRoot())))
            let (top, left) = (rng.integer(below: s - h + 1), rng.integer(below: s - w + 1))
            for y in top..<(top + h) { for x in left..<(left + w) { image[y * s + x] = 0 } }
        }
    }
}
