// Trains the conditional GAN on LabeledImages: class-balanced real batches (the rare classes, the ones
// that need synthesis, are seen as often as the common ones), DiffAugment before D, an exponential
// moving average of the generator's weights for sampling, and checkpoints that resume exactly.
import Foundation
import Kernels
import Models
import NN
import Tensor

public struct GANTrainingSettings: Codable, Sendable, Equatable {
    public var batchSize = 64
    public var learningRate: Float = 2e-4
    public var emaDecay: Float = 0.999
    public var diffAugment = true
    public var seed: UInt64 = 1
    /// Widths (defaults: the benchmark cGAN).
    public var generatorChannels = 256
    public var discriminatorChannels = 32
    public var latentDimension = 128
    public var embeddingDimension = 128
    /// Spectral normalization of the discriminator's convolution and linear weights (Miyato et al. 2018):
    /// on for new GANs, because it measurably improved the samples (docs/results.md: FCD lower in every
    /// class, synthetic-only accuracy +3.7 points on the scarce-class chest X-ray run). Optional so that
    /// checkpoints written before it existed load as they were trained (missing: off).
    public var spectralNormalization: Bool? = true
    /// Class-conditional batch norm in every generator up-block (per-class γ and β; BigGAN, SNGAN-projection).
    /// Off until an A/B judged by per-class CAS says otherwise; nil in older checkpoints means off.
    public var conditionalBatchNorm: Bool? = nil
    /// LeCam regularization weight for D (Tseng et al. 2021; nil or 0: off).
    public var lecamWeight: Float? = nil
    /// D's learning rate when it differs from G's (two time-scale update rule; nil: the same).
    public var discriminatorLearningRate: Float? = nil
    /// Adam's β1 for both networks (nil: 0.5, DCGAN's).
    public var beta1: Float? = nil
    /// How real batches (and the fake labels) draw classes (nil: uniformly).
    public var classSampling: ClassSampling? = nil
    /// Transitional conditioning (nil: conditional from the first step).
    public var transitionalConditioning: ConditioningRamp? = nil
    /// Batch norm in the discriminator's down-blocks (nil: on, as every checkpoint before the option was
    /// trained; false: SNGAN's discriminator, spectral normalization alone — see `Discriminator`).
    public var discriminatorBatchNorm: Bool? = nil
    /// Weight of MSGAN's mode-seeking term in G's loss (Mao et al. CVPR 2019; nil or 0: off). On, the fake
    /// batch's second half repeats the first half's labels with new latents (`ModeSeekingKernel`).
    public var modeSeekingWeight: Float? = nil
    public init() {}
}

/// Transitional conditioning (Shahbazi et al., "Collapse by Conditioning: Training Class-conditional GANs
/// with Limited Data", ICLR 2022): the GAN starts unconditional — every class's images teach one shared
/// generator — and the class is ramped in, so a rare class borrows the common classes' structure instead of
/// being learnt (and memorized) from its few images alone. λ = 0 before `start`, rises linearly to 1 at
/// `end` (iterations), then stays 1; it scales the generator's class embedding and D's projection term.
public struct ConditioningRamp: Codable, Sendable, Equatable, CustomStringConvertible {
    public var start: Int
    public var end: Int

    public init(start: Int, end: Int) {
        precondition(start >= 0 && end >= start, "ConditioningRamp: need 0 ≤ start ≤ end")
        self.start = start; self.end = end
    }

    /// Parses "START,END" (whole steps, spaces allowed around each; 0 ≤ START ≤ END), as `cohort experiment
    /// --transitional-conditioning` and cohortd's `gan.transitional_conditioning` write it; nil otherwise.
    public init?(parsing text: String) {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let start = parts[0], let end = parts[1], start >= 0, end >= start else { return nil }
        self.init(start: start, end: end)
    }

    /// λ at `iteration` (the number of iterations done before the step it is used in).
    public func weight(at iteration: Int) -> Float {
        if iteration >= end { return 1 }
        if iteration < start { return 0 }
        return Float(iteration - start) / Float(end - start)
    }

    public var description: String { "\(start)-\(end)" }
}

/// One class per draw, among the classes with images: uniformly, or ∝ √n (one uniform number, cumulative weights).
public struct ClassDraw: Sendable {
    let present: [Int]
    let cumulative: [Double]
    let sampling: ClassSampling

    public init(counts: [Int], sampling: ClassSampling) {
        present = counts.indices.filter { counts[$0] > 0 }
        cumulative = present.map { sampling == .squareRoot ? Double(counts[$0]).squareRoot() : 1 }
            .reduce(into: [Double]()) { $0.append(($0.last ?? 0) + $1) }
        self.sampling = sampling
    }

    public func draw(_ rng: inout RandomGenerator) -> Int {
        guard sampling == .squareRoot else { return present[rng.integer(below: present.count)] }
        let u = Double(rng.uniform()) * cumulative.last!
        return present[cumulative.firstIndex { u < $0 } ?? present.count - 1]
    }
}

/// How the GAN's batches draw classes.
public enum ClassSampling: String, Codable, Sendable, CaseIterable {
    /// Every class equally often (the 105 scarce viral images fill a third of every batch).
    case uniform
    /// ∝ √(images of the class): rare classes still over-represented, but less.
    case squareRoot = "sqrt"
}

public final class GANTrainer {
    public let classes: [String]
    public let settings: GANTrainingSettings
    public let step: GANTrainingStep
    public let ema: ExponentialMovingAverage
    public var iteration: Int { iterationValue }
    /// Setting it (a step, a resume) sets both networks' conditioning weight from the ramp, so training,
    /// sampling and a resumed run all see λ(iteration).
    var iterationValue = 0 {
        didSet { applyConditioningRamp() }
    }
    var rng: RandomGenerator
    /// The iteration whose EMA weights the EMA's buffers hold standing statistics for (nil: not computed
    /// since the last update or load). Sampling recomputes them only when this is stale — once per
    /// checkpoint, not once per batch of samples (measured: 16 training-mode passes per 64-sample batch were
    /// ~90% of a 6,000-sample draw).
    var standingStatisticsIteration: Int?
    /// How many times sampling has recomputed them (tests check it is once per iteration).
    private(set) var standingStatisticsComputations = 0

    public var generator: Generator { step.generator }
    public var discriminator: Discriminator { step.discriminator }

    /// A new, untrained GAN for `classes` at `imageSize` (DCGAN initialization).
    public init(classes: [String], imageSize: Int, settings: GANTrainingSettings = GANTrainingSettings()) {
        self.classes = classes
        self.settings = settings
        var seeds = RandomGenerator(seed: settings.seed)
        let g = Generator(
            .init(
                classes: classes.count, latentDimension: settings.latentDimension, embeddingDimension: settings.embeddingDimension,
                baseChannels: settings.generatorChannels, imageSize: imageSize,
                conditionalNorm: settings.conditionalBatchNorm == true), initializer: .dcgan, seed: seeds.next())
        let d = Discriminator(
            .init(
                classes: classes.count, baseChannels: settings.discriminatorChannels, imageSize: imageSize,
                batchNorm: settings.discriminatorBatchNorm ?? true),
            initializer: .dcgan, seed: seeds.next())
        step = GANTrainingStep(
            generator: g, discriminator: d, learningRate: settings.learningRate,
            discriminatorLearningRate: settings.discriminatorLearningRate, beta1: settings.beta1 ?? 0.5)
        if let weight = settings.lecamWeight, weight > 0 { step.lecam = LeCamRegularizer(weight: weight) }
        step.modeSeekingWeight = max(0, settings.modeSeekingWeight ?? 0)
        step.augment = settings.diffAugment ? DiffAugment() : nil
        if settings.spectralNormalization == true {
            step.spectralNorm = SpectralNorm(store: d.store, weights: d.spectrallyNormalizedWeights, seed: seeds.next())
        }
        step.rng = RandomGenerator(seed: seeds.next())
        ema = ExponentialMovingAverage(copying: g.store, decay: settings.emaDecay)
        rng = RandomGenerator(seed: seeds.next())
        applyConditioningRamp()
    }

    /// λ(iteration) into the generator and the discriminator (1 without a ramp).
    func applyConditioningRamp() {
        let lambda = settings.transitionalConditioning?.weight(at: iterationValue) ?? 1
        step.generator.conditioningWeight = lambda
        step.discriminator.conditioningWeight = lambda
    }

    /// Runs up to `steps` iterations on `data`; `progress(iteration, losses)` after each. `shouldStop` is
    /// asked before every iteration (a shutdown stops at a step boundary). Returns the iterations run.
    @discardableResult
    public func train(
        on data: LabeledImages, steps: Int, shouldStop: () -> Bool = { false },
        progress: (Int, GANTrainingStep.Losses) -> Void = { _, _ in }
    ) -> Int {
        precondition(
            data.size == generator.configuration.imageSize, "GANTrainer: data at \(data.size) px, model at \(generator.configuration.imageSize)")
        let byClass = (0..<classes.count).map { c in data.labels.indices.filter { data.labels[$0] == c } }
        let present = byClass.indices.filter { !byClass[$0].isEmpty }
        precondition(!present.isEmpty, "GANTrainer: no images")
        let classDraw = ClassDraw(counts: byClass.map(\.count), sampling: settings.classSampling ?? .uniform)
        func drawClass() -> Int { classDraw.draw(&rng) }
        let n = settings.batchSize
        let pairedLabels = step.modeSeekingWeight > 0
        precondition(!pairedLabels || n % 2 == 0, "GANTrainer: mode seeking needs an even batch size")
        let real = Tensor(shape: [n, data.size, data.size, 1])
        let z = Tensor(shape: [n, generator.configuration.latentDimension])
        for done in 0..<steps {
            if shouldStop() { return done }
            let labels = (0..<n).map { _ in drawClass() }
            data.fill(real, with: labels.map { byClass[$0][rng.integer(below: byClass[$0].count)] })
            for i in 0..<z.count { z[i] = rng.normal() }
            let fakeLabels = pairedLabels ? Self.pairedHalves(n) { drawClass() } : (0..<n).map { _ in drawClass() }
            let losses = step.run(real: real, labels: labels, z: z, fakeLabels: fakeLabels)
            ema.update(from: generator.store, step: iterationValue)
            iterationValue += 1
            progress(iterationValue, losses)
        }
        return steps
    }

    /// `n` labels whose second half repeats the first (mode seeking's pairs: image i and N/2 + i).
    static func pairedHalves(_ n: Int, draw: () -> Int) -> [Int] {
        let half = (0..<(n / 2)).map { _ in draw() }
        return half + half
    }

    /// Samples [count, S, S, 1] in [-1, 1] of class `label` from the EMA generator, seeded.
    public func sample(label: Int, count: Int, seed: UInt64) -> Tensor {
        let fresh = standingStatisticsIteration == iterationValue
        standingStatisticsIteration = iterationValue
        if !fresh { standingStatisticsComputations += 1 }
        return GANSampler.sample(generator: generator, weights: ema, label: label, count: count, seed: seed, recomputingStatistics: !fresh)
    }
}

/// Sampling from a generator with (optionally) swapped-in averaged weights. Measured on brain MRI before
/// standing statistics were added: a classifier trained on EMA samples scored 12% on real scans (chance
/// 25%) — the EMA weights (decay 0.999) were normalized with the live weights' running statistics.
public enum GANSampler {
    /// The latents and labels of the standing-statistics passes.
    static let standingStatisticsSeed: UInt64 = 0x5EED
    /// Samples [count, S, S, 1] of class `label` from `generator`, with `weights` swapped in when given.
    /// With averaged weights the batch-norm statistics are the standing statistics kept in the average's
    /// buffers: recomputed first when `recomputingStatistics` (always from the same latents, so every caller
    /// gets the same statistics for the same weights), reused as they are otherwise.
    public static func sample(
        generator: Generator, weights: ExponentialMovingAverage?, label: Int, count: Int, seed: UInt64, recomputingStatistics: Bool = true
    ) -> Tensor {
        var rng = RandomGenerator(seed: seed)
        let z = Tensor(shape: [count, generator.configuration.latentDimension])
        for i in 0..<z.count { z[i] = rng.normal() }
        weights?.swap(with: generator.store)
        defer { weights?.swap(with: generator.store) }
        // The averaged weights need their own batch-norm statistics (the live weights' do not fit them).
        if weights != nil && recomputingStatistics { generator.recomputeBatchNormStatistics(seed: standingStatisticsSeed) }
        let images = generator.forward(z: z, labels: [Int](repeating: label, count: count), mode: .inference, slot: 7)
        let out = Tensor(shape: images.shape)
        out.copy(from: images)
        return out
    }
}
