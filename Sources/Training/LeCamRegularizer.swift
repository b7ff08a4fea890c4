// LeCam regularization of the discriminator (Tseng et al., "Regularizing Generative Adversarial Networks
// under Limited Data", CVPR 2021; github.com/google/lecam-gan, `lecam_reg`): D's outputs on real images
// are pulled toward a moving average of its outputs on fakes and vice versa,
//   R = mean(relu(D(x) − α_F)²) + mean(relu(α_R − D(G(z)))²),
// α_R, α_F exponential moving averages (decay 0.99) of the batch means of D(x) and D(G(z)). It keeps D's
// predictions from drifting apart on a small data set. First order in D's outputs: no double backward.
import Foundation

public struct LeCamRegularizer: Sendable, Equatable {
    public var weight: Float
    public var decay: Float = 0.99
    /// The moving averages' raw accumulators (from 0) and how many batches they have seen; saved in
    /// checkpoints so a resumed run continues exactly. The anchors used are bias-corrected, as Adam's
    /// moments are (÷ (1 − decay^updates)): without it the first hundred steps would pull D toward 0.
    public var anchorReal: Float = 0
    public var anchorFake: Float = 0
    public var updates = 0

    /// α_R and α_F as used (bias-corrected; the raw values before any update).
    public var correctedAnchors: (real: Float, fake: Float) {
        guard updates > 0 else { return (anchorReal, anchorFake) }
        let correction = 1 - pow(decay, Float(updates))
        return (anchorReal / correction, anchorFake / correction)
    }

    public init(weight: Float) { self.weight = weight }

    /// Updates the anchors with this batch's mean outputs (before the penalty, as the reference code does).
    public mutating func updateAnchors(real: UnsafePointer<Float>, realCount: Int, fake: UnsafePointer<Float>, fakeCount: Int) {
        var realMean: Float = 0, fakeMean: Float = 0
        for i in 0..<realCount { realMean += real[i] }
        for i in 0..<fakeCount { fakeMean += fake[i] }
        anchorReal = decay * anchorReal + (1 - decay) * realMean / Float(realCount)
        anchorFake = decay * anchorFake + (1 - decay) * fakeMean / Float(fakeCount)
        updates += 1
    }

    /// weight · R, adding its gradient to dReal and dFake (dL/dD outputs); returns the weighted penalty.
    @discardableResult
    public func addPenalty(
        real: UnsafePointer<Float>, realCount: Int, fake: UnsafePointer<Float>, fakeCount: Int,
        dReal: UnsafeMutablePointer<Float>, dFake: UnsafeMutablePointer<Float>
    ) -> Float {
        var penalty: Float = 0
        let (anchorReal, anchorFake) = correctedAnchors
        for i in 0..<realCount {
            let excess = max(real[i] - anchorFake, 0)
            penalty += excess * excess / Float(realCount)
            dReal[i] += weight * 2 * excess / Float(realCount)
        }
        for j in 0..<fakeCount {
            let shortfall = max(anchorReal - fake[j], 0)
            penalty += shortfall * shortfall / Float(fakeCount)
            dFake[j] -= weight * 2 * shortfall / Float(fakeCount)
        }
        return weight * penalty
    }
}
