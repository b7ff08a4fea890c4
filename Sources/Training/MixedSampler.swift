// Which images make up each classifier batch: real ones as the real-only run draws them (balanced: class,
// then image; unbalanced: shuffled epochs, or uniform draws while mixing), and — during a real+synthetic
// run's mixing phase — synthetic ones by the MixingPolicy.
import Tensor

struct MixedSampler {
    /// One drawn image: from the real set or the synthetic set, by index.
    struct Draw: Equatable {
        var synthetic: Bool
        var index: Int
    }

    let real: LabeledImages
    let synthetic: LabeledImages?
    let mixing: MixingPolicy
    let balanced: Bool
    /// Classes with real images but no synthetic ones. Under the symmetric policy their draws would be
    /// all-real while every other class's are not — "synthetic" would mean "not this class" — so the
    /// trainer refuses to mix then (ClassifierTrainer) and says why.
    var classesWithoutSynthetic: [Int] { synthetic == nil ? [] : classesWithReal.filter { syntheticByClass[$0].isEmpty } }

    /// Real image indices per class that has real images (the classes a balanced batch draws from).
    private let realByClass: [[Int]]
    private let classesWithReal: [Int]
    /// Synthetic image indices per class index.
    private let syntheticByClass: [[Int]]
    /// Shuffled-epoch order for unbalanced real-only sampling.
    private var order: [Int] = []

    init(real: LabeledImages, synthetic: LabeledImages?, mixing: MixingPolicy, balanced: Bool) {
        self.real = real
        self.synthetic = synthetic
        self.mixing = mixing
        self.balanced = balanced
        let k = real.classes.count
        let byClass = (0..<k).map { c in real.labels.indices.filter { real.labels[$0] == c } }
        classesWithReal = (0..<k).filter { !byClass[$0].isEmpty }
        realByClass = byClass
        syntheticByClass = (0..<k).map { c in synthetic.map { s in s.labels.indices.filter { s.labels[$0] == c } } ?? [] }
    }

    /// `count` draws (at most the real set's size, as the real-only run); `mixing` says whether
    /// synthetic images may be drawn at this step.
    mutating func draw(_ count: Int, mixing inMixingPhase: Bool, rng: inout RandomGenerator) -> [Draw] {
        let n = min(count, real.count)
        let useSynthetic = inMixingPhase && synthetic != nil
        if balanced {
            return (0..<n).map { _ in
                let c = classesWithReal[rng.integer(below: classesWithReal.count)]
                let realMembers = realByClass[c], syntheticMembers = syntheticByClass[c]
                if useSynthetic && !syntheticMembers.isEmpty {
                    if let p = mixing.syntheticDrawProbability {
                        // Symmetric: the same synthetic share in every class's draws.
                        if Double(rng.uniform()) < p {
                            return Draw(synthetic: true, index: syntheticMembers[rng.integer(below: syntheticMembers.count)])
                        }
                    } else {
                        // Top-up: the class's pool (real and synthetic together) as it is.
                        let i = rng.integer(below: realMembers.count + syntheticMembers.count)
                        if i >= realMembers.count { return Draw(synthetic: true, index: syntheticMembers[i - realMembers.count]) }
                        return Draw(synthetic: false, index: realMembers[i])
                    }
                }
                return Draw(synthetic: false, index: realMembers[rng.integer(below: realMembers.count)])
            }
        }
        if useSynthetic, let synthetic {
            guard let p = mixing.syntheticDrawProbability else {
                // Top-up: the pooled set as it is.
                return (0..<n).map { _ in
                    let i = rng.integer(below: real.count + synthetic.count)
                    return i < real.count ? Draw(synthetic: false, index: i) : Draw(synthetic: true, index: i - real.count)
                }
            }
            // Symmetric: a real draw, replaced with probability p by a synthetic image of the same class,
            // so every class's share of synthetic draws is p whatever the pool sizes.
            return (0..<n).map { _ in
                let index = rng.integer(below: real.count)
                let members = syntheticByClass[real.labels[index]]
                if !members.isEmpty && Double(rng.uniform()) < p { return Draw(synthetic: true, index: members[rng.integer(below: members.count)]) }
                return Draw(synthetic: false, index: index)
            }
        }
        if order.count < n { order += rng.permutation(real.count) }
        defer { order.removeFirst(n) }
        return order.prefix(n).map { Draw(synthetic: false, index: $0) }
    }

    func label(_ draw: Draw) -> Int { draw.synthetic ? synthetic!.labels[draw.index] : real.labels[draw.index] }

    /// Copies the drawn images into `batch` [n, size, size, 1].
    func fill(_ batch: Tensor, with draws: [Draw]) {
        let area = real.size * real.size
        batch.reshapeForReuse([draws.count, real.size, real.size, 1])
        real.pixels.withUnsafeBufferPointer { realPixels in
            (synthetic?.pixels ?? []).withUnsafeBufferPointer { syntheticPixels in
                for (slot, draw) in draws.enumerated() {
                    let source = draw.synthetic ? syntheticPixels : realPixels
                    (batch.data + slot * area).update(from: source.baseAddress! + draw.index * area, count: area)
                }
            }
        }
    }
}

/// Per-image standardization of classifier inputs: clip to the image's 0.5th–99.5th percentiles, then
/// subtract its mean and divide by its standard deviation. Scanners and exports differ in window,
/// brightness and contrast; a from-scratch network should not learn those as class cues (the brain
/// classes come from different sources). Applied identically in training and inference.
public enum InputStandardization {
    public static let lowerPercentile: Float = 0.005
    public static let upperPercentile: Float = 0.995

    /// Standardizes every image of `batch` [N, S, S, 1] in place.
    public static func apply(to batch: Tensor) {
        let n = batch.shape[0], area = batch.count / max(1, n)
        var sorted = [Float](repeating: 0, count: area)
        for i in 0..<n {
            let image = batch.data + i * area
            for j in 0..<area { sorted[j] = image[j] }
            sorted.sort()
            let low = sorted[Int(Float(area - 1) * lowerPercentile)], high = sorted[Int(Float(area - 1) * upperPercentile)]
            var sum: Double = 0, squares: Double = 0
            for j in 0..<area {
                let v = min(max(image[j], low), high)
                image[j] = v
                sum += Double(v)
                squares += Double(v) * Double(v)
            }
            let mean = sum / Double(area)
            let sd = max((squares / Double(area) - mean * mean).squareRoot(), 1e-3)
            for j in 0..<area { image[j] = Float((Double(image[j]) - mean) / sd) }
        }
    }
}
