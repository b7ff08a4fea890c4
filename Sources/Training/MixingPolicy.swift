// How synthetic images join real ones so that "looks synthetic" cannot predict the label — one policy
// for `cohort experiment` and for cohortd's balance, publish and classifier jobs.
//
// The old top-up policy gave synthetic images only to the classes below the largest, so the all-real
// class gained recall and the most-synthetic class lost it in every run (chest: bacterial +10.7, viral
// −17.0 points; docs/results.md). Here:
// - every class, the largest included, receives synthetic images: the target is largest × (1 + f), so
//   no class is all-real (`syntheticCounts`);
// - while training, each draw picks a class uniformly, then a synthetic image of it with the same
//   probability f/(1+f) for every class — the synthetic share of every class's draws is identical, so it
//   carries no information about the label (`ClassifierTrainer`);
// - real images get as many draws as in the real-only run: synthetic draws add steps instead of taking
//   real ones' place (`steps(realOnlySteps:)`);
// - the last part of training sees real images only (`realOnlyFinalFraction`);
// - a sample is kept only if the real-only classifier gives its intended class a probability ≥ τ
//   (`acceptanceThreshold`; `SyntheticDrawing`);
// - optionally, synthetic images count less in the loss (`syntheticLossWeight`, default 1: equal).
import Foundation

public struct MixingPolicy: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Every class gets synthetic images up to largest × (1 + f); draws are f/(1+f) synthetic in every class.
        case symmetric
        /// The paper's set-up: each class topped up to the largest; the pool is sampled as it is (for A/B runs).
        case topUp = "top-up"
    }

    public var kind: Kind = .symmetric
    /// f: synthetic share relative to real (balanced target largest × (1 + f)).
    public var syntheticShare = 0.5
    /// Cap on synthetic images per real image of a class (cohortd's balance.max_synthetic_per_real).
    public var maxSyntheticPerReal: Double?
    /// Fraction of training steps at the end that see real images only.
    public var realOnlyFinalFraction = 0.2
    /// Minimum probability the real-only classifier must give a sample's intended class (0 keeps all).
    public var acceptanceThreshold = 0.5
    /// Weight of a synthetic image's cross-entropy term relative to a real image's 1 (LossKernel's sample
    /// weights): below 1, synthetic images steer the classifier less without being seen less often.
    public var syntheticLossWeight = 1.0

    enum CodingKeys: String, CodingKey {
        case kind
        case syntheticShare = "synthetic_share"
        case maxSyntheticPerReal = "max_synthetic_per_real"
        case realOnlyFinalFraction = "real_only_final_fraction"
        case acceptanceThreshold = "acceptance_threshold"
        case syntheticLossWeight = "synthetic_loss_weight"
    }

    public init() {}

    /// Decodes reports written before a setting existed with that setting's default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = MixingPolicy()
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? defaults.kind
        syntheticShare = try c.decodeIfPresent(Double.self, forKey: .syntheticShare) ?? defaults.syntheticShare
        maxSyntheticPerReal = try c.decodeIfPresent(Double.self, forKey: .maxSyntheticPerReal)
        realOnlyFinalFraction = try c.decodeIfPresent(Double.self, forKey: .realOnlyFinalFraction) ?? defaults.realOnlyFinalFraction
        acceptanceThreshold = try c.decodeIfPresent(Double.self, forKey: .acceptanceThreshold) ?? defaults.acceptanceThreshold
        syntheticLossWeight = try c.decodeIfPresent(Double.self, forKey: .syntheticLossWeight) ?? defaults.syntheticLossWeight
    }

    /// Today's earlier policy, kept for A/B runs: top up to the largest, same step budget, no real-only
    /// final phase, no acceptance filter.
    public static var topUp: MixingPolicy {
        var policy = MixingPolicy()
        policy.kind = .topUp
        policy.realOnlyFinalFraction = 0
        policy.acceptanceThreshold = 0
        return policy
    }

    /// Synthetic images each class should receive, from real counts per class: target − real, capped by
    /// `maxSyntheticPerReal` × real; target = largest × (1 + f) (symmetric) or the largest (top-up).
    public func syntheticCounts(realCounts: [Int]) -> [Int] {
        let largest = realCounts.max() ?? 0
        let target = kind == .symmetric ? Int((Double(largest) * (1 + syntheticShare)).rounded()) : largest
        return realCounts.map { real in
            guard real > 0 else { return 0 }  // nothing to learn a class from
            let wanted = max(0, target - real)
            return maxSyntheticPerReal.map { min(wanted, Int((Double(real) * $0).rounded(.down))) } ?? wanted
        }
    }

    /// Probability that a draw during the mixing phase is synthetic (for a class that has synthetic images):
    /// f/(1+f) under the symmetric policy; nil under top-up (the pool is sampled as it is).
    public var syntheticDrawProbability: Double? {
        kind == .symmetric ? syntheticShare / (1 + syntheticShare) : nil
    }

    /// Steps for a real+synthetic run whose real images get as many draws as in a real-only run of
    /// `realOnlySteps`: the mixing phase draws real with probability 1 − p, the final phase always.
    public func steps(realOnlySteps: Int) -> Int {
        guard let p = syntheticDrawProbability else { return realOnlySteps }
        let realShare = realOnlyFinalFraction + (1 - realOnlyFinalFraction) * (1 - p)
        return Int((Double(realOnlySteps) / realShare).rounded())
    }
}
