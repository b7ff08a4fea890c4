// One compute budget for ingest and jobs: cohortd's `threads` workers (Parallel.workers), never more.
//
// A training job uses every worker while it steps — OpenBLAS's threads and the engine's parallel loops are
// sized once and cannot shrink mid-step — so ingest and a job take turns on the cores instead of running
// side by side: the job holds them from step to step, and at each step boundary (`jobBoundary`, reached
// through `JobContext.shouldStop`) a waiting ingest chunk (16 files, or 8 per worker) runs first, on every worker. Ingest never stops
// during an hour of training (each boundary serves one chunk of a few files), a job never waits for more
// than one chunk, and the daemon never runs more than `threads` compute threads — `threads: 1` keeps
// all of it, ingest included, on one. Without a job, ingest runs at once on every worker. (Ingest's
// near-duplicate search runs inside a catalog transaction and cannot wait for a turn: `workersBesideJob`.)
import Foundation

final class ComputeBudget: @unchecked Sendable {
    /// The daemon's workers (`threads`; every core when 0).
    let workers: Int
    private let condition = NSCondition()
    /// A job holds the cores (between its boundaries).
    private var jobHolding = false
    /// Jobs running (held or yielding at a boundary).
    private var jobs = 0
    private var jobWaiting = false
    private var ingestWaiting = 0
    private var ingesting = false
    /// Who had the cores last, so a job and a busy ingest alternate instead of one starving the other.
    private var ingestWentLast = false
    /// Compute sections running now (job or ingest) and the most ever seen (tests).
    private var running = 0
    private(set) var mostAtOnce = 0

    init(workers: Int) { self.workers = max(1, workers) }

    /// Runs a job, holding the cores except at its boundaries.
    func whileJobRuns<T>(_ body: () throws -> T) rethrows -> T {
        condition.withLock { jobs += 1 }
        acquireForJob()
        defer {
            releaseForJob()
            condition.withLock { jobs -= 1 }
        }
        return try body()
    }

    /// Threads for short work that cannot wait for a turn (ingest's near-duplicate search inside a catalog
    /// transaction): one while a job runs, every worker otherwise.
    var workersBesideJob: Int { condition.withLock { jobs > 0 ? 1 : workers } }

    /// A job's step boundary: a waiting ingest chunk runs now, then the job takes the cores back.
    func jobBoundary() {
        condition.lock()
        let yielding = jobHolding && ingestWaiting > 0
        condition.unlock()
        guard yielding else { return }
        releaseForJob()
        acquireForJob()
    }

    /// Runs an ingest chunk on the workers it gets (every one: a job is paused at a boundary meanwhile).
    func ingestChunk<T>(_ body: (_ workers: Int) throws -> T) rethrows -> T {
        condition.lock()
        ingestWaiting += 1
        while jobHolding || ingesting || (jobWaiting && ingestWentLast) { condition.wait() }
        ingestWaiting -= 1
        ingesting = true
        enter()
        condition.unlock()
        defer {
            condition.lock()
            ingesting = false
            ingestWentLast = true
            running -= 1
            condition.broadcast()
            condition.unlock()
        }
        return try body(workers)
    }

    private func acquireForJob() {
        condition.lock()
        jobWaiting = true
        while ingesting || (ingestWaiting > 0 && !ingestWentLast) { condition.wait() }
        jobWaiting = false
        jobHolding = true
        enter()
        condition.unlock()
    }

    private func releaseForJob() {
        condition.lock()
        jobHolding = false
        ingestWentLast = false
        running -= 1
        condition.broadcast()
        condition.unlock()
    }

    private func enter() {
        running += 1
        mostAtOnce = max(mostAtOnce, running)
    }

    /// The most compute sections (a job's steps or an ingest chunk) that ever ran at once: 1 by construction.
    var peakConcurrency: Int { condition.withLock { mostAtOnce } }
}
