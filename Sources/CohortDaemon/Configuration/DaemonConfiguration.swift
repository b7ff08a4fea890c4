// cohortd's settings as plain Sendable values. Reading them (YAML file + COHORT_* environment) lives
// in DaemonConfiguration+Reading.swift; every key is documented in etc/cohort/cohortd.yaml.
import Catalog
import Curation
import Foundation
import ImageIO
import Training

/// One watched dataset: `watchRoot/<class>/**` in, `outputRoot/<class>/syn-*.png` out.
public struct DatasetConfiguration: Sendable, Equatable {
    public var name: String
    /// Absolute path of `incoming/<dataset>`; its first-level folders are classes.
    public var watchRoot: String
    /// Absolute path where this dataset's synthetic samples and manifest go.
    public var outputRoot: String
    /// Model side in pixels (64 or 128).
    public var imageSize: Int
    /// Fixed class list; files in other folders are quarantined. Empty: the watch root's folders.
    public var classes: [String]
    /// Optional external ImageFolder for evaluation only (never trained on).
    public var testRoot: String?
    /// File-name group keys (one patient or series) kept on one side of the split; applies to images
    /// cataloged after it is set (existing groups are not re-split: a trained image never moves to validation).
    public var groupPattern: GroupPattern?
    /// Random horizontal flips in classifier augmentation (brain MRI yes; never chest X-rays).
    public var horizontalFlip = false
    /// Which DICOM images the dataset accepts (modality, view position, body part, image type).
    public var dicomGate = DICOMGate()
}

/// How many synthetic samples each class gets.
public struct BalanceSettings: Sendable, Equatable {
    public enum Target: Sendable, Equatable {
        /// Every class is topped up to the largest class's real count.
        case largest
        /// Every class is topped up to this count.
        case fixed(Int)
    }
    public var target: Target = .largest
    /// A class within this fraction of the target counts as balanced (no GAN job for it).
    public var tolerance: Double = 0.05
    /// Cap: at most this many synthetic samples per real image of the class.
    public var maxSyntheticPerReal: Double = 1.0
    /// f of the symmetric mixing policy (MixingPolicy): with target `largest`, every class — the largest
    /// too — is filled to largest × (1 + f), so no class is all-real and synthetic is no label cue.
    public var syntheticShare: Double = 0.5
    /// Fraction of the real+synthetic classifier's steps at the end that see real images only.
    public var realOnlyFinalFraction: Double = 0.2
    /// A sample is published only if the latest real-only classifier gives its class at least this probability.
    public var acceptanceThreshold: Double = 0.5
    /// Weight of a synthetic image's loss term in the real+synthetic classifier (real images weigh 1).
    public var syntheticLossWeight: Double = 1

    /// The mixing policy these settings describe: symmetric, or the earlier top-up when the share is 0
    /// (its real+synthetic classifier then samples the pooled set as it is); the cap is max_synthetic_per_real.
    public var mixingPolicy: MixingPolicy {
        var policy = syntheticShare > 0 ? MixingPolicy() : .topUp
        policy.syntheticShare = syntheticShare
        policy.maxSyntheticPerReal = maxSyntheticPerReal
        policy.realOnlyFinalFraction = realOnlyFinalFraction
        policy.acceptanceThreshold = acceptanceThreshold
        policy.syntheticLossWeight = syntheticLossWeight
        return policy
    }
    /// When false, a class whose recall real+synthetic training lowered gets no synthetic samples.
    public var publishWhenHarmful = false
}

/// When and how long the GAN trains.
public struct GANScheduleSettings: Sendable, Equatable {
    /// New real images since the last GAN run needed to retrain (the first run needs none).
    public var minNewImages = 50
    /// Seconds without new images before a job starts, so one bulk copy triggers one job.
    public var quietSeconds = 30.0
    /// Steps of an incremental run: base + perNewImage × new images, capped at maxSteps.
    public var baseSteps = 400
    public var stepsPerNewImage = 1.0
    public var maxSteps = 3000
    /// Atomic checkpoint every this many steps (and at the end and on shutdown).
    public var checkpointEverySteps = 200
    /// Score the generator at every checkpoint by neighbour CAS (GeneratorSelection: the validation split's
    /// real images voted by their nearest samples in the latest report's real-only classifier) and keep the
    /// job's best checkpoint (the latest within one standard error of the top score), not its last. Without a
    /// report the last is kept.
    public var selectBest = false
    /// How a new GAN trains (a resumed GAN keeps what it was trained with): Training's own settings, embedded
    /// whole; the configuration keys below read and write it.
    public var training = GANTrainingSettings()

    public var batchSize: Int {
        get { training.batchSize }
        set { training.batchSize = newValue }
    }
    /// Widths of a new GAN (the benchmark model: 256 and 32). Smaller is faster and learns less.
    public var generatorChannels: Int {
        get { training.generatorChannels }
        set { training.generatorChannels = newValue }
    }
    public var discriminatorChannels: Int {
        get { training.discriminatorChannels }
        set { training.discriminatorChannels = newValue }
    }
    /// Spectral normalization of a new GAN's discriminator.
    public var spectralNormalization: Bool {
        get { training.spectralNormalization ?? true }
        set { training.spectralNormalization = newValue }
    }
    /// Class-conditional batch norm in a new GAN's generator (stored as nil when off, as old checkpoints are).
    public var conditionalBatchNorm: Bool {
        get { training.conditionalBatchNorm ?? false }
        set { training.conditionalBatchNorm = newValue ? true : nil }
    }
    /// Batch norm in a new GAN's discriminator (stored as nil when on, as old checkpoints are).
    public var discriminatorBatchNorm: Bool {
        get { training.discriminatorBatchNorm ?? true }
        set { training.discriminatorBatchNorm = newValue ? nil : false }
    }
    /// Weight of the mode-seeking term in a new GAN's generator loss (stored as nil when 0, as old checkpoints are).
    public var modeSeekingWeight: Double {
        get { Double(training.modeSeekingWeight ?? 0) }
        set { training.modeSeekingWeight = newValue > 0 ? Float(newValue) : nil }
    }
    /// Transitional conditioning of a new GAN (Shahbazi et al. 2022: unconditional until `start`, the class
    /// ramped in to `end`, in the GAN's own iterations, so incremental jobs continue the ramp; nil: off).
    public var transitionalConditioning: ConditioningRamp? {
        get { training.transitionalConditioning }
        set { training.transitionalConditioning = newValue }
    }
    public var seed: UInt64 {
        get { training.seed }
        set { training.seed = newValue }
    }
}

/// When and how the classifier is retrained and reported.
public struct ClassifierScheduleSettings: Sendable, Equatable {
    /// Retrain at most this often (seconds; 0: no time trigger).
    public var intervalSeconds = 86_400.0
    /// Retrain after this many new real images (0: no count trigger).
    public var minNewImages = 200
    /// EfficientNetV2 width and depth multipliers (1.0 = the benchmark model).
    public var width = 1.0
    public var depth = 1.0
    /// Reports kept per dataset (older ones are deleted).
    public var keepReports = 10
    /// How the job's classifiers train: Training's own settings, embedded whole (30 epochs by default); the
    /// configuration keys below read and write it. Horizontal flips come from the dataset.
    public var training: ClassifierTrainingSettings = {
        var settings = ClassifierTrainingSettings()
        settings.epochs = 30
        return settings
    }()

    public var epochs: Int {
        get { training.epochs }
        set { training.epochs = newValue }
    }
    public var batchSize: Int {
        get { training.batchSize }
        set { training.batchSize = newValue }
    }
    public var seed: UInt64 {
        get { training.seed }
        set { training.seed = newValue }
    }
}

/// Who may use the control socket, and how long a silent client may stay connected.
public struct ControlSettings: Sendable, Equatable {
    /// Group (name or number) whose members may use mutating commands besides root and the daemon's user.
    public var adminGroup: String?
    /// The admin group's id, resolved when the configuration is read.
    public var adminGID: UInt32?
    /// Group (name or number) the socket file is handed to (nil: the daemon's own group). Not used when
    /// systemd passes the socket (cohortd.socket sets its owner and mode).
    public var socketGroup: String?
    public var socketGID: UInt32?
    /// Seconds a connection may stay silent before it is closed (subscribers excepted).
    public var idleTimeoutSeconds = 30.0
    /// Clients served at once; the next one gets `too_many_connections` and is closed. Bounded so idle
    /// clients cannot exhaust the daemon's descriptors (measured: 1,100 idle clients did, and every scan
    /// arriving meanwhile was refused with "Too many open files"); the unit's LimitNOFILE leaves room.
    public var maxConnections = 256
}

/// Metrics for a Prometheus scrape without a network socket in cohortd: node_exporter's textfile collector
/// reads `*.prom` files from a folder.
public struct MetricsSettings: Sendable, Equatable {
    /// Where the exposition is written atomically (nil: not written; the `metrics` command still answers).
    public var textfilePath: String?
    /// Seconds between writes.
    public var textfileIntervalSeconds = 15.0
}

/// Everything cohortd reads at start (and on reload).
public struct DaemonConfiguration: Sendable, Equatable {
    /// The file it came from (nil when built in code).
    public var source: String?
    public var stateDirectory = "/var/lib/cohort"
    public var socketPath = "/run/cohort/cohortd.sock"
    /// Compute threads for training and decoding (0: all cores).
    public var threads = 0
    public var settleSeconds = 2.0
    public var degradedRescanSeconds = 30.0
    /// Fraction of near-duplicate groups (by content hash) held out for validation.
    public var validationFraction = 0.2
    public var decodeLimits = DecodeLimits.default
    public var datasets: [DatasetConfiguration] = []
    public var balance = BalanceSettings()
    public var gan = GANScheduleSettings()
    public var classifier = ClassifierScheduleSettings()
    public var control = ControlSettings()
    public var metrics = MetricsSettings()

    public init() {}

    /// Where things live under the state directory (shared with `cohort export --bundle`).
    public var layout: StateLayout { StateLayout(stateDirectory: stateDirectory) }
    public var catalogPath: String { layout.catalog }
    public func checkpointDirectory(_ dataset: String) -> String { layout.checkpointDirectory(dataset) }
    public func reportDirectory(_ dataset: String) -> String { layout.reportDirectory(dataset) }
    /// The latest report's real-only classifier (evaluation weights): the publisher's acceptance judge.
    public func acceptanceClassifierPath(_ dataset: String) -> String { layout.classifierWeights(dataset) }
    public func dataset(named name: String) -> DatasetConfiguration? { datasets.first { $0.name == name } }
}
