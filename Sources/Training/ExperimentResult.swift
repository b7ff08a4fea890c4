// What `cohort experiment` reports: per training variant the mean ± standard deviation over seeds of
// every figure, the paired test of each real+synthetic variant against real-only on the same validation
// images (overall and per class), per-class CAS, FCD, diversity, acceptance and near-copies, phase times.
import Foundation

/// One training variant over all seeds.
public struct ExperimentRow: Codable, Sendable {
    /// "real", "synthetic" (classification accuracy score: trained on synthetic only) or "real+synthetic (<policy>)".
    public var training: String
    /// Training images (real + synthetic) of the first seed.
    public var images: Int
    /// Classifier steps of the first seed.
    public var steps: Int
    public var accuracy: SeedStatistic
    public var balancedAccuracy: SeedStatistic
    public var macroF1: SeedStatistic
    public var recall: [String: SeedStatistic]
    public var auc: SeedStatistic?
    /// Against real-only on the same images, pooled over seeds (nil for the real-only row itself).
    public var pairedTest: PairedComparison?
    /// Per class: the same test on that class's images (a change in its recall).
    public var pairedTestByClass: [String: PairedComparison]?
    /// confusion[true][predicted] on the validation images, summed over seeds (class order: the result's
    /// sorted class names); nil in results written before it existed. Where the errors are, not just how many.
    public var confusion: [[Int]]?
    /// Seeds whose run did not mix as asked, and why ("seed 1: no synthetic images for pituitary: trained on
    /// real images only"); nil when every seed did. Such a row is not a real+synthetic result.
    public var notes: [String]?

    /// The "vs real-only" cell: the paired test's verdict, led by the notes when a seed did not mix.
    public var comparisonText: String {
        let verdict = pairedTest?.verdict ?? "–"
        guard let notes, !notes.isEmpty else { return verdict }
        return "**not mixed as asked** (\(notes.joined(separator: "; "))); \(verdict)"
    }

    enum CodingKeys: String, CodingKey {
        case training, images, steps, accuracy, recall, auc, notes, confusion
        case balancedAccuracy = "balanced_accuracy"
        case macroF1 = "macro_f1"
        case pairedTest = "paired_test"
        case pairedTestByClass = "paired_test_by_class"
    }
}

public struct ExperimentResult: Codable, Sendable {
    /// "cohort-experiment-2": seeds (figures are {mean, sd, values}), paired tests, CAS, the mixing policy.
    public var format = "cohort-experiment-2"
    public var rows: [ExperimentRow]
    /// Per-class recall of the synthetic-only classifier on real validation images (first seed).
    public var cas: [String: Double]
    public var fcd: [String: Double]
    public var diversity: [String: Double]
    public var nearCopies: [String: Int]
    /// Fraction of non-copy samples the real-only classifier accepted, per class (first seed).
    public var acceptance: [String: Double]
    public var syntheticPerClass: [String: Int]
    public var seconds: [String: Double]
    public var evaluatedOn: String
    public var trainCounts: [String: Int]
    public var evaluationCounts: [String: Int]
    public var dataset: DatasetSummary
    public var imageSize: Int
    public var ganSteps: Int
    public var ganSeed: UInt64
    public var seeds: [UInt64]
    public var epochs: Int
    public var mixing: MixingPolicy
    public var spectralNormalization: Bool
    public var cachedPhases: [String]
    /// The first seed's real-only validation macro-F1 per epoch (empty when cached or evaluating on --test).
    public var validationCurve: [CurvePoint]
    /// Per class: mean pairwise feature distance of the samples ÷ the real validation images' (fixed network).
    public var featureDiversity: [String: Double]
    /// Every GAN setting the run trained (or found cached) with: the options of a generator A/B.
    public var gan: GANTrainingSettings?
    /// Checkpoint selection's evaluations (neighbour CAS on validation), when it ran.
    public var ganSelection: [GeneratorSelection.Point]?
    /// The training step of the generator every variant sampled from (below the GAN's steps when selection
    /// kept an earlier checkpoint).
    public var ganStep: Int?

    enum CodingKeys: String, CodingKey {
        case format, rows, cas, fcd, diversity, acceptance, seconds, dataset, seeds, epochs, mixing
        case validationCurve = "validation_curve"
        case featureDiversity = "feature_diversity"
        case spectralNormalization = "spectral_normalization"
        case nearCopies = "near_copies"
        case syntheticPerClass = "synthetic_per_class"
        case evaluatedOn = "evaluated_on"
        case trainCounts = "train_counts"
        case evaluationCounts = "evaluation_counts"
        case imageSize = "image_size"
        case ganSteps = "gan_steps"
        case ganSeed = "gan_seed"
        case cachedPhases = "cached_phases"
        case gan = "gan_settings"
        case ganSelection = "gan_selection"
        case ganStep = "gan_step"
    }
}

extension Experiment {
    /// The generator A/B options a run used, as a clause (empty when all are at their defaults).
    static func ganOptions(_ s: GANTrainingSettings) -> String {
        var options: [String] = []
        if s.conditionalBatchNorm == true { options.append("class-conditional batch norm in G") }
        if let w = s.lecamWeight, w > 0 { options.append("LeCam \(w)") }
        if let lr = s.discriminatorLearningRate { options.append("D learning rate \(lr)") }
        if let b = s.beta1 { options.append("Adam β1 \(b)") }
        if s.classSampling == .squareRoot { options.append("classes drawn ∝ √n") }
        if let ramp = s.transitionalConditioning { options.append("transitional conditioning from step \(ramp.start) to \(ramp.end)") }
        if s.discriminatorBatchNorm == false { options.append("no batch norm in D") }
        if let w = s.modeSeekingWeight, w > 0 { options.append("mode seeking \(w)") }
        return options.isEmpty ? "" : ", " + options.joined(separator: ", ")
    }

    /// The result as Markdown tables with their context.
    public static func markdown(_ r: ExperimentResult, command: String) -> String {
        let classes = r.trainCounts.keys.sorted()
        let seedText = r.seeds.count == 1 ? "seed \(r.seeds[0])" : "seeds \(r.seeds.map(String.init).joined(separator: ", ")) (mean ± SD)"
        var lines = [
            "Command: `\(command)`", "",
            "Image size \(r.imageSize) px; GAN \(r.ganSteps) steps (seed \(r.ganSeed))"
                + (r.spectralNormalization ? ", spectral normalization in D" : "") + (r.gan.map(ganOptions) ?? "")
                + "; classifier \(r.epochs) epochs of the real set; "
                + "\(seedText); evaluated on \(r.evaluatedOn)."
                + (r.dataset.groupPattern.map {
                    " Split grouped by file-name pattern `\($0)`: \(r.dataset.groups) groups, the largest \(r.dataset.largestGroup) images."
                } ?? ""),
            "Mixing: \(r.mixing.kind.rawValue), synthetic share f = \(r.mixing.syntheticShare), "
                + "real-only final \(Int(r.mixing.realOnlyFinalFraction * 100))%, acceptance τ = \(r.mixing.acceptanceThreshold)"
                + (r.mixing.maxSyntheticPerReal.map { ", at most \($0) synthetic per real" } ?? "")
                + (r.mixing.syntheticLossWeight == 1 ? "" : ", synthetic loss weight \(r.mixing.syntheticLossWeight)") + ".",
            "Train images per class: " + classes.map { "\($0) \(r.trainCounts[$0]!)" }.joined(separator: ", ")
                + "; synthetic: " + classes.map { "\($0) \(r.syntheticPerClass[$0] ?? 0)" }.joined(separator: ", ")
                + "; evaluation: " + classes.map { "\($0) \(r.evaluationCounts[$0] ?? 0)" }.joined(separator: ", ") + ".", "",
            "| training | images | steps | accuracy | balanced accuracy | macro-F1 | " + classes.map { "recall \($0)" }.joined(separator: " | ")
                + " | AUC | vs real-only |",
            "| --- | ---: | ---: | ---: | ---: | ---: | " + classes.map { _ in "---:" }.joined(separator: " | ") + " | ---: | --- |"
        ]
        for row in r.rows {
            lines.append(
                "| \(row.training) | \(row.images) | \(row.steps) | \(row.accuracy.percent) | \(row.balancedAccuracy.percent) | \(row.macroF1.percent) | "
                    + classes.map { row.recall[$0]?.percent ?? "–" }.joined(separator: " | ")
                    + " | \(row.auc.map { String(format: "%.3f", $0.mean) } ?? "–") | \(row.comparisonText) |")
        }
        lines += [
            "",
            "| class | CAS recall (synthetic only) | FCD (validation, fixed network; not Inception FID) | diversity (pixels) | diversity (features) | accepted by real-only classifier | near-copies rejected |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
        ]
        for c in classes {
            lines.append(
                "| \(c) | \(r.cas[c].map { pct($0) } ?? "–") | \(r.fcd[c].map { String(format: "%.2f", $0) } ?? "–") | "
                    + "\(r.diversity[c].map { String(format: "%.2f", $0) } ?? "–") | \(r.featureDiversity[c].map { String(format: "%.2f", $0) } ?? "–") | "
                    + "\(r.acceptance[c].map { pct($0) } ?? "–") | \(r.nearCopies[c] ?? 0) |")
        }
        if r.rows.contains(where: { $0.confusion != nil }) {
            lines.append("")
            lines.append("Errors on the validation images (true → predicted: count, summed over seeds; the largest first):")
            for row in r.rows {
                guard let confusion = row.confusion else { continue }
                lines.append("- \(row.training): " + errorsText(confusion, classes: classes))
            }
        }
        for row in r.rows where row.pairedTestByClass != nil {
            lines.append("")
            lines.append(
                "\(row.training), per class vs real-only: "
                    + classes.compactMap { c in row.pairedTestByClass?[c].map { "\(c) \($0.verdict)" } }.joined(separator: "; "))
        }
        if !r.validationCurve.isEmpty {
            lines += [
                "",
                "Real-only validation macro-F1 by epoch (first seed): "
                    + r.validationCurve.map { String(format: "%.0f: %.1f%%", $0.epoch, $0.macroF1 * 100) }.joined(separator: ", ")
            ]
        }
        if let points = r.ganSelection, !points.isEmpty {
            lines += [
                "",
                "GAN checkpoint selection (neighbour CAS: per-class recall on the validation images of a vote among their "
                    + "nearest samples in the fixed network; the mean over classes decides), kept step \(r.ganStep.map(String.init) ?? "?"): "
                    + points.map { p in
                        "\(p.step): \(pct(p.score)) (" + classes.compactMap { c in p.recall[c].map { "\(c) \(pct($0))" } }.joined(separator: ", ")
                            + ")"
                    }.joined(separator: "; ")
            ]
        }
        lines += [
            "",
            "Wall time (s, 2 cores): " + r.seconds.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value.rounded()))" }.joined(separator: ", ")
                + (r.cachedPhases.isEmpty ? "" : "; from the cache: " + r.cachedPhases.joined(separator: ", "))
        ]
        if let real = r.rows.first(where: { $0.training == "real" }) {
            for mixed in r.rows where mixed.training.hasPrefix("real+synthetic") {
                let delta = (mixed.macroF1.mean - real.macroF1.mean) * 100
                lines.append("")
                lines.append(
                    String(
                        format: "%@: macro-F1 %@ vs real-only %@ (%+.1f points); paired test: %@.", mixed.training,
                        mixed.macroF1.percent, real.macroF1.percent, delta, mixed.comparisonText))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

    /// The off-diagonal cells of a confusion matrix as "a → b 12, …", largest first (ties in class order).
    static func errorsText(_ confusion: [[Int]], classes: [String]) -> String {
        var cells: [(count: Int, truth: Int, predicted: Int)] = []
        for t in confusion.indices {
            for p in confusion[t].indices where p != t && confusion[t][p] > 0 { cells.append((confusion[t][p], t, p)) }
        }
        guard !cells.isEmpty else { return "none" }
        let total = cells.reduce(0) { $0 + $1.count }
        return cells.sorted { ($0.count, $1.truth, $1.predicted) > ($1.count, $0.truth, $0.predicted) }
            .map { "\(classes[$0.truth]) → \(classes[$0.predicted]) \($0.count)" }.joined(separator: ", ") + " (\(total) in all)"
    }
}
