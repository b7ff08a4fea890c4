// Reuse across experiment runs: a GAN checkpoint, a real-only or a synthetic-only classifier is stored under the SHA-256
// of what determines it — the training pixels and labels, the settings, the seed — so an A/B of mixing
// policies retrains only what changed. `cohort experiment --no-cache` ignores and rewrites entries.
import ContentHash
import Foundation
import Models
import NN

public struct ExperimentCache: Sendable {
    public let directory: String
    public let enabled: Bool

    /// `$XDG_CACHE_HOME/cohort/experiment`, else `~/.cache/cohort/experiment`.
    public static var defaultDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/cohort/experiment"
    }

    public init(directory: String = ExperimentCache.defaultDirectory, enabled: Bool = true) {
        self.directory = directory
        self.enabled = enabled
    }

    /// SHA-256 (hex) of a data set's pixels and labels.
    public static func fingerprint(_ data: LabeledImages) -> String {
        var hasher = SHA256Hasher()
        hasher.update(Data("\(data.size) \(data.classes)".utf8))
        data.pixels.withUnsafeBytes { hasher.update($0) }
        data.labels.map { Int64($0) }.withUnsafeBytes { hasher.update($0) }
        return hasher.hexDigest()
    }

    /// Part of every key: bump it when training, augmentation or model code changes what the same
    /// settings produce, so old entries are not reused.
    public static let codeVersion = "2026-11-30.1"

    /// The entry path for `kind` and the parts that determine it.
    public func path(_ kind: String, _ parts: [String]) -> String {
        let key = SHA256Hasher.hex(of: ([Self.codeVersion] + parts).joined(separator: "\u{1F}"))
        return "\(directory)/\(kind)-\(key.prefix(24)).safetensors"
    }

    /// A cached entry at `path`, if caching is on and it exists.
    public func existing(_ path: String) -> String? {
        enabled && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Creates the directory (before a save).
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
}

extension ClassifierTrainer {
    /// Writes the weights evaluation uses (the moving average when there is one) to `path`, atomically;
    /// `classes` (the output order) and `metadata` go into the file's metadata.
    public func saveEvaluationWeights(to path: String, classes: [String]? = nil, metadata: [String: String] = [:]) throws {
        average?.swap(with: model.store)
        defer { average?.swap(with: model.store) }
        var file = SafeTensorsFile()
        file.metadata = metadata
        Checkpoint.add(model.store, to: &file)
        file.metadata["format"] = "cohort-classifier-evaluation-1"
        if let classes { file.metadata["classes"] = String(decoding: try JSONEncoder().encode(classes), as: UTF8.self) }
        try file.write(to: path)
    }

    /// A trainer holding the evaluation weights saved at `path` (no moving average: they are it).
    public static func loadEvaluationWeights(
        from path: String, configuration: Classifier.Configuration,
        settings: ClassifierTrainingSettings
    ) throws -> ClassifierTrainer {
        var settings = settings
        settings.emaDecay = nil
        let trainer = ClassifierTrainer(model: Classifier(configuration, seed: settings.seed), settings: settings)
        try Checkpoint.load(trainer.model.store, from: try SafeTensorsFile.read(path), path: path)
        return trainer
    }
}
