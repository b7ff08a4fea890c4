// Rows of the catalog as Codable records (GRDB maps them by property name).
import Foundation
import GRDB

/// What the catalog knows of one real file in a watched folder.
public struct ImageRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "image"

    /// Lifecycle of a real image.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Decoded, normalized, used for training (train or validation side).
        case active
        /// Same pixels (after normalization) as an active image: counted once.
        case duplicate
        /// Refused with a reason: unknown class, not an image, broken, too large.
        case quarantined
    }

    public var id: Int64?
    public var dataset: String
    public var className: String
    public var path: String
    public var fileSize: Int64
    /// Modification time, ns since the epoch.
    public var modified: Int64
    /// SHA-256 of the normalized model-size pixels (nil when quarantined).
    public var contentHash: String?
    /// 64-bit difference hash and the hash of the mirrored image (bit patterns as Int64).
    public var perceptualHash: Int64?
    public var mirroredHash: Int64?
    /// 32×32 normalized Float32 thumbnail for the aligned pixel distance of near-duplicate checks.
    public var thumbnail: Data?
    /// Near-duplicate group (the id of one member); the split is decided per group.
    public var groupID: Int64?
    /// The side of the split the image's group is on (nil while quarantined or a duplicate).
    public var split: ImageSplit?
    public var state: State
    public var reason: String?
    /// For duplicates: the path of the image it repeats.
    public var duplicateOf: String?
    public var ingestedAt: Double
    /// For a refusal whose cause may pass (ImageDecodeError.isTransient): when ingest tries the file again
    /// (nil: a permanent refusal, or not refused). `cohortctl rescan` makes every one due at once.
    public var retryAt: Double?
    /// Consecutive transient refusals of this file (the backoff doubles with each; nil: none, or a
    /// catalog read before migration v4).
    public var retryCount: Int?
    /// A split-group key the file's content gave (a DICOM image's salted patient hash), kept because
    /// it cannot be derived again from the path; nil for PNG and JPEG (their keys come from the path).
    public var groupKey: String?

    public init(
        id: Int64? = nil, dataset: String, className: String, path: String, fileSize: Int64, modified: Int64,
        contentHash: String? = nil, perceptualHash: Int64? = nil, mirroredHash: Int64? = nil, thumbnail: Data? = nil,
        groupID: Int64? = nil, split: ImageSplit? = nil, state: State, reason: String? = nil, duplicateOf: String? = nil,
        ingestedAt: Double
    ) {
        self.id = id
        self.dataset = dataset
        self.className = className
        self.path = path
        self.fileSize = fileSize
        self.modified = modified
        self.contentHash = contentHash
        self.perceptualHash = perceptualHash
        self.mirroredHash = mirroredHash
        self.thumbnail = thumbnail
        self.groupID = groupID
        self.split = split
        self.state = state
        self.reason = reason
        self.duplicateOf = duplicateOf
        self.ingestedAt = ingestedAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Normalized 8-bit pixels of an active image at its dataset's model size (side × side, row-major).
public struct PixelRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "pixels"
    public var imageID: Int64
    public var side: Int
    public var data: Data
    public init(imageID: Int64, side: Int, data: Data) {
        self.imageID = imageID
        self.side = side
        self.data = data
    }
}

/// One synthetic sample published in an output tree.
public struct SyntheticRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "synthetic"
    public var id: Int64?
    public var dataset: String
    public var className: String
    public var path: String
    public var checkpointSHA256: String
    public var seed: Int64
    public var sampleIndex: Int
    /// Which regeneration of the dataset produced it (increases by one per GAN job).
    public var generation: Int
    /// Pixel L2 distance (model size, [-1, 1] scale) to the nearest real training image of its class.
    public var nearestRealDistance: Double
    public var createdAt: Double
    /// The real-only classifier's probability for the sample's class when it was accepted (nil: no
    /// classifier existed yet, or the sample predates the acceptance filter).
    public var acceptanceScore: Double?

    public init(
        id: Int64? = nil, dataset: String, className: String, path: String, checkpointSHA256: String, seed: Int64,
        sampleIndex: Int, generation: Int, nearestRealDistance: Double, createdAt: Double, acceptanceScore: Double? = nil
    ) {
        self.id = id
        self.acceptanceScore = acceptanceScore
        self.dataset = dataset
        self.className = className
        self.path = path
        self.checkpointSHA256 = checkpointSHA256
        self.seed = seed
        self.sampleIndex = sampleIndex
        self.generation = generation
        self.nearestRealDistance = nearestRealDistance
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A training job and its fate; jobs survive restarts.
public struct JobRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "job"

    public enum Kind: String, Codable, Sendable { case gan, classifier, generate }
    public enum State: String, Codable, Sendable {
        case queued, running, done, failed, cancelled
        /// Stopped by a shutdown; runs again (from its checkpoint) at the next start.
        case interrupted
    }

    public var id: Int64?
    public var dataset: String
    public var kind: Kind
    public var state: State
    public var step: Int
    public var totalSteps: Int
    /// Free-form progress detail (losses, phase).
    public var detail: String?
    /// Why it was enqueued (scheduler decision or operator request).
    public var reason: String?
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Outcome or error message.
    public var outcome: String?
    /// Operator-supplied parameters (a `generate` request's class and count), as a JSON object.
    public var arguments: String?

    public init(
        id: Int64? = nil, dataset: String, kind: Kind, state: State = .queued, step: Int = 0, totalSteps: Int = 0,
        detail: String? = nil, reason: String? = nil, createdAt: Double, startedAt: Double? = nil,
        finishedAt: Double? = nil, outcome: String? = nil, arguments: String? = nil
    ) {
        self.id = id
        self.dataset = dataset
        self.kind = kind
        self.state = state
        self.step = step
        self.totalSteps = totalSteps
        self.detail = detail
        self.reason = reason
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.arguments = arguments
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A classifier report written to disk; `summary` is its JSON headline.
public struct ReportRecord: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "report"
    public var id: Int64?
    public var dataset: String
    public var createdAt: Double
    public var directory: String
    public var summary: String
    public init(id: Int64? = nil, dataset: String, createdAt: Double, directory: String, summary: String) {
        self.id = id
        self.dataset = dataset
        self.createdAt = createdAt
        self.directory = directory
        self.summary = summary
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Per-dataset scheduling memory.
public struct DatasetStateRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "datasetState"
    public var dataset: String
    public var ganTrainedAt: Double?
    /// Active real images when the GAN last finished training.
    public var imagesAtGAN: Int
    public var classifierTrainedAt: Double?
    public var imagesAtClassifier: Int
    /// When the last real image was cataloged (the quiet period counts from here).
    public var lastImageAt: Double?
    public var generation: Int
    /// Path of the latest GAN checkpoint.
    public var checkpoint: String?
    /// JSON array of classes whose synthetic samples are withheld (they hurt the classifier).
    public var suppressedClasses: String
    /// JSON: per class, what the last regeneration published and how many near-copies it rejected.
    public var lastPublish: String?

    public init(dataset: String) {
        self.dataset = dataset
        self.imagesAtGAN = 0
        self.imagesAtClassifier = 0
        self.generation = 0
        self.suppressedClasses = "[]"
    }
}
