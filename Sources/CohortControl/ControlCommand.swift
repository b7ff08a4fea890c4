// Every command and event of the control protocol as an enum case: the daemon's handler table switches
// over `ControlCommand` (the compiler checks it is exhaustive), cohortctl and tests name commands through
// it, and the raw values are the v1 wire names.
import Foundation

/// A control-socket command; `rawValue` is its wire name (`"cmd"` of a request).
public enum ControlCommand: String, CaseIterable, Codable, Sendable {
    case version, status, datasets, jobs, quarantine, report, metrics, subscribe
    case pause, resume, cancel, rescan, train, generate, export, reload, backup

    /// Whether the command changes the daemon (or writes files as the daemon): allowed to root, the
    /// daemon's user and the admin group only. Everything else is open to any peer that can connect.
    public var isMutating: Bool {
        switch self {
        case .version, .status, .datasets, .jobs, .quarantine, .report, .metrics, .subscribe: false
        case .pause, .resume, .cancel, .rescan, .train, .generate, .export, .reload, .backup: true
        }
    }
}

/// A pushed event's name (`"event"` of an event frame).
public enum ControlEventKind: String, CaseIterable, Codable, Sendable {
    /// The running job's progress (at most 4 a second): `JobProgress`.
    case progress
    /// A job started or ended: `JobEvent`.
    case jobStarted = "job_started", jobFinished = "job_finished"
    /// An ingest pass changed the catalog: `IngestedEvent`.
    case ingested
    /// A component became degraded or healthy again: `DegradedEvent`.
    case degraded
    /// The configuration was re-read: `ReloadedEvent`.
    case reloaded
}
