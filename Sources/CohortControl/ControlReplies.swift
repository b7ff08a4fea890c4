// Typed results (`"result"` of a successful response), one per command. Their coding keys are the v1
// wire format: snake_case, except `jobs`, whose rows kept the catalog's camelCase names in v1 and keep
// them until a protocol version changes them. Golden tests (CohortControlTests) pin every reply's bytes.
import Foundation

/// `version`: the daemon's release and protocol version.
public struct VersionReply: Codable, Sendable, Equatable {
    public var daemon: String
    public var protocolVersion: Int
    enum CodingKeys: String, CodingKey { case daemon, protocolVersion = "protocol" }
    public init(daemon: String, protocolVersion: Int) {
        self.daemon = daemon
        self.protocolVersion = protocolVersion
    }
}

/// One configured dataset (`datasets`). An empty `classes` means "every class folder that appears".
public struct DatasetInfo: Codable, Sendable, Equatable {
    public var name: String
    public var watchRoot: String
    public var outputRoot: String
    public var imageSize: Int
    public var classes: [String]
    /// A held-out test tree, or null (sent as an explicit null).
    public var testRoot: String?
    enum CodingKeys: String, CodingKey {
        case name, classes
        case watchRoot = "watch_root", outputRoot = "output_root", imageSize = "image_size", testRoot = "test_root"
    }
    public init(name: String, watchRoot: String, outputRoot: String, imageSize: Int, classes: [String], testRoot: String?) {
        self.name = name
        self.watchRoot = watchRoot
        self.outputRoot = outputRoot
        self.imageSize = imageSize
        self.classes = classes
        self.testRoot = testRoot
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(watchRoot, forKey: .watchRoot)
        try c.encode(outputRoot, forKey: .outputRoot)
        try c.encode(imageSize, forKey: .imageSize)
        try c.encode(classes, forKey: .classes)
        try c.encode(testRoot, forKey: .testRoot)
    }
}

/// A job's kind and state, as the catalog and the wire spell them.
public enum JobKindName: String, Codable, Sendable, CaseIterable { case gan, classifier, generate }
public enum JobStateName: String, Codable, Sendable, CaseIterable { case queued, running, done, failed, cancelled, interrupted }

/// One row of `jobs` (v1 keys: camelCase; absent values left out).
public struct JobSummary: Codable, Sendable, Equatable {
    public var id: Int64?
    public var dataset: String
    public var kind: JobKindName
    public var state: JobStateName
    public var step: Int
    public var totalSteps: Int
    /// Progress detail (losses, phase).
    public var detail: String?
    /// Why it was queued (a scheduler decision or an operator's request).
    public var reason: String?
    /// Unix times in seconds.
    public var createdAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    /// Outcome or error message.
    public var outcome: String?
    /// Operator-supplied parameters (a `generate` request), as JSON text.
    public var arguments: String?
    public init(
        id: Int64?, dataset: String, kind: JobKindName, state: JobStateName, step: Int, totalSteps: Int, detail: String?,
        reason: String?, createdAt: Double, startedAt: Double?, finishedAt: Double?, outcome: String?, arguments: String?
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
}

/// A refused file (`quarantine`). Files outside any class folder have an empty `className`.
public struct QuarantinedFile: Codable, Sendable, Equatable {
    public var path: String
    public var dataset: String
    public var className: String
    public var reason: String
    enum CodingKeys: String, CodingKey { case path, dataset, reason, className = "class" }
    public init(path: String, dataset: String, className: String, reason: String) {
        self.path = path
        self.dataset = dataset
        self.className = className
        self.reason = reason
    }
}

/// `report`: where a classifier report is and its headline; `report` is report.json itself (with `full`).
public struct ReportReply: Codable, Sendable, Equatable {
    public var dataset: String
    /// The report's folder name (its UTC time).
    public var time: String
    public var directory: String
    public var html: String
    public var json: String
    public var summary: String
    public var report: JSONValue?
    public init(dataset: String, time: String, directory: String, html: String, json: String, summary: String, report: JSONValue? = nil) {
        self.dataset = dataset
        self.time = time
        self.directory = directory
        self.html = html
        self.json = json
        self.summary = summary
        self.report = report
    }
}

/// `subscribe`'s first reply: the events the stream will carry.
public struct SubscribeReply: Codable, Sendable, Equatable {
    public var subscribed: Bool
    public var events: [ControlEventKind]
    public init(subscribed: Bool = true, events: [ControlEventKind] = ControlEventKind.allCases) {
        self.subscribed = subscribed
        self.events = events
    }
}

/// `pause` and `resume`: whether training is paused now.
public struct PauseReply: Codable, Sendable, Equatable {
    public var paused: Bool
    public init(paused: Bool) { self.paused = paused }
}

/// `cancel`: the job asked to stop.
public struct CancelReply: Codable, Sendable, Equatable {
    public var cancelled: Int64
    public init(cancelled: Int64) { self.cancelled = cancelled }
}

/// `rescan`: a rescan of every watched folder was started.
public struct RescanReply: Codable, Sendable, Equatable {
    public var rescan: Bool
    public init(rescan: Bool = true) { self.rescan = rescan }
}

/// `train`: the queued job's id.
public struct QueuedJobReply: Codable, Sendable, Equatable {
    public var job: Int64
    public init(job: Int64) { self.job = job }
}

/// `generate`: the queued job and the folder its samples will be written to.
public struct GenerateReply: Codable, Sendable, Equatable {
    public var job: Int64
    public var directory: String
    public init(job: Int64, directory: String) {
        self.job = job
        self.directory = directory
    }
}

/// `export`: what was written where, and how (hard links or copies); for a bundle also the rows of its
/// split (`rows`, `validation`) and what it lacks (`missing`) — absent for a plain export.
public struct ExportReply: Codable, Sendable, Equatable {
    public var out: String
    public var real: Int
    public var synthetic: Int
    public var hardLinks: Int
    public var copies: Int
    public var rows: Int?
    public var validation: Int?
    public var missing: [String]?
    enum CodingKeys: String, CodingKey { case out, real, synthetic, copies, rows, validation, missing, hardLinks = "hard_links" }
    public init(
        out: String, real: Int, synthetic: Int, hardLinks: Int, copies: Int, rows: Int? = nil, validation: Int? = nil,
        missing: [String]? = nil
    ) {
        self.out = out
        self.real = real
        self.synthetic = synthetic
        self.hardLinks = hardLinks
        self.copies = copies
        self.rows = rows
        self.validation = validation
        self.missing = missing
    }
}

/// `reload`: the configuration keys applied now, and those that need a restart (kept for now).
public struct ReloadReply: Codable, Sendable, Equatable {
    public var applied: [String]
    public var needsRestart: [String]
    enum CodingKeys: String, CodingKey { case applied, needsRestart = "needs_restart" }
    public init(applied: [String], needsRestart: [String]) {
        self.applied = applied
        self.needsRestart = needsRestart
    }
}

/// `backup`: the copy's path and size in bytes.
public struct BackupReply: Codable, Sendable, Equatable {
    public var path: String
    public var bytes: Int
    public init(path: String, bytes: Int) {
        self.path = path
        self.bytes = bytes
    }
}
