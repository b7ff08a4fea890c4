// What a running job may use: the catalog, its dataset, the configuration, the live state and a way to
// report progress and to ask whether it must stop (shutdown, cancel, pause).
import Catalog
import CohortControl
import Foundation
import Logging

/// Why a job stopped early.
enum JobStop: Error, Equatable {
    /// Shutdown or pause: the job is resumable and goes back to the queue as interrupted.
    case interrupted
    /// The operator cancelled it.
    case cancelled
}

final class JobContext: @unchecked Sendable {
    let catalog: CatalogDatabase
    let configuration: DaemonConfiguration
    let dataset: DatasetConfiguration
    let state: DaemonState
    let logger: Logger
    var job: JobRecord
    private let stopRequested: () -> Bool
    private var lastPersisted = 0.0

    init(
        catalog: CatalogDatabase, configuration: DaemonConfiguration, dataset: DatasetConfiguration, state: DaemonState,
        logger: Logger, job: JobRecord, stopRequested: @escaping () -> Bool
    ) {
        self.catalog = catalog
        self.configuration = configuration
        self.dataset = dataset
        self.state = state
        self.logger = logger
        self.job = job
        self.stopRequested = stopRequested
    }

    /// Why the job must stop now, if it must.
    var stopReason: JobStop? {
        if state.isCancelled(jobID: job.id!) { return .cancelled }
        if stopRequested() || state.paused { return .interrupted }
        return nil
    }

    /// Asked at every step boundary of every job, so it is also where ingest waiting for the cores gets them
    /// (ComputeBudget.jobBoundary) before the next step.
    var shouldStop: Bool {
        state.compute.jobBoundary()
        return stopReason != nil
    }

    /// Publishes progress live, and to the catalog at most every 2 s.
    func progress(phase: String, step: Int, total: Int, detail: String) {
        let now = Date().timeIntervalSince1970
        let progress = JobProgress(
            jobID: job.id!, dataset: job.dataset, kind: job.kind.rawValue, phase: phase, step: step,
            totalSteps: total, detail: detail, startedAt: job.startedAt ?? now)
        let phaseChanged = state.progress?.phase != phase
        state.progress = progress
        state.events.publishProgress(progress, force: phaseChanged || step >= total)
        if now - lastPersisted >= 2 {
            lastPersisted = now
            job.detail = "\(phase): \(detail)"
            let snapshot = job
            // Progress detail is best effort: a busy or full catalog must not stop training (the step commit below is not).
            try? catalog.setJobDetail(id: snapshot.id!, detail: snapshot.detail)
        }
    }

    /// Records the steps completed and checkpointed so far (what a resumed job skips).
    func commit(step: Int) throws {
        job.step = step
        let snapshot = job
        try catalog.setJobSteps(id: snapshot.id!, step: snapshot.step, totalSteps: snapshot.totalSteps)
    }

    func datasetState() throws -> DatasetStateRecord {
        try catalog.datasetState(dataset.name)
    }

    func saveDatasetState(_ update: (inout DatasetStateRecord) throws -> Void) throws {
        try catalog.updateDatasetState(dataset.name, update)
    }
}
