// Capturing `status` (the protocol's StatusSnapshot) from the catalog and the live state.
import Catalog
import CohortControl
import Foundation

extension StatusSnapshot {
    /// cohortd's version string.
    public static let daemonVersion = ControlProtocol.release

    /// Reads the snapshot from the catalog and the live state.
    public static func capture(catalog: CatalogDatabase, configuration: DaemonConfiguration, state: DaemonState) throws -> StatusSnapshot {
        var datasets: [DatasetStatus] = []
        for dataset in configuration.datasets {
            // Every class folder with image rows (active, duplicate or quarantined) that is allowed.
            let balance = try DatasetBalance.read(catalog, dataset: dataset, settings: configuration.balance, showingEmptyClasses: true)
            let record = balance.record
            let byClass = Dictionary(balance.rows.map { ($0.className, $0) }, uniquingKeysWith: { first, _ in first })
            let classes = balance.classes.map { b in
                ClassStatus(
                    className: b.className, real: b.real, synthetic: byClass[b.className]?.synthetic ?? 0,
                    quarantined: byClass[b.className]?.quarantined ?? 0, duplicates: byClass[b.className]?.duplicates ?? 0,
                    target: b.target, deficit: b.deficit, wanted: b.wanted, suppressed: b.suppressed)
            }
            let unclassified = balance.rows.filter { balance.realCounts[$0.className] == nil }.reduce(0) { $0 + $1.quarantined }
            let report = try catalog.latestReportDirectory(dataset: dataset.name)
            datasets.append(
                DatasetStatus(
                    name: dataset.name, watchRoot: dataset.watchRoot, outputRoot: dataset.outputRoot, classes: classes,
                    unclassifiedQuarantined: unclassified, ganTrainedAt: record.ganTrainedAt,
                    generation: record.generation, latestReport: report))
        }
        let queued = try catalog.waitingJobCount()
        return StatusSnapshot(
            version: daemonVersion, pid: getpid(), uptimeSeconds: Date().timeIntervalSince(state.startedAt),
            paused: state.paused, degraded: state.degraded, datasets: datasets, job: state.progress, queuedJobs: queued)
    }
}
