// Trains and evaluates the classifier on LabeledImages: AdamW with linear warm-up and cosine decay,
// label smoothing, radiograph augmentation, per-image standardization, an exponential moving average of
// the weights for evaluation, and either a class-balanced sampler (every batch draws classes uniformly —
// the rare class is seen as often as the common one) or shuffled epochs. With synthetic images, the
// sampler follows a MixingPolicy (synthetic draws add steps; the final phase is real only).
import Foundation
import Kernels
import Models
import NN
import Tensor

public struct ClassifierTrainingSettings: Sendable, Equatable {
    public var epochs = 10
    public var batchSize = 32
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0.05
    /// Fraction of all steps spent warming up.
    public var warmupFraction: Float = 0.05
    public var labelSmoothing: Float = 0.1
    public var augmentation = RadiographAugmentation()
    public var balancedSampling = true
    /// Per-image standardization of every input, in training and inference alike (InputStandardization).
    public var standardizeInputs = true
    /// Decay of the weights' moving average used for evaluation (nil: evaluate the live weights).
    public var emaDecay: Float? = 0.999
    public var seed: UInt64 = 1

    public init() {}

    /// Steps of a real-only run on `count` images: epochs × batches per epoch.
    public func realOnlySteps(images count: Int) -> Int {
        epochs * max(1, (count + batchSize - 1) / batchSize)
    }
}

/// One training run's trace: loss per step.
public struct TrainingTrace: Codable, Sendable {
    public var losses: [Float]
    public var seconds: Double
    /// Validation macro-F1 (evaluation weights) after every 1/epochs of the run's steps (an epoch of real
    /// images in a real-only run), when monitored: the curve the epoch count is chosen from. Points come
    /// from one cosine schedule, so they show convergence, not what a shorter schedule would reach.
    public var validationCurve: [CurvePoint] = []
    /// Why the run did not do what was asked, if it did not (e.g. synthetic images dropped).
    public var note: String?
}

/// One point of a validation curve.
public struct CurvePoint: Codable, Sendable, Equatable {
    public var epoch: Double
    public var step: Int
    public var macroF1: Double

    enum CodingKeys: String, CodingKey {
        case epoch, step
        case macroF1 = "macro_f1"
    }
}

public final class ClassifierTrainer {
    public let model: Classifier
    public let settings: ClassifierTrainingSettings
    private var rng: RandomGenerator
    /// The weights' moving average (evaluation uses it when present).
    public private(set) var average: ExponentialMovingAverage?

    public init(model: Classifier, settings: ClassifierTrainingSettings) {
        self.model = model
        self.settings = settings
        rng = RandomGenerator(seed: settings.seed)
    }

    /// Trains on `data` (real images) and, when given, `synthetic` images mixed in by `mixing`;
    /// `progress(step, totalSteps, loss)` is called after every step. `shouldStop` is asked before every
    /// step; a stopped run returns the losses so far.
    ///
    /// Without synthetic images the run has `epochs` × ⌈n / batch⌉ steps. With them, the real images
    /// get as many draws as that real-only run (`MixingPolicy.steps`), synthetic draws add steps, and
    /// the last `realOnlyFinalFraction` of the steps draws real images only. If a class with real images
    /// has no synthetic ones, the symmetric policy cannot hold and the run uses real images only
    /// (`TrainingTrace.note` says so).
    ///
    /// With `monitor` (a *validation* set — never a test set), the evaluation weights are scored on it
    /// after every epoch's worth of steps (`TrainingTrace.validationCurve`).
    @discardableResult
    public func train(
        on data: LabeledImages, synthetic: LabeledImages? = nil, mixing: MixingPolicy = MixingPolicy(),
        monitor: LabeledImages? = nil,
        shouldStop: () -> Bool = { false }, progress: (Int, Int, Float) -> Void = { _, _, _ in }
    ) -> TrainingTrace {
        let start = Date()
        var synthetic = synthetic.flatMap { $0.count > 0 ? $0 : nil }
        var note: String?
        if let pool = synthetic, mixing.kind == .symmetric {
            let missing = MixedSampler(real: data, synthetic: pool, mixing: mixing, balanced: settings.balancedSampling).classesWithoutSynthetic
            if !missing.isEmpty {
                // Mixing into some classes only would make "synthetic" a label cue: train on real images only.
                note = "no synthetic images for " + missing.map { data.classes[$0] }.joined(separator: ", ") + ": trained on real images only"
                synthetic = nil
            }
        }
        let realSteps = settings.realOnlySteps(images: data.count)
        let total = synthetic == nil ? realSteps : mixing.steps(realOnlySteps: realSteps)
        let mixingEnds = synthetic == nil ? 0 : total - Int((Double(total) * mixing.realOnlyFinalFraction).rounded())
        let step = ClassifierTrainingStep(
            model: model, learningRate: settings.learningRate, weightDecay: settings.weightDecay,
            labelSmoothing: settings.labelSmoothing)
        let schedule = WarmupCosineSchedule(
            base: settings.learningRate, minimum: settings.learningRate * 0.01,
            warmupSteps: max(1, Int(Float(total) * settings.warmupFraction)), totalSteps: total)
        average = settings.emaDecay.map { ExponentialMovingAverage(copying: model.store, decay: $0, averagingBuffers: true) }
        var sampler = MixedSampler(real: data, synthetic: synthetic, mixing: mixing, balanced: settings.balancedSampling)
        let syntheticWeight: Float? = mixing.syntheticLossWeight == 1 ? nil : Float(mixing.syntheticLossWeight)
        let batch = Tensor(shape: [settings.batchSize, data.size, data.size, 1])
        var losses: [Float] = []
        var curve: [CurvePoint] = []
        let stepsPerEpoch = Double(total) / Double(max(1, settings.epochs))
        var nextEpoch = 1
        for t in 0..<total {
            if shouldStop() { break }
            if let monitor, Double(t) >= Double(nextEpoch) * stepsPerEpoch - 0.5 {
                curve.append(CurvePoint(epoch: Double(nextEpoch), step: t, macroF1: evaluate(monitor).macroF1))
                nextEpoch += 1
            }
            let draws = sampler.draw(settings.batchSize, mixing: t < mixingEnds, rng: &rng)
            sampler.fill(batch, with: draws)
            settings.augmentation.apply(to: batch, rng: &rng)
            if settings.standardizeInputs { InputStandardization.apply(to: batch) }
            step.optimizer.learningRate = schedule.rate(at: t)
            let weights = syntheticWeight.flatMap { w in draws.contains { $0.synthetic } ? draws.map { $0.synthetic ? w : 1 } : nil }
            let loss = step.run(images: batch, labels: draws.map(sampler.label), sampleWeights: weights)
            average?.update(from: model.store, step: t)
            losses.append(loss)
            progress(t + 1, total, loss)
        }
        if let monitor, losses.count == total {
            curve.append(CurvePoint(epoch: Double(settings.epochs), step: total, macroF1: evaluate(monitor).macroF1))
        }
        return TrainingTrace(losses: losses, seconds: Date().timeIntervalSince(start), validationCurve: curve, note: note)
    }

    /// Runs `body` with the averaged weights swapped in (if any).
    private func withEvaluationWeights<T>(_ body: () -> T) -> T {
        average?.swap(with: model.store)
        defer { average?.swap(with: model.store) }
        return body()
    }

    /// Runs `body(indices, batch)` over `data` in inference-sized batches (in `view`, when given, then
    /// standardized like training inputs), with the evaluation weights in place.
    private func forEachBatch(
        _ data: LabeledImages, batchSize: Int, view: TestTimeAugmentation.View? = nil,
        _ body: ([Int], Tensor) -> Void
    ) {
        let batch = Tensor(shape: [1, data.size, data.size, 1])
        let viewed = view.map { _ in Tensor(shape: [1, data.size, data.size, 1]) }
        withEvaluationWeights {
            var index = 0
            while index < data.count {
                let indices = Array(index..<min(data.count, index + batchSize))
                data.fill(batch, with: indices)
                var input = batch
                if let view, let viewed {
                    viewed.reshapeForReuse(batch.shape)
                    TestTimeAugmentation.render(view, of: batch, into: viewed)
                    input = viewed
                }
                if settings.standardizeInputs { InputStandardization.apply(to: input) }
                body(indices, input)
                index += batchSize
            }
        }
    }

    /// Class probabilities [image][class] in inference mode; with `testTimeAugmentation`, the mean of the
    /// probabilities over its views.
    public func probabilities(_ data: LabeledImages, batchSize: Int = 64, testTimeAugmentation: TestTimeAugmentation? = nil) -> [[Float]] {
        let views: [TestTimeAugmentation.View?] = testTimeAugmentation?.views ?? [nil]
        var result = [[Float]](repeating: [Float](repeating: 0, count: model.configuration.classes), count: data.count)
        let k = model.configuration.classes
        for view in views {
            forEachBatch(data, batchSize: batchSize, view: view) { indices, batch in
                let logits = model.forward(batch, mode: .inference, slot: 5)
                for (row, image) in indices.enumerated() {
                    let values = (0..<k).map { logits[row * k + $0] }
                    let top = values.max()!
                    let exps = values.map { Foundation.exp($0 - top) }
                    let sum = exps.reduce(0, +)
                    for c in 0..<k { result[image][c] += exps[c] / sum / Float(views.count) }
                }
            }
        }
        return result
    }

    /// Penultimate (pooled) features [image][feature] in inference mode, for FCD and memorization checks.
    public func features(_ data: LabeledImages, batchSize: Int = 64) -> [[Float]] {
        var result: [[Float]] = []
        forEachBatch(data, batchSize: batchSize) { indices, batch in
            let f = model.features(batch, mode: .inference, slot: 6)
            let width = f.shape[1]
            for row in 0..<indices.count { result.append(Array(UnsafeBufferPointer(start: f.data + row * width, count: width))) }
        }
        return result
    }

    /// Accuracy, balanced accuracy, macro-F1, per-class figures and AUC on `data`.
    public func evaluate(_ data: LabeledImages) -> ClassificationMetrics { evaluatePerImage(data).metrics }

    /// The metrics and, per image, whether the prediction was right (for paired tests on the same images);
    /// with `testTimeAugmentation`, from the probabilities averaged over its views.
    public func evaluatePerImage(_ data: LabeledImages, testTimeAugmentation: TestTimeAugmentation? = nil) -> (
        metrics: ClassificationMetrics, correct: [Bool]
    ) {
        let probabilities = probabilities(data, testTimeAugmentation: testTimeAugmentation)
        let predictions = probabilities.map { p in p.indices.max { p[$0] < p[$1] }! }
        let metrics = ClassificationMetrics(labels: data.labels, predictions: predictions, scores: probabilities, classes: data.classes)
        return (metrics, zip(predictions, data.labels).map { $0 == $1 })
    }
}
