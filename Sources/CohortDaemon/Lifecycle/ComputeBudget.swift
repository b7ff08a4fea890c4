// One compute budget for ingest and jobs: cohortd's `threads` workers (Parallel.workers).
//
// A training job uses every worker for as long as it runs — OpenBLAS's threads and the engine's parallel
// loops are sized once and cannot shrink mid-step — so ingest takes what the job leaves: every worker while
// no job runs, one while a job does (ingest never stops: scans keep being cataloged during an hour of
// training). Before, an ingest burst during training decoded on `threads` more workers, so the daemon
// ran twice its budget of threads and held that many decodes' memory at once.
import Foundation

final class ComputeBudget: @unchecked Sendable {
    /// The daemon's workers (`threads`; every core when 0).
    let workers: Int
    private let lock = NSLock()
    private var jobs = 0

    init(workers: Int) { self.workers = max(1, workers) }

    /// Runs a job's work, counted against the budget while it runs.
    func whileJobRuns<T>(_ body: () throws -> T) rethrows -> T {
        lock.withLock { jobs += 1 }
        defer { lock.withLock { jobs -= 1 } }
        return try body()
    }

    /// Workers an ingest batch may decode on now.
    var ingestWorkers: Int { lock.withLock { jobs > 0 ? 1 : workers } }
}
