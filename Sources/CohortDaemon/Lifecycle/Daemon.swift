// cohortd composed: catalog, ingest (watch → catalog), job runner (training thread), scheduler,
// status writer — in a swift-service-lifecycle ServiceGroup that shuts down in reverse order on
// SIGTERM/SIGINT, so a running job checkpoints before the catalog goes away.
import BLAS
import Catalog
import CohortControl
import Foundation
import Kernels
import Logging
import ServiceLifecycle

public enum Daemon {
    /// Exit statuses from sysexits.h that cohortd uses.
    public enum ExitStatus {
        public static let config: Int32 = 78
        public static let cannotCreate: Int32 = 73
        public static let software: Int32 = 70
    }

    /// Runs the daemon until SIGTERM or SIGINT; throws only when it cannot start.
    public static func run(configuration: DaemonConfiguration, logger: Logger) async throws {
        if configuration.threads > 0 { Parallel.workers = configuration.threads }
        for dataset in configuration.datasets {
            try FileManager.default.createDirectory(atPath: dataset.outputRoot, withIntermediateDirectories: true)
        }
        DaemonMetrics.bootstrap()
        let catalog = try CatalogDatabase(path: configuration.catalogPath)
        // The tree, the catalog and the manifest agree before anything reads them (a crash mid-publish
        // leaves staging folders, renamed files without rows, or rows without files).
        for dataset in configuration.datasets {
            try SyntheticPublisher(catalog: catalog, dataset: dataset, logger: logger).reconcile()
        }
        let live = LiveConfiguration(configuration)
        let state = DaemonState(computeWorkers: Parallel.workers)
        let processor = try IngestProcessor(catalog: catalog, configuration: configuration, compute: state.compute)
        let ingest = IngestService(processor: processor, configuration: configuration, state: state, logger: logger)
        let runner = try JobRunner(catalog: catalog, live: live, state: state, logger: logger)
        let scheduler = SchedulerService(catalog: catalog, live: live, state: state, runner: runner, logger: logger)
        let status = StatusWriter(catalog: catalog, live: live, state: state, logger: logger)
        let notifier = SystemdNotifier()
        let reloader = ConfigurationReloader(live: live, notifier: notifier, state: state, logger: logger)
        // READY=1 only now that the catalog is open, and once the control socket is bound.
        let commands = ControlCommands(
            catalog: catalog, live: live, state: state, scheduler: scheduler, ingest: ingest,
            runner: runner, reloader: reloader,
            statusCache: StatusCache(catalog: catalog, live: live, state: state))
        let control = ControlServer(
            configuration: configuration, commands: commands, live: live, logger: logger,
            onReady: { notifier.notify("READY=1\nSTATUS=idle, watching") })
        let watchdog = WatchdogService(notifier: notifier, state: state)
        let journalMode = try catalog.journalMode()
        logger.info(
            "cohortd \(StatusSnapshot.daemonVersion) starting: \(configuration.datasets.count) dataset(s), state \(configuration.stateDirectory), \(Parallel.workers) compute threads, OpenBLAS \(BLAS.coreName), catalog \(journalMode) mode"
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: status),
                    .init(service: runner),
                    .init(service: scheduler),
                    .init(service: ingest),
                    .init(service: control),
                    .init(service: watchdog),
                    .init(service: reloader)
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        do { try catalog.checkpointWAL() } catch { logger.warning("catalog WAL checkpoint at stop failed: \(error)") }
        logger.info("cohortd stopped")
    }
}
