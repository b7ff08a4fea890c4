// The mode-seeking regularizer of MSGAN (Mao et al., "Mode Seeking Generative Adversarial Networks for
// Diverse Image Synthesis", CVPR 2019, and its official code): for two halves of a generated batch that
// share their conditions but not their latents,
//
//     lz = mean|G(z₁, y) − G(z₂, y)| / mean|z₁ − z₂|,    L_ms = 1 / (lz + ε),  ε = 1e-5,
//
// added to the generator's loss. A generator that ignores z (mode collapse: the same image for every
// latent) has lz ≈ 0 and a large L_ms, whose gradient pushes the two halves' images apart in proportion
// to how far apart their latents are. First order in the images, so the engine needs no double backward.
import Foundation

public enum ModeSeekingKernel {
    /// ε of the official implementation (keeps L_ms finite when the halves coincide).
    public static let epsilon: Float = 1e-5

    /// L_ms for images [2P, D] (image i paired with image P + i) and latents [2P, L] (same pairing).
    /// When `dImages` is given, adds `scale` · dL_ms/d(images) [2P, D] to it (the generator step adds the
    /// weighted term to the hinge loss's image gradient in place). The sign of a zero difference is taken
    /// as 0 (|x|'s subgradient PyTorch uses).
    public static func forward(
        images: UnsafePointer<Float>, imageSize d: Int, latents: UnsafePointer<Float>, latentSize l: Int, pairs p: Int,
        scale: Float = 1, accumulatingInto dImages: UnsafeMutablePointer<Float>?
    ) -> Float {
        precondition(p > 0 && d > 0 && l > 0, "ModeSeekingKernel: need at least one pair")
        var imageSum = 0.0, latentSum = 0.0
        for i in 0..<(p * d) { imageSum += Double(abs(images[i] - images[p * d + i])) }
        for i in 0..<(p * l) { latentSum += Double(abs(latents[i] - latents[p * l + i])) }
        let imageMean = imageSum / Double(p * d), latentMean = latentSum / Double(p * l)
        let lz = imageMean / latentMean
        let loss = 1 / (lz + Double(epsilon))
        if let dImages {
            // dL/dlz = −1/(lz + ε)²; dlz/dx₁ = sign(x₁ − x₂) / (P·D·mean|z₁ − z₂|), dlz/dx₂ = −that.
            let step = scale * Float(-loss * loss / (Double(p * d) * latentMean))
            for i in 0..<(p * d) {
                let diff = images[i] - images[p * d + i]
                let g = diff > 0 ? step : (diff < 0 ? -step : 0)
                dImages[i] += g
                dImages[p * d + i] -= g
            }
        }
        return Float(loss)
    }
}
