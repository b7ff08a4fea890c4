// The experiment's small parts: a variant's table row and paired tests over seeds, per-class sampling
// seeds, the text forms that key the cache, and the one-line figures of the log.
import Foundation

extension Experiment {
    typealias Outcome = (metrics: ClassificationMetrics, correct: [Bool], images: Int, steps: Int)

    /// Metrics and per-image correctness of `model` on `data` (with test-time augmentation when given).
    static func judge(_ model: ClassifierTrainer, _ data: LabeledImages, images: Int, steps: Int, tta: TestTimeAugmentation? = nil) -> Outcome {
        let (metrics, correct) = model.evaluatePerImage(data, testTimeAugmentation: tta)
        return (metrics, correct, images, steps)
    }

    /// One table row over seeds; with a `baseline`, the paired tests against it (overall and per class);
    /// `notes` say which seeds did not train as asked (`ExperimentRow.notes`).
    static func row(
        _ name: String, _ runs: [Outcome], classes: [String], baseline: [Outcome]?, evaluation: LabeledImages? = nil, notes: [String]? = nil
    ) -> ExperimentRow {
        var row = ExperimentRow(
            training: name, images: runs[0].images, steps: runs[0].steps,
            accuracy: SeedStatistic(runs.map(\.metrics.accuracy)), balancedAccuracy: SeedStatistic(runs.map(\.metrics.balancedAccuracy)),
            macroF1: SeedStatistic(runs.map(\.metrics.macroF1)),
            recall: Dictionary(uniqueKeysWithValues: classes.indices.map { c in (classes[c], SeedStatistic(runs.map { $0.metrics.recall[c] })) }),
            auc: runs.allSatisfy { $0.metrics.auc != nil } ? SeedStatistic(runs.map { $0.metrics.auc! }) : nil, notes: notes)
        row.confusion = summedConfusion(runs.map(\.metrics.confusion))
        if let baseline, let evaluation, baseline.count == runs.count {
            row.pairedTest = PairedComparison(first: baseline.map(\.correct), second: runs.map(\.correct))
            row.pairedTestByClass = PairedComparison.byClass(
                first: baseline.map(\.correct), second: runs.map(\.correct),
                labels: evaluation.labels, classes: classes)
        }
        return row
    }

    /// Element-wise sum of same-sized confusion matrices (one per seed).
    static func summedConfusion(_ matrices: [[[Int]]]) -> [[Int]]? {
        guard let first = matrices.first else { return nil }
        return matrices.dropFirst().reduce(first) { sum, m in zip(sum, m).map { zip($0, $1).map(+) } }
    }

    /// A per-class sampling seed that no other class's draws reach (SplitMix64 of seed and class): draws
    /// of one class use consecutive seeds from it, which must not run into another class's.
    static func sampleSeed(_ seed: UInt64, label: Int) -> UInt64 {
        var z = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(label + 1)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A stable text form of settings for cache keys.
    static func describe<T>(_ value: T) -> String { String(describing: value) }

    /// The GAN settings as they enter the cache key. An option added after entries were written appears
    /// only when it is set, so a GAN trained before the option existed (necessarily without it) is still found.
    static func ganKey(_ settings: GANTrainingSettings) -> String {
        describe(settings).replacingOccurrences(of: ", transitionalConditioning: nil", with: "")
            .replacingOccurrences(of: ", discriminatorBatchNorm: nil", with: "")
            .replacingOccurrences(of: ", modeSeekingWeight: nil", with: "")
    }

    /// One seed's figures for the log, so a long run's partial results survive an interruption.
    static func brief(_ metrics: ClassificationMetrics, classes: [String]) -> String {
        "macro-F1 \(pct(metrics.macroF1)), accuracy \(pct(metrics.accuracy)), recall "
            + zip(classes, metrics.recall).map { "\($0) \(pct($1))" }.joined(separator: ", ")
    }
}
