// A classifier job: train the EfficientNetV2-style classifier real-only and real+synthetic with the same
// seed and epochs, evaluate both on the real validation split and the external test root, and write
// the report. Classes that synthetic data hurt are withheld from publishing unless configured otherwise.
import Catalog
import Curation
import Foundation
import ImageIO
import Kernels
import Models
import Training

enum ClassifierJob {
    static func run(_ context: JobContext) throws -> String {
        let dataset = context.dataset
        let settings = context.configuration.classifier
        // Counts only, not DatasetBalance.read: this job rewrites a damaged list of withheld classes, so it must not need it.
        let counts = DatasetBalance.realCounts(try context.catalog.classCounts(dataset: dataset.name), dataset: dataset)
        let classes = dataset.classes.isEmpty ? counts.keys.sorted() : dataset.classes
        let activeAtStart = counts.values.reduce(0, +)
        let train = try CatalogImages.load(context.catalog, dataset: dataset.name, split: .train, classes: classes, size: dataset.imageSize)
        let validation = try CatalogImages.load(context.catalog, dataset: dataset.name, split: .validation, classes: classes, size: dataset.imageSize)
        guard train.count > 0, validation.count > 0 else {
            return "not enough images for a report (train \(train.count), validation \(validation.count))"
        }
        let synthetic = try loadSynthetic(context, classes: classes, size: dataset.imageSize)
        var test: LabeledImages?
        if let root = dataset.testRoot {
            do {
                let folder = try ImageFolder(root: root, classes: classes)
                let decoded = ModelInputDecoding.decode(
                    folder, size: dataset.imageSize, decoder: ImageDecoder(limits: context.configuration.decodeLimits), workers: Parallel.workers)
                var images = LabeledImages(size: dataset.imageSize, classes: classes)
                for (i, item) in folder.items.enumerated() {
                    if let pixels = decoded.images[i] { images.append(pixels[...], label: item.classIndex, path: item.path) }
                }
                test = images
            } catch {
                context.logger.warning("\(dataset.name): test root \(root) unusable: \(error)")
            }
        }
        let mixing = context.configuration.balance.mixingPolicy
        var config = Classifier.Configuration(classes: classes.count).scaled(width: settings.width, depth: settings.depth)
        config.classes = classes.count
        var training = settings.training
        training.augmentation.horizontalFlip = dataset.horizontalFlip

        /// Trains one variant (the real+synthetic one mixes `synthetic` in by the balance's MixingPolicy)
        /// and evaluates it; also returns its per-image correctness on validation for the paired test.
        func trainVariant(_ name: String, synthetic: LabeledImages?, phase: Int) throws -> (ReportVariant, ClassifierTrainer, [Bool]) {
            let trainer = ClassifierTrainer(model: Classifier(config, seed: settings.seed), settings: training)
            let trace = trainer.train(on: train, synthetic: synthetic, mixing: mixing, shouldStop: { context.shouldStop }) { step, total, loss in
                context.progress(phase: "classifier \(name) (\(phase)/2)", step: step, total: total, detail: String(format: "loss %.3f", loss))
            }
            if let stop = context.stopReason { throw stop }
            context.progress(phase: "evaluating \(name)", step: 0, total: 0, detail: "")
            let (metrics, correct) = trainer.evaluatePerImage(validation)
            let variant = ReportVariant(
                training: name, trainImages: train.count + (synthetic?.count ?? 0), validation: metrics,
                test: test.map { trainer.evaluate($0) }, losses: trace.losses, seconds: trace.seconds, note: trace.note)
            return (variant, trainer, correct)
        }
        let (real, realModel, realCorrect) = try trainVariant("real", synthetic: nil, phase: 1)
        // The real-only classifier is the publisher's acceptance judge until the next report.
        try FileManager.default.createDirectory(atPath: context.configuration.checkpointDirectory(dataset.name), withIntermediateDirectories: true)
        try realModel.saveEvaluationWeights(to: context.configuration.acceptanceClassifierPath(dataset.name), classes: classes)
        let (withSynthetic, _, mixedCorrect) = try trainVariant("real+synthetic", synthetic: synthetic, phase: 2)
        let pairedTest = PairedComparison(first: [realCorrect], second: [mixedCorrect])
        let pairedByClass = PairedComparison.byClass(first: [realCorrect], second: [mixedCorrect], labels: validation.labels, classes: classes)

        let fcd = SyntheticQuality.fcd(featureNetwork: realModel, realValidation: validation, synthetic: synthetic)
        let diversity = SyntheticQuality.diversity(realTrain: train, synthetic: synthetic)
        let featureDiversity = SyntheticQuality.featureDiversity(featureNetwork: realModel, realValidation: validation, synthetic: synthetic)
        let harmful = HarmGate.harmedClasses(
            classes: classes, tests: pairedByClass, real: real.validation, mixed: withSynthetic.validation,
            withSynthetic: Set(synthetic.labels.map { classes[$0] }))
        let withheld = context.configuration.balance.publishWhenHarmful ? [] : harmful
        let state = try context.datasetState()
        let published: [PublishedClass]
        do { published = try state.lastPublish(as: [PublishedClass].self) ?? [] } catch {
            // Only the report's near-copy counts come from it: the report is still worth writing.
            context.logger.warning("\(error); the report shows no near-copy counts")
            published = []
        }
        let report = ClassifierReport(
            dataset: dataset.name, created: ISO8601DateFormatter().string(from: Date()), jobID: context.job.id!, imageSize: dataset.imageSize,
            classes: classes, counts: try classCounts(context, classes: classes), variants: [real, withSynthetic], fcd: fcd,
            nearCopies: Dictionary(uniqueKeysWithValues: published.map { ($0.className, $0.nearCopiesRejected) }),
            diversity: diversity, harmfulClasses: harmful, withheldClasses: withheld,
            findings: ClassifierReport.findings(
                classes: classes, real: real, mixed: withSynthetic, harmful: harmful, withheld: withheld,
                diversity: diversity, pairedTest: pairedTest, pairedByClass: pairedByClass),
            sampleGridPNG: ReportSampleGrid.png(real: validation, synthetic: synthetic, classes: classes),
            pairedTest: pairedTest, pairedTestByClass: pairedByClass, mixing: mixing, featureDiversity: featureDiversity)
        let directory = try ReportWriter.write(
            report, to: context.configuration.reportDirectory(dataset.name), keep: settings.keepReports,
            catalog: context.catalog)
        try context.saveDatasetState { state in
            state.classifierTrainedAt = Date().timeIntervalSince1970
            state.imagesAtClassifier = activeAtStart
            state.setWithheldClasses(Array(withheld))
        }
        return String(
            format: "report %@: validation macro-F1 real %.1f%%, real+synthetic %.1f%%", directory,
            real.validation.macroF1 * 100, withSynthetic.validation.macroF1 * 100)
    }

    /// The published synthetic samples, decoded from the output tree (labelled by `classes`).
    static func loadSynthetic(_ context: JobContext, classes: [String], size: Int) throws -> LabeledImages {
        let rows = try context.catalog.syntheticSamples(dataset: context.dataset.name)
        var images = LabeledImages(size: size, classes: classes)
        let decoder = ImageDecoder()
        for row in rows {
            guard let label = classes.firstIndex(of: row.className),
                let decoded = try? decoder.decode(path: row.path)
            else { continue }
            images.append(Preprocessor.modelInput(decoded.image, size: size)[...], label: label, path: row.path)
        }
        return images
    }

    static func classCounts(_ context: JobContext, classes: [String]) throws -> [String: ReportClassCounts] {
        let rows = try context.catalog.splitCounts(dataset: context.dataset.name)
        let synthetic = try SyntheticCounts.byClass(context.catalog, dataset: context.dataset.name)
        var result: [String: ReportClassCounts] = [:]
        for name in classes {
            result[name] = ReportClassCounts(realTrain: 0, realValidation: 0, synthetic: synthetic[name] ?? 0, duplicates: 0, quarantined: 0)
        }
        for row in rows {
            let name = row.className
            guard result[name] != nil else { continue }
            let n = row.count
            switch (row.state, row.split) {
            case (.active, .train?): result[name]!.realTrain += n
            case (.active, .validation?): result[name]!.realValidation += n
            case (.duplicate, _): result[name]!.duplicates += n
            case (.quarantined, _): result[name]!.quarantined += n
            default: break
            }
        }
        return result
    }
}

/// Per class, up to `perClass` real validation images (left) beside up to `perClass` synthetic samples
/// (right, after a wider gap), one row per class, as a base64 PNG: the reader sees at once whether the
/// samples look like the class and whether they repeat themselves.
enum ReportSampleGrid {
    /// Images per side of a row, the gap between images and the wider gap between the sides (px at model size).
    static let perClass = 6, gap = 2
    static func middle(size: Int) -> Int { 3 * size / 4 }

    static func png(real: LabeledImages, synthetic: LabeledImages, classes: [String], perClass: Int = Self.perClass) -> String? {
        guard synthetic.count > 0 else { return nil }
        let s = synthetic.size
        let middle = Self.middle(size: s)
        let width = 2 * perClass * (s + gap) - 2 * gap + middle, height = classes.count * (s + gap) - gap
        var samples = [UInt16](repeating: 255, count: width * height)
        func paint(_ images: LabeledImages, _ index: Int, row c: Int, left: Int) {
            for y in 0..<s {
                for x in 0..<s {
                    let v = images.pixels[index * s * s + y * s + x]
                    samples[(c * (s + gap) + y) * width + left + x] = UInt16(min(max(((v + 1) * 127.5).rounded(), 0), 255))
                }
            }
        }
        for c in classes.indices {
            for (k, index) in real.labels.indices.filter({ real.labels[$0] == c }).prefix(perClass).enumerated() {
                paint(real, index, row: c, left: k * (s + gap))
            }
            let syntheticLeft = perClass * (s + gap) - gap + middle
            for (k, index) in synthetic.labels.indices.filter({ synthetic.labels[$0] == c }).prefix(perClass).enumerated() {
                paint(synthetic, index, row: c, left: syntheticLeft + k * (s + gap))
            }
        }
        guard let bytes = try? PNGEncoder.encode(GrayImage(width: width, height: height, bitDepth: 8, samples: samples)) else { return nil }
        return Data(bytes).base64EncodedString()
    }
}

/// Which classes synthetic data harmed: the per-class exact McNemar test on the same validation images,
/// Holm-corrected across the classes of one report (one test per class would flag some class by chance
/// in most reports), and a recall drop of more than one point (a significant but negligible change is
/// not worth withdrawing samples for).
enum HarmGate {
    static let minimumRecallDrop = 0.01

    static func harmedClasses(
        classes: [String], tests: [String: PairedComparison], real: ClassificationMetrics, mixed: ClassificationMetrics,
        withSynthetic: Set<String>
    ) -> [String] {
        let candidates = classes.enumerated().filter { withSynthetic.contains($0.element) && tests[$0.element] != nil }
        let rejected = PairedComparison.holmRejections(candidates.map { tests[$0.element]!.pValue })
        return zip(candidates, rejected).filter { candidate, significant in
            let (c, name) = candidate
            return significant && tests[name]!.onlyFirst > tests[name]!.onlySecond && real.recall[c] - mixed.recall[c] > minimumRecallDrop
        }.map(\.0.element)
    }
}
