// The job runner: one training job at a time, on a dedicated thread (never Swift's cooperative pool,
// so the control plane stays responsive while the cores train). Jobs come from the catalog queue;
// a shutdown stops the running job at its next step boundary, where it checkpoints and is marked
// interrupted — the next start resumes it.
import Catalog
import CohortControl
import Foundation
import Logging
import ServiceLifecycle

final class JobRunner: Service, @unchecked Sendable {
    private let catalog: CatalogDatabase
    private let live: LiveConfiguration
    /// The configuration in force (reloads take effect at the next read).
    private var configuration: DaemonConfiguration { live.current }
    private let state: DaemonState
    private let logger: Logger
    private let worker = ServiceThread(name: "cohort-trainer", stackSize: 8 << 20)
    private var condition: NSCondition { worker.condition }
    /// A job is executing (guarded by `condition`).
    private var running = false

    init(catalog: CatalogDatabase, live: LiveConfiguration, state: DaemonState, logger: Logger) throws {
        self.catalog = catalog
        self.live = live
        self.state = state
        self.logger = logger
        // A job left `running` means the process died mid-job: it resumes from its last checkpoint.
        try catalog.interruptRunningJobs()
    }

    /// Wakes the runner (a job was queued, or training resumed).
    func wake() { worker.signal() }

    /// Whether a job is executing right now.
    var isRunning: Bool { condition.withLock { running } }

    func run() async throws {
        worker.start { [self] in loop() }
        try? await gracefulShutdown()
        await worker.stop()
    }

    private var isStopping: Bool { worker.isStopping }

    private func loop() {
        while !isStopping {
            guard !state.paused, let job = nextJob() else {
                condition.withLock { if !worker.isStoppingLocked { _ = condition.wait(until: Date().addingTimeInterval(1)) } }
                continue
            }
            condition.withLock { running = true }
            state.compute.whileJobRuns { execute(job) }
            condition.withLock { running = false }
            state.progress = nil
        }
    }

    /// The oldest queued or interrupted job; a catalog that cannot be read leaves the runner visibly
    /// degraded (it tries again every second), not silently idle.
    private func nextJob() -> JobRecord? {
        do {
            let job = try catalog.nextRunnableJob()
            state.setDegraded("job queue", nil)
            return job
        } catch {
            if state.degraded["job queue"] == nil { logger.error("cannot read the job queue: \(error)") }
            state.setDegraded("job queue", "cannot read the job queue: \(error)")
            return nil
        }
    }

    private func execute(_ queued: JobRecord) {
        var job = queued
        let configuration = self.configuration  // the job runs with the settings in force when it starts
        guard let dataset = configuration.dataset(named: job.dataset) else {
            finish(&job, state: .failed, outcome: "dataset '\(job.dataset)' is no longer configured")
            return
        }
        job.state = .running
        job.startedAt = job.startedAt ?? Date().timeIntervalSince1970
        try? catalog.updateJob(job)
        let context = JobContext(
            catalog: catalog, configuration: configuration, dataset: dataset, state: state,
            logger: logger, job: job, stopRequested: { [weak self] in self?.isStopping ?? true })
        let started = Date()
        state.events.publish(.jobStarted(job.event))
        defer {
            DaemonMetrics.countJob(kind: job.kind.rawValue, state: job.state.rawValue, seconds: Date().timeIntervalSince(started))
            state.events.publish(.jobFinished(job.event))
        }
        do {
            let outcome: String
            switch job.kind {
            case .gan: outcome = try GANJob.run(context)
            case .classifier: outcome = try ClassifierJob.run(context)
            case .generate: outcome = try GenerateJob.run(context)
            }
            job = context.job
            finish(&job, state: .done, outcome: outcome)
            state.setDegraded("\(job.kind.rawValue) job on \(job.dataset)", nil)
            logger.info("\(job.dataset): \(job.kind.rawValue) job \(job.id!) done in \(Int(Date().timeIntervalSince(started))) s: \(outcome)")
        } catch JobStop.interrupted {
            job = context.job
            job.state = .interrupted
            job.outcome = "interrupted at step \(job.step) of \(job.totalSteps); resumes from its checkpoint"
            try? catalog.updateJob(job)
            logger.notice("\(job.dataset): \(job.kind.rawValue) job \(job.id!) interrupted at step \(job.step)/\(job.totalSteps)")
        } catch JobStop.cancelled {
            job = context.job
            finish(&job, state: .cancelled, outcome: "cancelled by the operator at step \(job.step)")
            logger.notice("\(job.dataset): \(job.kind.rawValue) job \(job.id!) cancelled")
        } catch {
            job = context.job
            finish(&job, state: .failed, outcome: "\(error)")
            logger.error("\(job.dataset): \(job.kind.rawValue) job \(job.id!) failed: \(error)")
            // A failed training or publish (a full disk, an unwritable output root) is visible in status,
            // STATUS= and cohort_degraded until a job of the same kind on the dataset succeeds; the
            // scheduler retries it with its back-off.
            state.setDegraded("\(job.kind.rawValue) job on \(job.dataset)", "job \(job.id!) failed: \(error); retried with back-off")
        }
    }

    private func finish(_ job: inout JobRecord, state newState: JobRecord.State, outcome: String) {
        job.state = newState
        job.outcome = outcome
        job.finishedAt = Date().timeIntervalSince1970
        do {
            try catalog.updateJob(job)
        } catch {
            logger.error("cannot record the end of job \(job.id ?? -1): \(error)")
        }
    }
}
