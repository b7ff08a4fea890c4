// Trains and evaluates the classifier on LabeledImages: AdamW with linear warm-up and cosine decay,
// label smoothing, radiograph augmentation, and either a class-balanced sampler (every batch draws
// classes uniformly — the rare class is seen as often as the common one) or shuffled epochs.
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
    public var seed: UInt64 = 1

    public init() {}
}

/// One training run's trace: loss per step.
public struct TrainingTrace: Codable, Sendable {
    public var losses: [Float]
    public var seconds: Double
}

public final class ClassifierTrainer {
    public let model: Classifier
    public let settings: ClassifierTrainingSettings
    private var rng: RandomGenerator

    public init(model: Classifier, settings: ClassifierTrainingSettings) {
        self.model = model
        self.settings = settings
        rng = RandomGenerator(seed: settings.seed)
    }

    /// Trains on `data`; `progress(step, totalSteps, loss)` is called after every step. `shouldStop` is
    /// asked before every step; a stopped run returns the losses so far.
    @discardableResult
    public func train(on data: LabeledImages, shouldStop: () -> Bool = { false },
                      progress: (Int, Int, Float) -> Void = { _, _, _ in }) -> TrainingTrace {
        let start = Date()
        let stepsPerEpoch = max(1, (data.count + settings.batchSize - 1) / settings.batchSize)
        let total = settings.epochs * stepsPerEpoch
        let step = ClassifierTrainingStep(model: model, learningRate: settings.learningRate, weightDecay: settings.weightDecay,
                                          labelSmoothing: settings.labelSmoothing)
        let schedule = WarmupCosineSchedule(base: settings.learningRate, minimum: settings.learningRate * 0.01,
                                            warmupSteps: max(1, Int(Float(total) * settings.warmupFraction)), totalSteps: total)
        let byClass = (0..<data.classes.count).map { c in data.labels.indices.filter { data.labels[$0] == c } }.filter { !$0.isEmpty }
        let batch = Tensor(shape: [settings.batchSize, data.size, data.size, 1])
        var order: [Int] = []
        var losses: [Float] = []
        for t in 0..<total {
            if shouldStop() { break }
            let indices: [Int]
            if settings.balancedSampling {
                indices = (0..<min(settings.batchSize, data.count)).map { _ in
                    let members = byClass[rng.integer(below: byClass.count)]
                    return members[rng.integer(below: members.count)]
                }
            } else {
                if order.count < settings.batchSize { order += rng.permutation(data.count) }
                indices = Array(order.prefix(min(settings.batchSize, data.count)))
                order.removeFirst(indices.count)
            }
            data.fill(batch, with: indices)
            settings.augmentation.apply(to: batch, rng: &rng)
            step.optimizer.learningRate = schedule.rate(at: t)
            let loss = step.run(images: batch, labels: indices.map { data.labels[$0] })
            losses.append(loss)
            progress(t + 1, total, loss)
        }
        return TrainingTrace(losses: losses, seconds: Date().timeIntervalSince(start))
    }

    /// Runs `body(indices, batch)` over `data` in inference-sized batches.
    private func forEachBatch(_ data: LabeledImages, batchSize: Int, _ body: ([Int], Tensor) -> Void) {
        let batch = Tensor(shape: [1, data.size, data.size, 1])
        var index = 0
        while index < data.count {
            let indices = Array(index..<min(data.count, index + batchSize))
            data.fill(batch, with: indices)
            body(indices, batch)
            index += batchSize
        }
    }

    /// Class probabilities [image][class] in inference mode.
    public func probabilities(_ data: LabeledImages, batchSize: Int = 64) -> [[Float]] {
        var result: [[Float]] = []
        let k = model.configuration.classes
        forEachBatch(data, batchSize: batchSize) { indices, batch in
            let logits = model.forward(batch, mode: .inference, slot: 5)
            for row in 0..<indices.count {
                let values = (0..<k).map { logits[row * k + $0] }
                let top = values.max()!
                let exps = values.map { Foundation.exp($0 - top) }
                let sum = exps.reduce(0, +)
                result.append(exps.map { $0 / sum })
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
    public func evaluate(_ data: LabeledImages) -> ClassificationMetrics {
        let probabilities = probabilities(data)
        let predictions = probabilities.map { p in p.indices.max { p[$0] < p[$1] }! }
        return ClassificationMetrics(labels: data.labels, predictions: predictions, scores: probabilities, classes: data.classes)
    }
}
