// Drawing synthetic samples of one class for use: from the EMA generator, in rounds, each sample passed
// through the memorization filter (no near-copies of a real training image) and, when a real-only
// classifier is given, the acceptance filter (its probability for the intended class ≥ τ). One
// implementation for `cohort experiment`, cohortd's publisher and `cohortctl generate`.
import Curation
import Foundation
import Tensor

/// The acceptance filter: a real-only classifier, the class names of its outputs, and τ.
public struct AcceptanceJudge {
    public var classifier: ClassifierTrainer
    public var classes: [String]
    public var threshold: Double

    public init(classifier: ClassifierTrainer, classes: [String], threshold: Double) {
        self.classifier = classifier
        self.classes = classes
        self.threshold = threshold
    }
}

public struct SyntheticDrawing: Sendable {
    /// One accepted sample.
    public struct Sample: Sendable {
        /// [size · size] in [-1, 1].
        public var pixels: [Float]
        /// Index within the draw (with the seed, reproduces the sample).
        public var index: Int
        /// RMS pixel distance to the nearest real training image of the class.
        public var nearestRealDistance: Float
        /// The real-only classifier's probability for the intended class (nil without a classifier).
        public var score: Float?
    }

    public var seed: UInt64
    public var accepted: [Sample]
    /// Samples drawn in all.
    public var drawn: Int
    /// Rejected as near-copies of a real image.
    public var nearCopiesRejected: Int
    /// Rejected by the acceptance filter.
    public var belowThreshold: Int
    /// The near-copy pixel threshold used.
    public var pixelThreshold: Float

    /// Of the samples that passed the memorization filter, the fraction the classifier accepted.
    public var acceptanceRate: Double {
        let judged = accepted.count + belowThreshold
        return judged == 0 ? 1 : Double(accepted.count) / Double(judged)
    }

    /// Samples drawn beyond the wanted count per round, to make up for rejections.
    public static let oversampling = 1.25
    /// A generator that only copies, or a class the classifier never recognises, gives up after this many
    /// draws per wanted sample.
    public static let maximumDrawsPerSample = 6

    /// Draws `count` samples of class `label`.
    /// - Parameters:
    ///   - realOfClass: the class's real training images [count][size·size] (the near-copy reference).
    ///   - acceptance: the real-only classifier and τ; nil (or τ ≤ 0, or a judge that does not know the
    ///     class) accepts every non-copy. The judge's output for the class is found by class name.
    public static func draw(
        label: Int, count: Int, gan: GANTrainer, realOfClass: [[Float]], seed: UInt64,
        acceptance: AcceptanceJudge? = nil
    ) -> SyntheticDrawing {
        let size = gan.generator.configuration.imageSize
        let area = size * size
        var result = SyntheticDrawing(seed: seed, accepted: [], drawn: 0, nearCopiesRejected: 0, belowThreshold: 0, pixelThreshold: 0)
        let judge = acceptance.flatMap { $0.threshold > 0 ? $0 : nil }
        let judgeIndex = judge.flatMap { $0.classes.firstIndex(of: gan.classes[label]) }
        let threshold = MemorizationCheck.pixelThreshold(real: realOfClass)
        while result.accepted.count < count && result.drawn < count * maximumDrawsPerSample {
            let n = max(8, Int((Double(count - result.accepted.count) * oversampling).rounded(.up)))
            var rows: [[Float]] = []
            for start in stride(from: 0, to: n, by: 64) {
                let tensor = gan.sample(label: label, count: min(64, n - start), seed: seed &+ UInt64(result.drawn + start))
                for i in 0..<tensor.shape[0] { rows.append(Array(UnsafeBufferPointer(start: tensor.data + i * area, count: area))) }
            }
            let check = MemorizationCheck(real: realOfClass, synthetic: rows, pixelThreshold: threshold)
            result.pixelThreshold = check.pixelThreshold
            var scores: [Float?] = [Float?](repeating: nil, count: rows.count)
            if let judge, let judgeIndex {
                var batch = LabeledImages(size: size, classes: judge.classes)
                for row in rows { batch.append(row[...], label: judgeIndex, path: "synthetic") }
                scores = judge.classifier.probabilities(batch).map { $0[judgeIndex] }
            }
            for i in rows.indices {
                if check.nearCopies[i] { result.nearCopiesRejected += 1; continue }
                if let judge, let score = scores[i], Double(score) < judge.threshold { result.belowThreshold += 1; continue }
                if result.accepted.count < count {
                    result.accepted.append(
                        Sample(pixels: rows[i], index: result.drawn + i, nearestRealDistance: check.pixelDistances[i], score: scores[i]))
                }
            }
            result.drawn += n
        }
        return result
    }

    /// The accepted samples as LabeledImages of class `label`.
    public func images(label: Int, size: Int, classes: [String]) -> LabeledImages {
        var out = LabeledImages(size: size, classes: classes)
        for sample in accepted { out.append(sample.pixels[...], label: label, path: "synthetic") }
        return out
    }
}

extension LabeledImages {
    /// The images of class `c` as [count][size·size] rows.
    public func rows(ofClass c: Int) -> [[Float]] {
        let area = size * size
        return labels.indices.filter { labels[$0] == c }.map { Array(pixels[($0 * area)..<(($0 + 1) * area)]) }
    }
}
