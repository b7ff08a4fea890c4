// The classifier report's content (report.json): both training variants evaluated on the real
// validation split and, when configured, on the external test root, side by side with the gap named.
import Foundation
import Training

/// Per-class counts at report time.
public struct ReportClassCounts: Codable, Sendable, Equatable {
    public var realTrain: Int
    public var realValidation: Int
    public var synthetic: Int
    public var duplicates: Int
    public var quarantined: Int
    enum CodingKeys: String, CodingKey {
        case realTrain = "real_train", realValidation = "real_validation", synthetic, duplicates, quarantined
    }
}

/// One training variant and how it scored.
public struct ReportVariant: Codable, Sendable {
    /// "real" or "real+synthetic".
    public var training: String
    public var trainImages: Int
    public var validation: ClassificationMetrics
    public var test: ClassificationMetrics?
    /// Training loss per step (for the curve).
    public var losses: [Float]
    public var seconds: Double
    /// Why the run did not train as asked, if it did not (e.g. a class without synthetic images: the
    /// symmetric policy then trains on real images only, and the "real+synthetic" figures are real-only's).
    public var note: String?
    enum CodingKeys: String, CodingKey {
        case training, validation, test, losses, seconds, note
        case trainImages = "train_images"
    }
}

/// report.json.
public struct ClassifierReport: Codable, Sendable {
    public var dataset: String
    public var created: String
    public var jobID: Int64
    public var imageSize: Int
    public var classes: [String]
    public var counts: [String: ReportClassCounts]
    public var variants: [ReportVariant]
    /// Per class: Fréchet distance between real validation and synthetic samples in the real-only
    /// classifier's penultimate features ("FCD"; FID's idea with Cohort's own features, not comparable to FID).
    public var fcd: [String: Double]
    /// Per class: synthetic samples rejected as near-copies of real training images at the last regeneration.
    public var nearCopies: [String: Int]
    /// Per class: spread of the synthetic samples relative to the real ones (mean per-pixel standard
    /// deviation across samples, synthetic ÷ real). Near 1: as varied as the scans; near 0: the generator
    /// produces nearly the same image again and again (mode collapse).
    public var diversity: [String: Double]
    /// Classes whose recall real+synthetic training lowered (on validation).
    public var harmfulClasses: [String]
    /// Classes whose synthetic samples are withheld from the output tree because of that.
    public var withheldClasses: [String]
    /// Plain-language findings, most important first.
    public var findings: [String]
    /// Base64 PNG grid of synthetic samples (one row per class), for the HTML page.
    public var sampleGridPNG: String?
    /// Real+synthetic against real-only on the same validation images (exact McNemar), overall and per
    /// class — the test behind "helps", "hurts" and the harm gate (absent in reports before it existed).
    public var pairedTest: PairedComparison?
    public var pairedTestByClass: [String: PairedComparison]?
    /// The mixing policy the real+synthetic classifier was trained with.
    public var mixing: MixingPolicy?
    /// Per class: mean pairwise feature distance of the samples ÷ that of the real validation images
    /// (SyntheticQuality.featureDiversity; absent in older reports).
    public var featureDiversity: [String: Double]?

    enum CodingKeys: String, CodingKey {
        case dataset, created, classes, counts, variants, fcd, findings, diversity, mixing
        case jobID = "job_id", imageSize = "image_size", nearCopies = "near_copies"
        case harmfulClasses = "harmful_classes", withheldClasses = "withheld_classes", sampleGridPNG = "sample_grid_png"
        case pairedTest = "paired_test", pairedTestByClass = "paired_test_by_class", featureDiversity = "feature_diversity"
    }
}

extension ClassifierReport {
    /// The findings a reader needs first: does synthetic data help, per class where it hurts, and how
    /// far validation drawn from the same source flatters compared with the external test set.
    static func findings(
        classes: [String], real: ReportVariant, mixed: ReportVariant, harmful: [String], withheld: [String],
        diversity: [String: Double] = [:], pairedTest: PairedComparison? = nil,
        pairedByClass: [String: PairedComparison] = [:]
    ) -> [String] {
        var lines: [String] = []
        if let note = mixed.note {
            lines.append("real+synthetic was not mixed as asked (\(note)): its figures are real-only's and say nothing about the synthetic data.")
        }
        for name in classes {
            if let ratio = diversity[name], ratio < 0.5 {
                lines.append(
                    String(
                        format:
                            "Synthetic samples of '%@' vary far less than its scans (diversity %.2f of real): the generator is repeating itself (mode collapse); treat them as weak augmentation at best.",
                        name, ratio))
            }
        }
        let dv = (mixed.validation.macroF1 - real.validation.macroF1) * 100
        if let rt = real.test, let mt = mixed.test {
            let dt = (mt.macroF1 - rt.macroF1) * 100
            lines.append(
                String(
                    format: "On the external test set, real+synthetic macro-F1 is %+.1f points vs real-only (%.1f%% vs %.1f%%): synthetic data %@.",
                    dt, mt.macroF1 * 100, rt.macroF1 * 100, dt > 0.05 ? "helped" : (dt < -0.05 ? "hurt" : "made no difference")))
            for (name, variant) in [("real-only", real), ("real+synthetic", mixed)] {
                if let test = variant.test {
                    lines.append(
                        String(
                            format:
                                "%@: validation accuracy %.1f%% vs external test %.1f%% — a gap of %.1f points; validation from the same source flatters.",
                            name, variant.validation.accuracy * 100, test.accuracy * 100, (variant.validation.accuracy - test.accuracy) * 100))
                }
            }
        } else {
            lines.append(
                String(
                    format:
                        "On the real validation split, real+synthetic macro-F1 is %+.1f points vs real-only (%.1f%% vs %.1f%%); paired test on the same images: synthetic data %@.",
                    dv, mixed.validation.macroF1 * 100, real.validation.macroF1 * 100,
                    pairedTest?.verdict ?? (dv > 0.05 ? "helped" : (dv < -0.05 ? "hurt" : "made no difference"))))
            lines.append(
                "No external test root is configured: validation comes from the same source as training and flatters (measured: 95.8% validation vs 74.4% on a held-out test split for brain MRI)."
            )
        }
        for name in harmful {
            let c = classes.firstIndex(of: name)!
            lines.append(
                String(
                    format: "Synthetic data HURT class '%@': validation recall %.1f%% with it vs %.1f%% without (%@).",
                    name, mixed.validation.recall[c] * 100, real.validation.recall[c] * 100, pairedByClass[name]?.verdict ?? "paired test"))
        }
        if !withheld.isEmpty {
            lines.append("Synthetic samples are withheld for: \(withheld.joined(separator: ", ")) (publish_when_harmful: false).")
        }
        return lines
    }
}
