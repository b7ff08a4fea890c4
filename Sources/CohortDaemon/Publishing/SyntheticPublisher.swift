// The output tree: per class, exactly the wanted number of synthetic samples at
// `<output>/<class>/syn-<seed>-<index>.png`, each passed through the memorization filter, plus
// `<output>/manifest.jsonl`. A class's set is replaced so that readers never see it shrink mid-way: the
// new set is written to a hidden staging folder, renamed into place, recorded, and only then are the
// older generator's files deleted. Surplus samples are retired when real images close a deficit.
import AtomicFile
import Catalog
import Foundation
import ImageIO
import Logging
import Models
import NN
import Tensor
import Training

/// How one class fared in a regeneration.
public struct PublishedClass: Sendable, Codable, Equatable {
    public var className: String
    public var wanted: Int
    public var published: Int
    /// Samples rejected as near-copies of a real training image.
    public var nearCopiesRejected: Int
    /// The pixel-distance threshold used (1st percentile of real→real nearest distances).
    public var pixelThreshold: Double
}

struct SyntheticPublisher {
    let catalog: CatalogDatabase
    let dataset: DatasetConfiguration
    let logger: Logger
    /// The acceptance filter (the latest report's real-only classifier), when one exists.
    var judge: AcceptanceJudge?

    init(catalog: CatalogDatabase, dataset: DatasetConfiguration, logger: Logger, judge: AcceptanceJudge? = nil) {
        self.catalog = catalog
        self.dataset = dataset
        self.logger = logger
        self.judge = judge
    }

    /// The latest report's real-only classifier as the acceptance judge (MixingPolicy's τ), or nil when
    /// τ is 0, no report has run yet, or the file is unusable. (A judge that predates a class is not used: `draw`.)
    static func acceptanceJudge(_ configuration: DaemonConfiguration, dataset: DatasetConfiguration, logger: Logger) -> AcceptanceJudge? {
        let threshold = configuration.balance.acceptanceThreshold
        guard threshold > 0, let (classifier, classes) = reportClassifier(configuration, dataset: dataset, logger: logger) else { return nil }
        return AcceptanceJudge(classifier: classifier, classes: classes, threshold: threshold)
    }

    /// The latest report's real-only classifier and its class order (the acceptance judge's network and the
    /// fixed feature network of checkpoint selection), or nil when no report has run yet or the file is unusable.
    static func reportClassifier(
        _ configuration: DaemonConfiguration, dataset: DatasetConfiguration, logger: Logger
    ) -> (ClassifierTrainer, [String])? {
        let path = configuration.acceptanceClassifierPath(dataset.name)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let file = try SafeTensorsFile.read(path)
            guard let json = file.metadata["classes"], let classes = try? JSONDecoder().decode([String].self, from: Data(json.utf8)) else {
                throw SafeTensorsError(file: path, reason: "no class list")
            }

            var model = Classifier.Configuration(classes: classes.count).scaled(
                width: configuration.classifier.width, depth: configuration.classifier.depth)
            model.classes = classes.count
            let classifier = try ClassifierTrainer.loadEvaluationWeights(
                from: path, configuration: model, settings: configuration.classifier.training)
            return (classifier, classes)
        } catch {
            let consequence = "no acceptance filter, no checkpoint selection"
            logger.warning("\(dataset.name): the report's real-only classifier \(path) is unusable (\(consequence)): \(error)")
            return nil
        }
    }

    /// Replaces the samples of every class in `balance` using `trainer`'s EMA generator.
    func regenerate(
        trainer: GANTrainer, checkpointSHA256: String, generation: Int, balance: [ClassBalance],
        realTrain: LabeledImages, shouldStop: () -> Bool
    ) throws -> [PublishedClass] {
        var results: [PublishedClass] = []
        for entry in balance {
            if shouldStop() { break }
            guard entry.wanted > 0, let label = trainer.classes.firstIndex(of: entry.className) else {
                try retireAll(className: entry.className)
                results.append(
                    PublishedClass(className: entry.className, wanted: entry.wanted, published: 0, nearCopiesRejected: 0, pixelThreshold: 0))
                continue
            }
            results.append(
                try publish(
                    className: entry.className, label: label, count: entry.wanted, trainer: trainer,
                    checkpointSHA256: checkpointSHA256, generation: generation, realTrain: realTrain, replacing: true))
        }
        try writeManifest()
        return results
    }

    /// Draws samples of one class, filters near-copies and publishes `count` of them. With `replacing`,
    /// the class's older samples are retired afterwards; otherwise the new ones are added (a top-up).
    func publish(
        className: String, label: Int, count: Int, trainer: GANTrainer, checkpointSHA256: String, generation: Int,
        realTrain: LabeledImages, replacing: Bool
    ) throws -> PublishedClass {
        let drawn = draw(label: label, count: count, trainer: trainer, realTrain: realTrain)
        let (seed, samples, rejected, threshold) = (drawn.seed, drawn.accepted, drawn.nearCopiesRejected, drawn.pixelThreshold)
        let classDirectory = dataset.outputRoot + "/" + className
        let staging = classDirectory + "/.staging-\(seed)"
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staging) }
        let now = Date()
        var records: [SyntheticRecord] = []
        for sample in samples {
            let name = "syn-\(seed)-\(sample.index).png"
            try SyntheticSamples.write(
                SyntheticSamples.image(pixels: sample.pixels, size: realTrain.size), className: className, seed: seed,
                index: sample.index, checkpointSHA256: checkpointSHA256, to: staging + "/" + name, time: now,
                acceptanceScore: sample.score)
            records.append(
                SyntheticRecord(
                    dataset: dataset.name, className: className, path: classDirectory + "/" + name,
                    checkpointSHA256: checkpointSHA256, seed: Int64(bitPattern: seed), sampleIndex: sample.index,
                    generation: generation, nearestRealDistance: Double(sample.nearestRealDistance),
                    createdAt: now.timeIntervalSince1970, acceptanceScore: sample.score.map(Double.init)))
        }
        for record in records {
            let name = (record.path as NSString).lastPathComponent
            guard rename(staging + "/" + name, record.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: record.path])
            }
        }
        AtomicFile.syncDirectory(classDirectory)
        let old = try catalog.publishSynthetic(dataset: dataset.name, className: className, records: records, replacing: replacing)
        for record in old { try? FileManager.default.removeItem(atPath: record.path) }
        if !replacing { try writeManifest() }
        let accepted = judge != nil ? String(format: ", %.0f%% accepted by the real-only classifier", drawn.acceptanceRate * 100) : ""
        logger.info("\(dataset.name)/\(className): published \(records.count) synthetic samples (\(rejected) near-copies rejected\(accepted))")
        return PublishedClass(
            className: className, wanted: count, published: records.count, nearCopiesRejected: rejected,
            pixelThreshold: Double(threshold))
    }

    /// Draws `count` samples of `label` (SyntheticDrawing: the memorization filter and, with a judge,
    /// the acceptance filter), seeded by the time so every regeneration draws new samples. `realTrain` is
    /// labelled in the generator's class order (CatalogImages.load with `trainer.classes`).
    func draw(label: Int, count: Int, trainer: GANTrainer, realTrain: LabeledImages) -> SyntheticDrawing {
        let seed = (UInt64(Date().timeIntervalSince1970 * 1000) << 8) ^ UInt64(label)
        // A judge that predates one of the generator's classes would filter some classes and not others:
        // every class goes unfiltered until the next report's classifier knows them all.
        let judge = self.judge.flatMap { judge in trainer.classes.allSatisfy(judge.classes.contains) ? judge : nil }
        return SyntheticDrawing.draw(
            label: label, count: count, gan: trainer, realOfClass: realTrain.rows(ofClass: label), seed: seed,
            acceptance: judge)
    }

    /// An operator's request: `count` filtered samples of one class written to `directory` (outside the
    /// balanced set, not recorded as published). Returns how many were written and rejected.
    func writeRequested(
        className: String, label: Int, count: Int, trainer: GANTrainer, checkpointSHA256: String,
        realTrain: LabeledImages, to directory: String
    ) throws -> (written: Int, rejected: Int) {
        let drawn = draw(label: label, count: count, trainer: trainer, realTrain: realTrain)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let now = Date()
        for sample in drawn.accepted {
            try SyntheticSamples.write(
                SyntheticSamples.image(pixels: sample.pixels, size: realTrain.size), className: className, seed: drawn.seed,
                index: sample.index, checkpointSHA256: checkpointSHA256, to: "\(directory)/syn-\(drawn.seed)-\(sample.index).png",
                time: now, acceptanceScore: sample.score)
        }
        AtomicFile.syncDirectory(directory)
        logger.info(
            "\(dataset.name)/\(className): wrote \(drawn.accepted.count) requested samples to \(directory) (\(drawn.nearCopiesRejected) near-copies rejected)"
        )
        return (drawn.accepted.count, drawn.nearCopiesRejected)
    }

    /// What `reconcile` found and mended.
    struct Reconciliation: Equatable {
        var stagingFoldersSwept = 0
        var rowsWithoutFile = 0
        var filesWithoutRow = 0
        var total: Int { stagingFoldersSwept + rowsWithoutFile + filesWithoutRow }
    }

    /// Makes the output tree, the catalog and the manifest agree after a crash (run at start): sweeps
    /// `.staging-*` leftovers of an interrupted publish, drops catalog rows whose file is gone, deletes
    /// `syn-*.png` files no row records (renamed into place, but the crash came before the catalog
    /// commit), and rewrites the manifest from the catalog. Only Cohort's own names are touched.
    @discardableResult
    func reconcile() throws -> Reconciliation {
        var result = Reconciliation()
        let fm = FileManager.default
        let root = dataset.outputRoot
        let rows = try catalog.syntheticSamples(dataset: dataset.name)
        let recorded = Set(rows.map(\.path))
        // Only a tree that is there and is the one the rows name is reconciled: an unmounted or unreadable
        // root, or an output_root moved since the rows were written, must not read as "every file gone".
        guard let classFolders = try? fm.contentsOfDirectory(atPath: root) else {
            logger.warning("\(dataset.name): output root \(root) cannot be listed; not reconciled")
            return result
        }
        if let stray = rows.first(where: { !$0.path.hasPrefix(root + "/") }) {
            logger.warning("\(dataset.name): catalog rows name another output root (\(stray.path)); not reconciled — was output_root moved?")
            return result
        }
        for className in classFolders where !className.hasPrefix(".") {
            let classDirectory = root + "/" + className
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: classDirectory, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for name in (try? fm.contentsOfDirectory(atPath: classDirectory)) ?? [] {
                let path = classDirectory + "/" + name
                if name.hasPrefix(".staging-") {
                    try? fm.removeItem(atPath: path)
                    result.stagingFoldersSwept += 1
                } else if name.hasPrefix("syn-"), name.hasSuffix(".png"), !recorded.contains(path) {
                    try? fm.removeItem(atPath: path)
                    result.filesWithoutRow += 1
                }
            }
        }
        let missing = rows.filter { !fm.fileExists(atPath: $0.path) }
        if missing.count > 0 && missing.count * 2 > rows.count {
            // Most of the tree gone at once is not a crash mid-publish: leave the rows for an operator to see.
            logger.warning("\(dataset.name): \(missing.count) of \(rows.count) synthetic samples are missing from \(root); rows kept, not reconciled")
        } else if !missing.isEmpty {
            try catalog.deleteSynthetic(missing)
            result.rowsWithoutFile = missing.count
        }
        try writeManifest()
        if result.total > 0 {
            let detail =
                "\(result.stagingFoldersSwept) staging folder(s) swept, \(result.rowsWithoutFile) catalog row(s) without a file dropped, "
                + "\(result.filesWithoutRow) unrecorded sample file(s) deleted"
            logger.warning("\(dataset.name): output tree reconciled after an unclean stop: \(detail)")
        }
        return result
    }

    /// Retires every sample of a class (it needs none, or is withheld).
    func retireAll(className: String) throws {
        let old = try catalog.publishSynthetic(dataset: dataset.name, className: className, records: [], replacing: true)
        for record in old { try? FileManager.default.removeItem(atPath: record.path) }
    }

    /// Retires samples beyond `wanted` per class (newest indices first); returns how many went.
    func retireSurplus(balance: [ClassBalance]) throws -> Int {
        // Runs every scheduler tick: only classes over their wanted count are read row by row.
        let have = try SyntheticCounts.byClass(catalog, dataset: dataset.name)
        let over = balance.filter { (have[$0.className] ?? 0) > $0.wanted }
        guard !over.isEmpty else { return 0 }
        let retired = try catalog.trimSynthetic(
            dataset: dataset.name,
            keep: Dictionary(over.map { ($0.className, $0.wanted) }, uniquingKeysWith: { first, _ in first }))
        guard !retired.isEmpty else { return 0 }
        try writeManifest()
        for record in retired { try? FileManager.default.removeItem(atPath: record.path) }
        return retired.count
    }

    /// Rewrites `<output>/manifest.jsonl` atomically from the catalog: one JSON object per sample.
    func writeManifest() throws {
        let rows = try catalog.syntheticSamples(dataset: dataset.name, orderedByClass: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var text = Data()
        for row in rows {
            let line = ManifestLine(
                file: String(row.path.dropFirst(dataset.outputRoot.count + 1)), className: row.className,
                synthetic: true, seed: UInt64(bitPattern: row.seed), index: row.sampleIndex,
                checkpointSHA256: row.checkpointSHA256, generation: row.generation,
                nearestRealDistance: row.nearestRealDistance,
                time: ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: row.createdAt)),
                acceptanceScore: row.acceptanceScore)
            text += try encoder.encode(line)
            text += Data("\n".utf8)
        }
        try FileManager.default.createDirectory(atPath: dataset.outputRoot, withIntermediateDirectories: true)
        try AtomicFile.write(Array(text), to: dataset.outputRoot + "/manifest.jsonl")
    }
}

/// One line of manifest.jsonl.
public struct ManifestLine: Codable, Sendable, Equatable {
    /// Path relative to the dataset's output root: `<class>/syn-<seed>-<index>.png`.
    public var file: String
    public var className: String
    public var synthetic: Bool
    public var seed: UInt64
    public var index: Int
    public var checkpointSHA256: String
    public var generation: Int
    public var nearestRealDistance: Double
    public var time: String
    /// The real-only classifier's probability for the class when the sample was accepted (absent: no judge).
    public var acceptanceScore: Double?

    enum CodingKeys: String, CodingKey {
        case file, synthetic, seed, index, generation, time
        case acceptanceScore = "acceptance_score"
        case className = "class"
        case checkpointSHA256 = "checkpoint_sha256"
        case nearestRealDistance = "nearest_real_distance"
    }
}
