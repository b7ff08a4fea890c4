// `status`: a point-in-time picture of the daemon — per dataset per class the real, synthetic,
// quarantined and duplicate counts against the balance target, the running job, health. cohortd also
// writes it to `<state>/status.json` every few seconds (for `make demo` and scripts).
import Foundation

/// One class of a dataset. `target` is the balanced count, `deficit` what is missing from it, `wanted`
/// what the generator should publish (0 for a withheld class, `suppressed`).
public struct ClassStatus: Codable, Sendable, Equatable {
    public var className: String
    public var real: Int
    public var synthetic: Int
    public var quarantined: Int
    public var duplicates: Int
    public var target: Int
    public var deficit: Int
    public var wanted: Int
    public var suppressed: Bool
    enum CodingKeys: String, CodingKey { case real, synthetic, quarantined, duplicates, target, deficit, wanted, suppressed, className = "class" }
    public init(
        className: String, real: Int, synthetic: Int, quarantined: Int, duplicates: Int, target: Int, deficit: Int, wanted: Int,
        suppressed: Bool
    ) {
        self.className = className
        self.real = real
        self.synthetic = synthetic
        self.quarantined = quarantined
        self.duplicates = duplicates
        self.target = target
        self.deficit = deficit
        self.wanted = wanted
        self.suppressed = suppressed
    }
}

/// One dataset: its roots, classes, the generator's age (Unix seconds) and generation, the latest report.
public struct DatasetStatus: Codable, Sendable, Equatable {
    public var name: String
    public var watchRoot: String
    public var outputRoot: String
    public var classes: [ClassStatus]
    /// Files refused outside any class folder.
    public var unclassifiedQuarantined: Int
    public var ganTrainedAt: Double?
    public var generation: Int
    /// The latest report's folder.
    public var latestReport: String?
    enum CodingKeys: String, CodingKey {
        case name, classes, generation
        case watchRoot = "watch_root", outputRoot = "output_root", unclassifiedQuarantined = "unclassified_quarantined"
        case ganTrainedAt = "gan_trained_at", latestReport = "latest_report"
    }
    public init(
        name: String, watchRoot: String, outputRoot: String, classes: [ClassStatus], unclassifiedQuarantined: Int,
        ganTrainedAt: Double?, generation: Int, latestReport: String?
    ) {
        self.name = name
        self.watchRoot = watchRoot
        self.outputRoot = outputRoot
        self.classes = classes
        self.unclassifiedQuarantined = unclassifiedQuarantined
        self.ganTrainedAt = ganTrainedAt
        self.generation = generation
        self.latestReport = latestReport
    }
}

/// Progress of the running job (the `progress` event, and `job` in `status`). `startedAt` is Unix seconds.
public struct JobProgress: Sendable, Equatable, Codable {
    public var jobID: Int64
    public var dataset: String
    public var kind: String
    public var phase: String
    public var step: Int
    public var totalSteps: Int
    /// Losses, rates; GAN jobs include their own rate-based ETA (`hasETA`).
    public var detail: String
    public var startedAt: Double
    enum CodingKeys: String, CodingKey {
        case dataset, kind, phase, step, detail
        case jobID = "job_id", totalSteps = "total_steps", startedAt = "started_at"
    }
    public init(jobID: Int64, dataset: String, kind: String, phase: String, step: Int, totalSteps: Int, detail: String, startedAt: Double) {
        self.jobID = jobID
        self.dataset = dataset
        self.kind = kind
        self.phase = phase
        self.step = step
        self.totalSteps = totalSteps
        self.detail = detail
        self.startedAt = startedAt
    }

    /// The marker a job puts in `detail` when it reports its own ETA (so clients do not add another).
    public static let etaMarker = "ETA "
    /// Whether `detail` already carries an ETA.
    public var hasETA: Bool { detail.contains(Self.etaMarker) }
}

/// The whole `status` reply. `degraded` maps a component ("filewatch", "catalog") to why.
public struct StatusSnapshot: Codable, Sendable, Equatable {
    public var version: String
    public var pid: Int32
    public var uptimeSeconds: Double
    public var paused: Bool
    public var degraded: [String: String]
    public var datasets: [DatasetStatus]
    public var job: JobProgress?
    public var queuedJobs: Int
    enum CodingKeys: String, CodingKey {
        case version, pid, paused, degraded, datasets, job
        case uptimeSeconds = "uptime_seconds", queuedJobs = "queued_jobs"
    }
    public init(
        version: String, pid: Int32, uptimeSeconds: Double, paused: Bool, degraded: [String: String], datasets: [DatasetStatus],
        job: JobProgress?, queuedJobs: Int
    ) {
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.paused = paused
        self.degraded = degraded
        self.datasets = datasets
        self.job = job
        self.queuedJobs = queuedJobs
    }
}
