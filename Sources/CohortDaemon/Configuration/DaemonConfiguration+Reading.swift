// Reading cohortd.yaml with apple/swift-configuration: the YAML file, overridden key by key by COHORT_*
// environment variables (`gan.max_steps` ← COHORT_GAN_MAX_STEPS, `dataset.chest.image_size` ←
// COHORT_DATASET_CHEST_IMAGE_SIZE). swift-configuration has no arrays of mappings, so datasets are
// named in the `datasets` list and described under `dataset.<name>`. Every value is read as text and
// parsed here, so a bad value is reported with its key, its source and what was expected.
import Configuration
import Curation
import Foundation
import ImageIO
import SystemPackage
import Training

/// An invalid configuration: which key, what is wrong. cohortd prints it and exits with EX_CONFIG (78).
public struct ConfigurationError: Error, CustomStringConvertible, Sendable, Equatable {
    public var file: String
    public var key: String
    public var problem: String
    public init(file: String, key: String, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }
    public var description: String { key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)" }
}

extension DaemonConfiguration {
    /// Reads and validates the configuration at `path` plus `environment`'s COHORT_* overrides.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) async throws(ConfigurationError)
        -> DaemonConfiguration
    {
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigurationError(file: path, key: "", problem: "cannot read the file (missing or permission denied)")
        }
        let file: ConfigReader
        do {
            file = ConfigReader(provider: try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
        } catch {
            throw ConfigurationError(file: path, key: "", problem: "not valid YAML for cohortd: \(error)")
        }
        let env = ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: environment)).scoped(to: "cohort")
        var reader = KeyReader(file: file, environment: env, path: path)
        return try reader.configuration()
    }
}

/// Typed lookups with key-naming errors.
struct KeyReader {
    let file: ConfigReader
    let environment: ConfigReader
    let path: String

    func fail(_ key: String, _ problem: String) -> ConfigurationError { ConfigurationError(file: path, key: key, problem: problem) }

    func text(_ key: String) -> String? {
        let configKey = ConfigKey(key)
        if let value = environment.string(forKey: configKey) { return value }
        if let value = file.string(forKey: configKey) { return value }
        return nil
    }

    func string(_ key: String, default value: String) -> String { text(key) ?? value }

    /// "START,END" (steps, 0 ≤ START ≤ END), or "off" (which YAML may hand over as false).
    func ramp(_ key: String, default value: ConditioningRamp?) throws(ConfigurationError) -> ConditioningRamp? {
        guard let raw = text(key)?.trimmingCharacters(in: .whitespaces) else { return value }
        if ["", "off", "false"].contains(raw.lowercased()) { return nil }
        guard let ramp = ConditioningRamp(parsing: raw) else {
            throw fail(key, "expected 'START,END' steps with 0 ≤ START ≤ END (e.g. '500,1500') or 'off', got '\(raw)'")
        }
        return ramp
    }

    func int(_ key: String, default value: Int, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let raw = text(key) else { return value }
        guard let parsed = Int(raw.trimmingCharacters(in: .whitespaces)) else { throw fail(key, "expected a whole number, got '\(raw)'") }
        guard range.contains(parsed) else { throw fail(key, "\(parsed) is outside \(range.lowerBound)…\(range.upperBound)") }
        return parsed
    }

    func double(_ key: String, default value: Double, in range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        guard let raw = text(key) else { return value }
        guard let parsed = Double(raw.trimmingCharacters(in: .whitespaces)), parsed.isFinite else {
            throw fail(key, "expected a number, got '\(raw)'")
        }
        guard range.contains(parsed) else { throw fail(key, "\(parsed) is outside \(range.lowerBound)…\(range.upperBound)") }
        return parsed
    }

    func bool(_ key: String, default value: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = text(key) else { return value }
        switch raw.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw fail(key, "expected true or false, got '\(raw)'")
        }
    }

    func list(_ key: String) -> [String]? {
        let configKey = ConfigKey(key)
        if let raw = environment.string(forKey: configKey) {
            return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let values = file.stringArray(forKey: configKey) { return values }
        if let single = file.string(forKey: configKey) { return single.isEmpty ? [] : [single] }
        return nil
    }

    func absolutePath(_ key: String, default value: String?) throws(ConfigurationError) -> String? {
        guard let raw = text(key) ?? value, !raw.isEmpty else { return nil }
        guard raw.hasPrefix("/") else { throw fail(key, "must be an absolute path, got '\(raw)'") }
        return raw.count > 1 && raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }

    /// A group given by name (looked up in the group database) or by number.
    func gid(_ key: String, _ group: String) throws(ConfigurationError) -> UInt32 {
        if let number = UInt32(group) { return number }
        guard let entry = getgrnam(group) else { throw fail(key, "no group named '\(group)' (create it, or give a group number)") }
        return entry.pointee.gr_gid
    }

    static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && !name.hasPrefix(".") && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }

    mutating func configuration() throws(ConfigurationError) -> DaemonConfiguration {
        var c = DaemonConfiguration()
        c.source = path
        c.stateDirectory = try absolutePath("state_directory", default: c.stateDirectory)!
        c.socketPath = try absolutePath("socket_path", default: c.socketPath)!
        c.threads = try int("threads", default: 0, in: 0...1024)
        c.settleSeconds = try double("settle_seconds", default: c.settleSeconds, in: 0...3600)
        c.degradedRescanSeconds = try double("degraded_rescan_seconds", default: c.degradedRescanSeconds, in: 1...86_400)
        c.validationFraction = try double("validation_fraction", default: c.validationFraction, in: 0.01...0.9)
        c.decodeLimits = DecodeLimits(
            maxPixels: try int("decode.max_pixels", default: c.decodeLimits.maxPixels, in: 1...2_000_000_000),
            maxFileBytes: try int("decode.max_file_megabytes", default: c.decodeLimits.maxFileBytes >> 20, in: 1...4096) << 20)

        let targetText = string("balance.target", default: "largest")
        if targetText == "largest" {
            c.balance.target = .largest
        } else if let n = Int(targetText), n > 0 {
            c.balance.target = .fixed(n)
        } else {
            throw fail("balance.target", "expected 'largest' or a positive whole number, got '\(targetText)'")
        }
        c.balance.tolerance = try double("balance.tolerance", default: c.balance.tolerance, in: 0...0.9)
        c.balance.maxSyntheticPerReal = try double("balance.max_synthetic_per_real", default: c.balance.maxSyntheticPerReal, in: 0...100)
        c.balance.publishWhenHarmful = try bool("balance.publish_when_harmful", default: c.balance.publishWhenHarmful)
        c.balance.syntheticShare = try double("balance.synthetic_share", default: c.balance.syntheticShare, in: 0...10)
        c.balance.realOnlyFinalFraction = try double("balance.real_only_final_fraction", default: c.balance.realOnlyFinalFraction, in: 0...0.9)
        c.balance.acceptanceThreshold = try double("balance.acceptance_threshold", default: c.balance.acceptanceThreshold, in: 0...1)
        c.balance.syntheticLossWeight = try double("balance.synthetic_loss_weight", default: c.balance.syntheticLossWeight, in: 0.01...10)

        c.gan.minNewImages = try int("gan.min_new_images", default: c.gan.minNewImages, in: 1...10_000_000)
        c.gan.quietSeconds = try double("gan.quiet_seconds", default: c.gan.quietSeconds, in: 0...86_400)
        c.gan.baseSteps = try int("gan.base_steps", default: c.gan.baseSteps, in: 1...10_000_000)
        c.gan.stepsPerNewImage = try double("gan.steps_per_new_image", default: c.gan.stepsPerNewImage, in: 0...1000)
        c.gan.maxSteps = try int("gan.max_steps", default: c.gan.maxSteps, in: 1...10_000_000)
        guard c.gan.maxSteps >= c.gan.baseSteps else { throw fail("gan.max_steps", "must be at least gan.base_steps (\(c.gan.baseSteps))") }
        c.gan.batchSize = try int("gan.batch_size", default: c.gan.batchSize, in: 2...1024)
        c.gan.generatorChannels = try int("gan.generator_channels", default: c.gan.generatorChannels, in: 8...2048)
        c.gan.discriminatorChannels = try int("gan.discriminator_channels", default: c.gan.discriminatorChannels, in: 4...1024)
        c.gan.spectralNormalization = try bool("gan.spectral_normalization", default: c.gan.spectralNormalization)
        c.gan.conditionalBatchNorm = try bool("gan.conditional_batch_norm", default: c.gan.conditionalBatchNorm)
        c.gan.discriminatorBatchNorm = try bool("gan.discriminator_batch_norm", default: c.gan.discriminatorBatchNorm)
        c.gan.modeSeekingWeight = try double("gan.mode_seeking_weight", default: c.gan.modeSeekingWeight, in: 0...100)
        if c.gan.modeSeekingWeight > 0, c.gan.batchSize % 2 != 0 {
            throw fail("gan.mode_seeking_weight", "needs an even gan.batch_size (its pairs are the batch's two halves)")
        }
        c.gan.transitionalConditioning = try ramp("gan.transitional_conditioning", default: c.gan.transitionalConditioning)
        c.gan.checkpointEverySteps = try int("gan.checkpoint_every_steps", default: c.gan.checkpointEverySteps, in: 1...10_000_000)
        c.gan.selectBest = try bool("gan.select_best", default: c.gan.selectBest)
        c.gan.seed = UInt64(try int("gan.seed", default: Int(c.gan.seed), in: 0...Int.max))

        c.classifier.intervalSeconds = try double("classifier.interval_minutes", default: c.classifier.intervalSeconds / 60, in: 0...525_600) * 60
        c.classifier.minNewImages = try int("classifier.min_new_images", default: c.classifier.minNewImages, in: 0...10_000_000)
        c.classifier.epochs = try int("classifier.epochs", default: c.classifier.epochs, in: 1...1000)
        c.classifier.batchSize = try int("classifier.batch_size", default: c.classifier.batchSize, in: 2...1024)
        c.classifier.width = try double("classifier.width", default: c.classifier.width, in: 0.1...4)
        c.classifier.depth = try double("classifier.depth", default: c.classifier.depth, in: 0.1...4)
        c.classifier.keepReports = try int("classifier.keep_reports", default: c.classifier.keepReports, in: 1...10_000)
        c.classifier.seed = UInt64(try int("classifier.seed", default: Int(c.classifier.seed), in: 0...Int.max))

        c.control.idleTimeoutSeconds = try double("control.idle_timeout_seconds", default: c.control.idleTimeoutSeconds, in: 1...86_400)
        c.control.maxConnections = try int("control.max_connections", default: c.control.maxConnections, in: 1...4096)
        c.metrics.textfilePath = try absolutePath("metrics.textfile_path", default: nil)
        if let path = c.metrics.textfilePath, !path.hasSuffix(".prom") {
            throw fail("metrics.textfile_path", "must end in .prom (node_exporter's textfile collector reads only those), got '\(path)'")
        }
        c.metrics.textfileIntervalSeconds = try double("metrics.textfile_interval_seconds", default: c.metrics.textfileIntervalSeconds, in: 1...3600)
        c.control.adminGroup = text("control.admin_group").flatMap { $0.isEmpty ? nil : $0 }
        c.control.adminGID = try c.control.adminGroup.map { group throws(ConfigurationError) in try gid("control.admin_group", group) }
        if c.control.adminGID == 0 { throw fail("control.admin_group", "must not be group 0 (root is an administrator already)") }
        c.control.socketGroup = text("control.socket_group").flatMap { $0.isEmpty ? nil : $0 }
        c.control.socketGID = try c.control.socketGroup.map { group throws(ConfigurationError) in try gid("control.socket_group", group) }

        guard let names = list("datasets"), !names.isEmpty else {
            throw fail("datasets", "name at least one dataset (a list such as [chest]), each described under dataset.<name>")
        }
        var seen = Set<String>()
        for name in names {
            guard KeyReader.isValidName(name) else { throw fail("datasets", "'\(name)' is not a valid dataset name (letters, digits, - _ .)") }
            guard seen.insert(name).inserted else { throw fail("datasets", "'\(name)' is listed twice") }
            let prefix = "dataset.\(name)."
            guard let watch = try absolutePath(prefix + "watch_root", default: nil) else {
                throw fail(prefix + "watch_root", "missing: the folder whose class subfolders cohortd watches")
            }
            let output = try absolutePath(prefix + "output_root", default: c.stateDirectory + "/output/" + name)!
            let size = try int(prefix + "image_size", default: 64, in: 1...4096)
            guard size == 64 || size == 128 else { throw fail(prefix + "image_size", "must be 64 or 128, got \(size)") }
            let classes = list(prefix + "classes") ?? []
            for cls in classes where !KeyReader.isValidName(cls) { throw fail(prefix + "classes", "'\(cls)' is not a valid class folder name") }
            guard Set(classes).count == classes.count else { throw fail(prefix + "classes", "a class is listed twice") }
            let test = try absolutePath(prefix + "test_root", default: nil)
            for other in c.datasets where other.watchRoot == watch || watch.hasPrefix(other.watchRoot + "/") || other.watchRoot.hasPrefix(watch + "/")
            {
                throw fail(prefix + "watch_root", "overlaps dataset '\(other.name)' (\(other.watchRoot))")
            }
            for other in c.datasets
            where other.outputRoot == output || output.hasPrefix(other.outputRoot + "/") || other.outputRoot.hasPrefix(output + "/") {
                // Each dataset's tree is its own: reconciliation at start deletes sample files its catalog rows do not name.
                throw fail(prefix + "output_root", "overlaps dataset '\(other.name)''s output root (\(other.outputRoot))")
            }
            guard output != watch, !output.hasPrefix(watch + "/"), !watch.hasPrefix(output + "/") else {
                throw fail(prefix + "output_root", "must not be inside the watch root or contain it (synthetic samples would be ingested as real)")
            }
            var pattern: GroupPattern?
            if let text = text(prefix + "group_pattern"), !text.isEmpty {
                do throws(GroupPattern.InvalidPattern) { pattern = try GroupPattern(text) } catch {
                    throw fail(prefix + "group_pattern", error.reason)
                }
            }
            let gate = DICOMGate(
                modalities: list(prefix + "dicom.modalities") ?? [], viewPositions: list(prefix + "dicom.view_positions") ?? [],
                bodyParts: list(prefix + "dicom.body_parts") ?? [],
                excludedImageTypes: list(prefix + "dicom.excluded_image_types") ?? DICOMGate.defaultExcludedImageTypes)
            c.datasets.append(
                DatasetConfiguration(
                    name: name, watchRoot: watch, outputRoot: output, imageSize: size,
                    classes: classes, testRoot: test, groupPattern: pattern,
                    horizontalFlip: try bool(prefix + "horizontal_flip", default: false), dicomGate: gate))
        }
        return c
    }
}
