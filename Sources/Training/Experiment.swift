// The paper's experiment (Dhawan & Nijhawan 2024) as one reproducible run: train the cGAN on the real
// training images; train the classifier three ways with the same seed and step budget — real only,
// synthetic only (as many per class as real: the "classification accuracy score"), real + synthetic
// (each class topped up to the largest); evaluate all three on real held-out images only; report FCD
// and near-copy counts per class and each phase's wall time.
import Foundation
import Models
import Tensor

public struct ExperimentConfiguration: Sendable {
    public var data: String
    public var test: String?
    public var imageSize = 64
    /// Keep only this fraction of one class's real training images (the rare-class case).
    public var scarce: (className: String, fraction: Double)?
    public var validationFraction = 0.2
    public var ganSteps = 3000
    /// Caps the real+synthetic top-up at this many synthetic images per real image of a class (cohortd's
    /// balance.max_synthetic_per_real); nil tops every class up to the largest (the paper's set-up).
    public var maxSyntheticPerReal: Double?
    public var gan = GANTrainingSettings()
    public var classifier = ClassifierTrainingSettings()
    public var classifierConfiguration = Classifier.Configuration()
    public var seed: UInt64 = 1

    public init(data: String) { self.data = data }
}

public struct ExperimentRow: Codable, Sendable {
    public var training: String
    public var images: Int
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var macroF1: Double
    public var recall: [String: Double]
    public var auc: Double?

    enum CodingKeys: String, CodingKey {
        case training, images, accuracy, recall, auc
        case balancedAccuracy = "balanced_accuracy"
        case macroF1 = "macro_f1"
    }
}

public struct ExperimentResult: Codable, Sendable {
    public var rows: [ExperimentRow]
    public var fcd: [String: Double]
    public var nearCopies: [String: Int]
    public var seconds: [String: Double]
    public var evaluatedOn: String
    public var trainCounts: [String: Int]
    public var evaluationCounts: [String: Int]
    public var dataset: DatasetSummary
    public var imageSize: Int
    public var ganSteps: Int
    public var classifierSteps: Int
    public var maxSyntheticPerReal: Double?
    public var spectralNormalization: Bool

    enum CodingKeys: String, CodingKey {
        case rows, fcd, seconds, dataset
        case maxSyntheticPerReal = "max_synthetic_per_real"
        case spectralNormalization = "spectral_normalization"
        case nearCopies = "near_copies"
        case evaluatedOn = "evaluated_on"
        case trainCounts = "train_counts"
        case evaluationCounts = "evaluation_counts"
        case imageSize = "image_size"
        case ganSteps = "gan_steps"
        case classifierSteps = "classifier_steps"
    }
}

public enum Experiment {
    /// Runs the whole experiment; `log` receives progress lines.
    public static func run(_ configuration: ExperimentConfiguration, log: (String) -> Void = { _ in }) throws -> ExperimentResult {
        var seconds: [String: Double] = [:]
        func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            defer { seconds[phase] = Date().timeIntervalSince(start) }
            return try body()
        }
        let size = configuration.imageSize
        let folder = try ImageFolder(root: configuration.data)
        var (train, validation, summary) = timed("load") {
            DatasetLoader.load(folder, size: size, validationFraction: configuration.test == nil ? configuration.validationFraction : 0)
        }
        let evaluation: LabeledImages
        if let test = configuration.test {
            let testFolder = try ImageFolder(root: test, classes: folder.classes)
            evaluation = timed("load_test") { DatasetLoader.load(testFolder, size: size, validationFraction: 0).train }
        } else {
            evaluation = validation
        }
        if let (name, fraction) = configuration.scarce {
            guard let c = folder.classes.firstIndex(of: name) else { throw ImageFolder.LayoutError(root: configuration.data, reason: "no class \(name)") }
            let members = train.labels.indices.filter { train.labels[$0] == c }
            let keep = Set(members.prefix(max(1, Int((Double(members.count) * fraction).rounded()))))
            train = train.subset(train.labels.indices.filter { train.labels[$0] != c || keep.contains($0) })
        }
        log("data: \(train.count) train images \(train.classCounts), \(evaluation.count) evaluation images; \(summary.exactDuplicatesDropped) exact duplicates dropped")

        // 1. The GAN.
        var ganSettings = configuration.gan
        ganSettings.seed = configuration.seed
        let gan = GANTrainer(classes: folder.classes, imageSize: size, settings: ganSettings)
        timed("gan") {
            gan.train(on: train, steps: configuration.ganSteps, progress: { step, losses in
                if step % 200 == 0 || step == configuration.ganSteps {
                    log("gan step \(step)/\(configuration.ganSteps): D \(losses.discriminator), G \(losses.generator)")
                }
            })
        }

        // 2. Synthetic samples: per class as many as the largest needed by either variant, near-copies dropped.
        let counts = train.classCounts
        let largest = counts.max() ?? 0
        var synthetic = LabeledImages(size: size, classes: folder.classes)
        var nearCopies: [String: Int] = [:]
        let realFlat = (0..<train.count).map { Array(train.pixels[($0 * size * size)..<(($0 + 1) * size * size)]) }
        timed("generate") {
            for (c, name) in folder.classes.enumerated() {
                let needed = max(counts[c], largest - counts[c])
                guard needed > 0 else { continue }
                let images = gan.sample(label: c, count: needed + needed / 5 + 1, seed: configuration.seed &+ UInt64(1000 * c))
                let rows = (0..<images.shape[0]).map { Array(images.array[($0 * size * size)..<(($0 + 1) * size * size)]) }
                let realOfClass = realFlat.indices.filter { train.labels[$0] == c }.map { realFlat[$0] }
                let check = MemorizationCheck(real: realOfClass, synthetic: rows)
                nearCopies[name] = check.rejectedCount
                var kept = 0
                for (i, row) in rows.enumerated() where !check.nearCopies[i] && kept < needed {
                    synthetic.append(row[...], label: c, path: "synthetic")
                    kept += 1
                }
            }
        }

        // 3. Three classifiers, same seed and step budget.
        let stepsPerEpoch = max(1, (train.count + configuration.classifier.batchSize - 1) / configuration.classifier.batchSize)
        let budget = configuration.classifier.epochs * stepsPerEpoch
        func synthOf(_ c: Int) -> [Int] { synthetic.labels.indices.filter { synthetic.labels[$0] == c } }
        let syntheticOnly = synthetic.subset(folder.classes.indices.flatMap { Array(synthOf($0).prefix(counts[$0])) })
        var mixed = train
        for c in folder.classes.indices {
            let topUp = configuration.maxSyntheticPerReal.map { min(largest - counts[c], Int(Double(counts[c]) * $0)) } ?? (largest - counts[c])
            for i in synthOf(c).prefix(topUp) {
                mixed.append(synthetic.pixels[(i * size * size)..<((i + 1) * size * size)], label: c, path: "synthetic")
            }
        }
        var rows: [ExperimentRow] = []
        var realModel: ClassifierTrainer?
        for (name, data) in [("real", train), ("synthetic", syntheticOnly), ("real+synthetic", mixed)] {
            var settings = configuration.classifier
            settings.seed = configuration.seed
            // Same number of steps for every variant, whatever its dataset size.
            settings.epochs = max(1, budget / max(1, (data.count + settings.batchSize - 1) / settings.batchSize))
            var model = configuration.classifierConfiguration
            model.classes = folder.classes.count
            let trainer = ClassifierTrainer(model: Classifier(model, seed: configuration.seed), settings: settings)
            let metrics = timed("classifier_\(name)") { () -> ClassificationMetrics in
                trainer.train(on: data, progress: { step, total, loss in
                    if step % 100 == 0 || step == total { log("classifier (\(name)) step \(step)/\(total): loss \(loss)") }
                })
                return trainer.evaluate(evaluation)
            }
            rows.append(ExperimentRow(training: name, images: data.count, accuracy: metrics.accuracy, balancedAccuracy: metrics.balancedAccuracy,
                                      macroF1: metrics.macroF1,
                                      recall: Dictionary(uniqueKeysWithValues: zip(folder.classes, metrics.recall)), auc: metrics.auc))
            if name == "real" { realModel = trainer }
            log("\(name): accuracy \(metrics.accuracy), macro-F1 \(metrics.macroF1)")
        }

        // 4. FCD per class in the real-only classifier's features.
        var fcd: [String: Double] = [:]
        if let realModel {
            timed("fcd") {
                for (c, name) in folder.classes.enumerated() {
                    let realIdx = train.labels.indices.filter { train.labels[$0] == c }
                    let synIdx = synthOf(c)
                    guard realIdx.count > 1, synIdx.count > 1 else { continue }
                    fcd[name] = FrechetDistance.between(realModel.features(train.subset(realIdx)), realModel.features(synthetic.subset(synIdx)))
                }
            }
        }
        summary.train = train.count
        return ExperimentResult(
            rows: rows, fcd: fcd, nearCopies: nearCopies, seconds: seconds,
            evaluatedOn: configuration.test == nil ? "validation split (real images, near-duplicate groups kept whole)" : "test tree \(configuration.test!)",
            trainCounts: Dictionary(uniqueKeysWithValues: zip(folder.classes, counts)),
            evaluationCounts: Dictionary(uniqueKeysWithValues: zip(folder.classes, evaluation.classCounts)),
            dataset: summary, imageSize: size, ganSteps: configuration.ganSteps, classifierSteps: budget,
            maxSyntheticPerReal: configuration.maxSyntheticPerReal, spectralNormalization: configuration.gan.spectralNormalization == true)
    }

    /// The result as a Markdown table with its context.
    public static func markdown(_ r: ExperimentResult, command: String) -> String {
        let classes = r.trainCounts.keys.sorted()
        var lines = ["Command: `\(command)`", "",
                     "Image size \(r.imageSize) px; GAN \(r.ganSteps) steps; classifier \(r.classifierSteps) steps per variant; evaluated on \(r.evaluatedOn)."
                        + (r.maxSyntheticPerReal.map { " Real+synthetic top-up capped at \($0) synthetic per real image." } ?? "")
                        + (r.spectralNormalization ? " Discriminator with spectral normalization." : ""),
                     "Train images per class: " + classes.map { "\($0) \(r.trainCounts[$0]!)" }.joined(separator: ", ")
                        + "; evaluation: " + classes.map { "\($0) \(r.evaluationCounts[$0] ?? 0)" }.joined(separator: ", ") + ".", "",
                     "| training | images | accuracy | balanced accuracy | macro-F1 | " + classes.map { "recall \($0)" }.joined(separator: " | ") + " | AUC |",
                     "| --- | ---: | ---: | ---: | ---: | " + classes.map { _ in "---:" }.joined(separator: " | ") + " | ---: |"]
        for row in r.rows {
            lines.append("| \(row.training) | \(row.images) | \(pct(row.accuracy)) | \(pct(row.balancedAccuracy)) | \(pct(row.macroF1)) | "
                + classes.map { pct(row.recall[$0] ?? 0) }.joined(separator: " | ") + " | \(row.auc.map { String(format: "%.3f", $0) } ?? "–") |")
        }
        lines += ["", "| class | FCD (Cohort classifier features; not comparable to Inception FID) | near-copies rejected |", "| --- | ---: | ---: |"]
        for c in classes { lines.append("| \(c) | \(r.fcd[c].map { String(format: "%.2f", $0) } ?? "–") | \(r.nearCopies[c] ?? 0) |") }
        lines += ["", "Wall time (s, 2 cores): " + r.seconds.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value.rounded()))" }.joined(separator: ", ")]
        let real = r.rows.first { $0.training == "real" }, mixed = r.rows.first { $0.training == "real+synthetic" }
        if let real, let mixed {
            lines.append("")
            lines.append(mixed.macroF1 >= real.macroF1
                ? "Real+synthetic macro-F1 \(pct(mixed.macroF1)) vs real-only \(pct(real.macroF1)): the synthetic data helped (or did not hurt)."
                : "Real+synthetic macro-F1 \(pct(mixed.macroF1)) vs real-only \(pct(real.macroF1)): **the synthetic data did not help**.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func pct(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }
}
