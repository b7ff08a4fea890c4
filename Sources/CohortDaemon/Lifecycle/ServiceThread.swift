// The dedicated thread of a long-running service (ingest, the job runner): decoding and training are CPU
// work and never run on Swift's cooperative pool, so the control plane stays responsive. One helper owns
// the thread, its condition (which also guards the service's own queue and flags), and its lifecycle as
// one enum; the service's `run()` starts it and, at shutdown, asks it to stop and waits — off the pool.
import Foundation

final class ServiceThread: @unchecked Sendable {
    enum Phase: Sendable, Equatable {
        case notStarted
        /// The loop runs and waits for work.
        case running
        /// Shutdown asked: the loop finishes what it must and returns.
        case stopping
        /// The loop returned.
        case stopped
    }

    /// Guards `phase` and whatever state the service shares with its thread; `signal()` wakes the loop.
    let condition = NSCondition()
    private var phase = Phase.notStarted
    private let returned = DispatchSemaphore(value: 0)
    private let name: String
    private let stackSize: Int?

    init(name: String, stackSize: Int? = nil) {
        self.name = name
        self.stackSize = stackSize
    }

    /// Starts `loop` on the thread; it should return once `isStopping` (or `isStoppingLocked`) says so.
    func start(_ loop: @escaping @Sendable () -> Void) {
        condition.withLock { phase = .running }
        let thread = Thread { [self] in
            loop()
            condition.withLock { phase = .stopped }
            returned.signal()
        }
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
    }

    /// Asks the loop to stop, wakes it, and waits (without blocking the cooperative pool) until it returned.
    func stop() async {
        let started = condition.withLock {
            if phase == .running { phase = .stopping }
            condition.broadcast()
            return phase != .notStarted
        }
        if started { await returned.waitAsync() }
    }

    /// Whether shutdown was asked (takes the lock).
    var isStopping: Bool { condition.withLock { isStoppingLocked } }

    /// The same, for code that already holds `condition`.
    var isStoppingLocked: Bool { phase == .stopping || phase == .stopped }

    /// Wakes the loop if it waits on `condition`.
    func signal() { condition.withLock { condition.signal() } }
}
