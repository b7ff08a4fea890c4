// Typed payloads of the events a `subscribe` stream carries, and the one enum that pairs each
// `ControlEventKind` with its payload: the daemon publishes `TypedControlEvent`s, clients read them back.
import Foundation

/// `job_started` / `job_finished`: the job and, once it ended, its outcome (explicit null before).
public struct JobEvent: Codable, Sendable, Equatable {
    public var jobID: Int64
    public var dataset: String
    public var kind: JobKindName
    public var state: JobStateName
    public var step: Int
    public var totalSteps: Int
    public var outcome: String?
    enum CodingKeys: String, CodingKey {
        case dataset, kind, state, step, outcome
        case jobID = "job_id", totalSteps = "total_steps"
    }
    public init(jobID: Int64, dataset: String, kind: JobKindName, state: JobStateName, step: Int, totalSteps: Int, outcome: String?) {
        self.jobID = jobID
        self.dataset = dataset
        self.kind = kind
        self.state = state
        self.step = step
        self.totalSteps = totalSteps
        self.outcome = outcome
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(dataset, forKey: .dataset)
        try c.encode(kind, forKey: .kind)
        try c.encode(state, forKey: .state)
        try c.encode(step, forKey: .step)
        try c.encode(totalSteps, forKey: .totalSteps)
        try c.encode(outcome, forKey: .outcome)
    }
}

/// `ingested`: what one ingest pass did (new images, duplicates, refusals, files gone).
public struct IngestedEvent: Codable, Sendable, Equatable {
    public var active: Int
    public var duplicates: Int
    public var quarantined: Int
    public var removed: Int
    public init(active: Int, duplicates: Int, quarantined: Int, removed: Int) {
        self.active = active
        self.duplicates = duplicates
        self.quarantined = quarantined
        self.removed = removed
    }
}

/// `degraded`: a component's reason, or null when it is healthy again.
public struct DegradedEvent: Codable, Sendable, Equatable {
    public var component: String
    public var reason: String?
    public init(component: String, reason: String?) {
        self.component = component
        self.reason = reason
    }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(component, forKey: .component)
        try c.encode(reason, forKey: .reason)
    }
}

/// `reloaded`: what a reload applied and what needs a restart, or why the file was refused (`error`).
public struct ReloadedEvent: Codable, Sendable, Equatable {
    public var applied: [String]?
    public var needsRestart: [String]?
    public var error: String?
    enum CodingKeys: String, CodingKey { case applied, error, needsRestart = "needs_restart" }
    public static func success(applied: [String], needsRestart: [String]) -> ReloadedEvent {
        ReloadedEvent(applied: applied, needsRestart: needsRestart, error: nil)
    }
    public static func failure(_ error: String) -> ReloadedEvent { ReloadedEvent(applied: nil, needsRestart: nil, error: error) }
}

/// An event with its typed payload.
public enum TypedControlEvent: Sendable, Equatable {
    case progress(JobProgress)
    case jobStarted(JobEvent)
    case jobFinished(JobEvent)
    case ingested(IngestedEvent)
    case degraded(DegradedEvent)
    case reloaded(ReloadedEvent)

    public var kind: ControlEventKind {
        switch self {
        case .progress: .progress
        case .jobStarted: .jobStarted
        case .jobFinished: .jobFinished
        case .ingested: .ingested
        case .degraded: .degraded
        case .reloaded: .reloaded
        }
    }
}

extension ControlEvent {
    /// The frame for a typed event.
    public init(_ typed: TypedControlEvent) throws {
        let data: JSONValue
        switch typed {
        case .progress(let p): data = try .encoding(p)
        case .jobStarted(let j), .jobFinished(let j): data = try .encoding(j)
        case .ingested(let i): data = try .encoding(i)
        case .degraded(let d): data = try .encoding(d)
        case .reloaded(let r): data = try .encoding(r)
        }
        self.init(event: typed.kind.rawValue, data: data)
    }

    /// The event's kind, or nil for one this build does not know (a newer daemon).
    public var kind: ControlEventKind? { ControlEventKind(rawValue: event) }

    /// The typed event; throws when the name is unknown or the payload does not match its kind.
    public func typed() throws -> TypedControlEvent {
        switch kind {
        case .progress: .progress(try data.decoded(as: JobProgress.self))
        case .jobStarted: .jobStarted(try data.decoded(as: JobEvent.self))
        case .jobFinished: .jobFinished(try data.decoded(as: JobEvent.self))
        case .ingested: .ingested(try data.decoded(as: IngestedEvent.self))
        case .degraded: .degraded(try data.decoded(as: DegradedEvent.self))
        case .reloaded: .reloaded(try data.decoded(as: ReloadedEvent.self))
        case nil: throw ControlError(.malformedFrame, "unknown event '\(event)'", context: ["event": event])
        }
    }
}
