// The scheduler loop: once a second, per dataset, compute the balance, retire surplus synthetic
// samples, and enqueue the GAN, top-up or classifier jobs the rules call for.
import Catalog
import Foundation
import Logging
import ServiceLifecycle

final class SchedulerService: Service, @unchecked Sendable {
    private let catalog: CatalogDatabase
    private let live: LiveConfiguration
    /// The configuration in force (reloads take effect at the next read).
    private var configuration: DaemonConfiguration { live.current }
    private let state: DaemonState
    private let runner: JobRunner
    private let logger: Logger
    let interval: Duration

    init(
        catalog: CatalogDatabase, live: LiveConfiguration, state: DaemonState, runner: JobRunner, logger: Logger,
        interval: Duration = .seconds(1)
    ) {
        self.catalog = catalog
        self.live = live
        self.state = state
        self.runner = runner
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for dataset in configuration.datasets {
                // A pass that fails (a catalog error, a damaged withheld-classes list) schedules nothing for the
                // dataset and leaves the daemon degraded until a pass succeeds; logged once per cause.
                do {
                    try tick(dataset)
                    state.setDegraded("scheduler \(dataset.name)", nil)
                } catch {
                    let reason = "\(dataset.name): scheduler: \(error)"
                    if state.setDegraded("scheduler \(dataset.name)", reason) { logger.error("\(reason)") }
                }
            }
            state.heartbeat = Date().timeIntervalSince1970
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
    }

    /// One scheduling pass over `dataset`.
    func tick(_ dataset: DatasetConfiguration, now: Double = Date().timeIntervalSince1970) throws {
        let configuration = self.configuration  // one consistent reading per pass, even across a reload
        let current = try DatasetBalance.read(catalog, dataset: dataset, settings: configuration.balance)
        guard !current.realCounts.isEmpty else { return }
        let (record, balance) = (current.record, current.classes)
        let pending = try catalog.pendingJobKinds(dataset: dataset.name)
        // A kind whose last job failed waits out a back-off (doubling per consecutive failure, 1 min to
        // 1 h) instead of failing in a loop; the failure stays visible in the job history.
        let backingOff = try SchedulerService.backingOff(catalog, dataset: dataset.name, now: now)
        // Real arrivals that shrink a deficit retire synthetic samples at once (no GAN needed). Not
        // while a job runs for the dataset: it may be replacing the very set.
        if pending.isEmpty {
            let publisher = SyntheticPublisher(catalog: catalog, dataset: dataset, logger: logger)
            let retired = try publisher.retireSurplus(balance: balance)
            if retired > 0 { logger.info("\(dataset.name): retired \(retired) surplus synthetic samples") }
        }
        let input = SchedulerInput(
            dataset: dataset.name, now: now, balance: balance, activeImages: current.activeImages, imagesAtGAN: record.imagesAtGAN,
            ganTrainedAt: record.ganTrainedAt, imagesAtClassifier: record.imagesAtClassifier, classifierTrainedAt: record.classifierTrainedAt,
            lastImageAt: record.lastImageAt, ganJobPending: pending.contains(.gan) || backingOff.contains(.gan),
            classifierJobPending: pending.contains(.classifier) || backingOff.contains(.classifier),
            paused: state.paused, synthetic: current.syntheticByClass, hasGenerator: record.checkpoint != nil, anyJobPending: !pending.isEmpty,
            generateBackingOff: backingOff.contains(.generate))
        let jobs = Scheduler.decide(input, gan: configuration.gan, classifier: configuration.classifier)
        for job in jobs {
            let kind: JobRecord.Kind =
                switch job.kind {
                case .gan: .gan
                case .classifier: .classifier
                case .generate: .generate
                }
            try enqueue(dataset: dataset.name, kind: kind, steps: job.steps, reason: job.reason)
        }
    }

    /// Job kinds of `dataset` still in their failure back-off at `now`.
    static func backingOff(_ catalog: CatalogDatabase, dataset: String, now: Double) throws -> Set<JobRecord.Kind> {
        var result = Set<JobRecord.Kind>()
        for kind in [JobRecord.Kind.gan, .classifier, .generate] {
            let recent = try catalog.finishedJobs(dataset: dataset, kind: kind, limit: 6)
            let failures = recent.prefix { $0.state == .failed }.count
            guard failures > 0, let last = recent.first?.finishedAt else { continue }
            let delay = min(3600, 60 * pow(2, Double(failures - 1)))
            if now - last < delay { result.insert(kind) }
        }
        return result
    }

    /// Queues a job (also used by operator commands).
    @discardableResult
    func enqueue(dataset: String, kind: JobRecord.Kind, steps: Int, reason: String, arguments: String? = nil) throws -> JobRecord {
        var job = JobRecord(
            dataset: dataset, kind: kind, totalSteps: steps, reason: reason, createdAt: Date().timeIntervalSince1970,
            arguments: arguments)
        try catalog.insertJob(&job)
        logger.info("\(dataset): queued \(kind.rawValue) job \(job.id!): \(reason)")
        runner.wake()
        return job
    }
}
