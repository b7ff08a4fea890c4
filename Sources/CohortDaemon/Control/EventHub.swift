// Fan-out of live events to `subscribe` clients: job progress, jobs starting and ending, ingest
// batches, reloads, degraded states. Publishers never block: each subscriber's delivery closure hands
// the event to its own connection's event loop, and a slow client only delays itself.
import CohortControl
import Foundation

public final class EventHub: @unchecked Sendable {
    public typealias Subscriber = @Sendable (ControlEvent) -> Void
    private let lock = NSLock()
    private var subscribers: [Int: Subscriber] = [:]
    private var nextID = 0
    private var lastProgressAt = 0.0

    public init() {}

    /// Adds a subscriber; returns the token that removes it.
    public func subscribe(_ subscriber: @escaping Subscriber) -> Int {
        lock.withLock {
            nextID += 1
            subscribers[nextID] = subscriber
            return nextID
        }
    }

    public func unsubscribe(_ token: Int) { _ = lock.withLock { subscribers.removeValue(forKey: token) } }

    public var subscriberCount: Int { lock.withLock { subscribers.count } }

    /// Sends `event` to every subscriber.
    public func publish(_ event: TypedControlEvent) {
        let targets = lock.withLock { Array(subscribers.values) }
        guard !targets.isEmpty, let message = try? ControlEvent(event) else { return }
        for target in targets { target(message) }
    }

    /// Progress is published at most 4 times a second (a tiny GAN steps far faster than anyone reads);
    /// `force` for the first and last step of a phase.
    public func publishProgress(_ progress: JobProgress, force: Bool) {
        let now = Date().timeIntervalSince1970
        let due = lock.withLock {
            guard force || now - lastProgressAt >= 0.25 else { return false }
            lastProgressAt = now
            return true
        }
        if due { publish(.progress(progress)) }
    }
}
