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
            // Classes with image rows (active, duplicate or quarantined) under a class folder that is allowed.
            let all = try catalog.classCounts(dataset: dataset.name)
            let rows = all.filter { $0.real + $0.duplicates + $0.quarantined > 0 }
            let byClass = Dictionary(uniqueKeysWithValues: rows.map { ($0.className, $0) })
            var realCounts: [String: Int] = [:]
            for row in rows where !row.className.isEmpty && (dataset.classes.isEmpty || dataset.classes.contains(row.className)) {
                realCounts[row.className] = row.real
            }
            for name in dataset.classes where realCounts[name] == nil { realCounts[name] = 0 }
            let record = try catalog.datasetState(dataset.name)
            let synthetic = Dictionary(uniqueKeysWithValues: all.map { ($0.className, $0.synthetic) })
            let balance = BalancePolicy.balance(realCounts: realCounts, settings: configuration.balance,
                                                suppressed: try configuration.balance.withheld(record))
            let classes = balance.map { b in
                ClassStatus(className: b.className, real: b.real, synthetic: synthetic[b.className] ?? 0,
                            quarantined: byClass[b.className]?.quarantined ?? 0, duplicates: byClass[b.className]?.duplicates ?? 0,
                            target: b.target, deficit: b.deficit, wanted: b.wanted, suppressed: b.suppressed)
            }
            let unclassified = rows.filter { realCounts[$0.className] == nil }.reduce(0) { $0 + $1.quarantined }
            let report = try catalog.latestReportDirectory(dataset: dataset.name)
            datasets.append(DatasetStatus(name: dataset.name, watchRoot: dataset.watchRoot, outputRoot: dataset.outputRoot, classes: classes,
                                          unclassifiedQuarantined: unclassified, ganTrainedAt: record.ganTrainedAt,
                                          generation: record.generation, latestReport: report))
        }
        let queued = try catalog.waitingJobCount()
        return StatusSnapshot(version: daemonVersion, pid: getpid(), uptimeSeconds: Date().timeIntervalSince(state.startedAt),
                              paused: state.paused, degraded: state.degraded, datasets: datasets, job: state.progress, queuedJobs: queued)
    }
}
