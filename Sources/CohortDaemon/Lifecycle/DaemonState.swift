// Live state shared by the daemon's services (and, through the control socket, by operators): health,
// the pause switch, the running job's progress. The catalog holds everything durable; this holds what
// only matters while the process lives.
import CohortControl
import Foundation

/// Thread-safe live state.
public final class DaemonState: @unchecked Sendable {
    private let lock = NSLock()
    private var degradedValue: [String: String] = [:]
    private var pausedValue = false
    private var progressValue: JobProgress?
    private var cancelRequested: Int64?
    public let startedAt = Date()
    /// Live events for `subscribe` clients.
    public let events = EventHub()
    private var heartbeatValue = Date().timeIntervalSince1970

    /// Last time the scheduler loop completed a pass (seconds since the epoch): the watchdog's proof of life.
    public var heartbeat: Double {
        get { lock.withLock { heartbeatValue } }
        set { lock.withLock { heartbeatValue = newValue } }
    }

    /// One line for systemd's STATUS=: what the daemon is doing.
    public var activity: String {
        lock.withLock {
            if let p = progressValue {
                return "\(p.kind) job \(p.jobID) on \(p.dataset): \(p.phase) \(p.step)/\(p.totalSteps)"
            }
            return pausedValue
                ? "training paused"
                : (degradedValue.isEmpty ? "idle, watching" : "degraded: " + degradedValue.values.sorted().joined(separator: "; "))
        }
    }

    /// Compute workers shared by ingest and jobs.
    let compute: ComputeBudget

    /// `computeWorkers`: the daemon's `threads` (Parallel.workers once configured).
    init(computeWorkers: Int) { compute = ComputeBudget(workers: computeWorkers) }

    /// Degraded conditions by component ("filewatch" → reason).
    public var degraded: [String: String] { lock.withLock { degradedValue } }
    /// Sets or clears (nil) a component's degraded reason; subscribers hear of changes only. Returns whether
    /// the reason changed (callers log a cause once, not on every retry).
    @discardableResult
    public func setDegraded(_ component: String, _ reason: String?) -> Bool {
        let changed = lock.withLock { () -> Bool in
            defer { degradedValue[component] = reason }
            return degradedValue[component] != reason
        }
        guard changed else { return false }
        events.publish(.degraded(DegradedEvent(component: component, reason: reason)))
        return true
    }

    /// Training paused by the operator: queued jobs wait, the running one stops at its next checkpoint.
    public var paused: Bool {
        get { lock.withLock { pausedValue } }
        set { lock.withLock { pausedValue = newValue } }
    }

    public var progress: JobProgress? {
        get { lock.withLock { progressValue } }
        set { lock.withLock { progressValue = newValue } }
    }

    /// Asks the running job with `id` to stop (it ends as cancelled).
    public func cancel(jobID: Int64) { lock.withLock { cancelRequested = jobID } }
    public func isCancelled(jobID: Int64) -> Bool { lock.withLock { cancelRequested == jobID } }
}
