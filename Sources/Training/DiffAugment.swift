// DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS
// 2020): the same random, differentiable transforms applied to real and fake images before the
// discriminator, so a small dataset cannot be memorized by D. Policy "color,translation,cutout" for
// grayscale: brightness x + (u − 0.5), contrast (x − mean)·(u + 0.5) + mean, translation by up to 1/8
// of the size with zero fill, cutout of a zeroed square of half the size. Backward gives dL/dx, so the
// generator step trains through it. Parameters are drawn per image and kept per slot for backward.
import Tensor

public final class DiffAugment {
    struct Draw {
        var brightness: Float
        var contrast: Float
        var shiftX: Int, shiftY: Int
        var cutX: Int, cutY: Int
    }

    public var translationRatio: Float = 0.125
    public var cutoutRatio: Float = 0.5
    private var draws = [Int: [Draw]]()
    private var means = [Int: [Float]]()
    private var outputs = [Int: Tensor]()
    private var gradients = [Int: Tensor]()

    public init() {}

    /// Augmented copy of `x` [N, S, S, 1]; the random draws are kept under `slot` for `backward`.
    public func forward(_ x: Tensor, slot: Int, rng: inout RandomGenerator) -> Tensor {
        let (n, s) = (x.shape[0], x.shape[1])
        let maxShift = Int(Float(s) * translationRatio + 0.5)
        let cut = Int(Float(s) * cutoutRatio + 0.5)
        var slotDraws: [Draw] = []
        var slotMeans: [Float] = []
        let y = outputs[slot] ?? Tensor(shape: x.shape)
        y.reshapeForReuse(x.shape)
        outputs[slot] = y
        for i in 0..<n {
            let draw = Draw(
                brightness: rng.uniform() - 0.5, contrast: rng.uniform() + 0.5,
                shiftX: rng.integer(below: 2 * maxShift + 1) - maxShift, shiftY: rng.integer(below: 2 * maxShift + 1) - maxShift,
                cutX: rng.integer(below: s + (1 - cut % 2)) - cut / 2, cutY: rng.integer(below: s + (1 - cut % 2)) - cut / 2)
            let src = x.data + i * s * s, dst = y.data + i * s * s
            // Colour: brightness then contrast about the (brightened) image mean.
            var mean: Float = 0
            for p in 0..<(s * s) { mean += src[p] + draw.brightness }
            mean /= Float(s * s)
            slotMeans.append(mean)
            for yy in 0..<s {
                for xx in 0..<s {
                    // Translation: output (yy, xx) reads source (yy − dy, xx − dx), zero outside.
                    let (sy, sx) = (yy - draw.shiftY, xx - draw.shiftX)
                    var v: Float = 0
                    if sy >= 0 && sy < s && sx >= 0 && sx < s {
                        v = (src[sy * s + sx] + draw.brightness - mean) * draw.contrast + mean
                    }
                    if Self.inCutout(xx, yy, draw, cut) { v = 0 }
                    dst[yy * s + xx] = v
                }
            }
            slotDraws.append(draw)
        }
        draws[slot] = slotDraws
        means[slot] = slotMeans
        return y
    }

    /// dL/dx for the call in `slot`, given dL/dy.
    public func backward(_ dy: Tensor, slot: Int) -> Tensor {
        guard let slotDraws = draws[slot] else { preconditionFailure("DiffAugment: backward without forward in slot \(slot)") }
        let (n, s) = (dy.shape[0], dy.shape[1])
        let cut = Int(Float(s) * cutoutRatio + 0.5)
        let dx = gradients[slot] ?? Tensor(shape: dy.shape)
        dx.reshapeForReuse(dy.shape)
        gradients[slot] = dx
        for i in 0..<n {
            let draw = slotDraws[i]
            let g = dy.data + i * s * s, out = dx.data + i * s * s
            out.update(repeating: 0, count: s * s)
            // v = c·(x + b − m) + m with m = mean(x) + b  ⇒  ∂v/∂x_q = c·[q = source] + (1 − c)/P for every kept output.
            var keptSum: Float = 0
            for yy in 0..<s {
                for xx in 0..<s where !Self.inCutout(xx, yy, draw, cut) {
                    let (sy, sx) = (yy - draw.shiftY, xx - draw.shiftX)
                    guard sy >= 0 && sy < s && sx >= 0 && sx < s else { continue }
                    out[sy * s + sx] += draw.contrast * g[yy * s + xx]
                    keptSum += g[yy * s + xx]
                }
            }
            let spread = (1 - draw.contrast) * keptSum / Float(s * s)
            for p in 0..<(s * s) { out[p] += spread }
        }
        return dx
    }

    @inline(__always)
    static func inCutout(_ x: Int, _ y: Int, _ draw: Draw, _ cut: Int) -> Bool {
        x >= draw.cutX && x < draw.cutX + cut && y >= draw.cutY && y < draw.cutY + cut
    }
}
