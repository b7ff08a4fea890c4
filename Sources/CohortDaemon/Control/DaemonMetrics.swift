// Metrics through swift-metrics with swift-prometheus as the backend; `cohortctl metrics` returns the
// Prometheus text exposition (https://prometheus.io/docs/instrumenting/exposition_formats/). Events
// (files ingested, jobs finished, requests served) are counted where they happen; levels (images per
// class, deficits, queue length, pause) are read from a status snapshot when metrics are asked for, so
// they are never stale.
import CohortControl
import CoreMetrics
import Foundation
import Prometheus

enum DaemonMetrics {
    /// The process's registry; the first use bootstraps swift-metrics with it (once per process).
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Makes sure every metric created from now on lands in `registry`.
    static func bootstrap() { _ = registry }

    /// Files ingested, by outcome: active, duplicate, quarantined, removed.
    static func countIngest(_ outcome: IngestOutcome) {
        for (name, value) in [
            ("active", outcome.active), ("duplicate", outcome.duplicates), ("quarantined", outcome.quarantined),
            ("removed", outcome.removed)
        ] where value > 0 {
            CoreMetrics.Counter(label: "cohort_ingested_files_total", dimensions: [("outcome", name)]).increment(by: value)
        }
    }

    /// A job ended: counted by kind and final state; its duration recorded in a histogram.
    static func countJob(kind: String, state: String, seconds: Double) {
        CoreMetrics.Counter(label: "cohort_jobs_total", dimensions: [("kind", kind), ("state", state)]).increment()
        CoreMetrics.Timer(label: "cohort_job_duration_seconds", dimensions: [("kind", kind)]).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A control request served (unknown command names are pooled so clients cannot grow the label set).
    static func countRequest(_ cmd: String, known: Bool) {
        CoreMetrics.Counter(label: "cohort_control_requests_total", dimensions: [("cmd", known ? cmd : "unknown")]).increment()
    }

    /// The inotify queue overflowed (events lost; every root rescanned).
    static func countWatchOverflow() {
        CoreMetrics.Counter(label: "cohort_watch_overflows_total").increment()
    }

    /// The control socket's status cache read the catalog (StatusCache): at most a few per second, however many ask.
    static func countStatusRefresh() {
        CoreMetrics.Counter(label: "cohort_status_refreshes_total").increment()
    }

    /// Sets the level gauges from `status`, then renders everything in the text exposition format.
    static func exposition(status: StatusSnapshot) -> String {
        CoreMetrics.Gauge(label: "cohort_uptime_seconds").record(status.uptimeSeconds)
        CoreMetrics.Gauge(label: "cohort_training_paused").record(status.paused ? 1 : 0)
        CoreMetrics.Gauge(label: "cohort_degraded").record(status.degraded.isEmpty ? 0 : 1)
        CoreMetrics.Gauge(label: "cohort_queued_jobs").record(status.queuedJobs)
        CoreMetrics.Gauge(label: "cohort_job_running").record(status.job == nil ? 0 : 1)
        let progress = status.job.map { $0.totalSteps > 0 ? Double($0.step) / Double($0.totalSteps) : 0 } ?? 0
        CoreMetrics.Gauge(label: "cohort_job_progress_ratio").record(progress)
        for dataset in status.datasets {
            for c in dataset.classes {
                for (kind, value) in [("real", c.real), ("synthetic", c.synthetic), ("quarantined", c.quarantined), ("duplicate", c.duplicates)] {
                    CoreMetrics.Gauge(label: "cohort_images", dimensions: [("dataset", dataset.name), ("class", c.className), ("kind", kind)]).record(
                        value)
                }
                CoreMetrics.Gauge(label: "cohort_class_deficit", dimensions: [("dataset", dataset.name), ("class", c.className)]).record(c.deficit)
            }
        }
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
