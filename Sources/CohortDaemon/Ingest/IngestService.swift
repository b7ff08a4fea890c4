// The watch → ingest pipeline as a lifecycle service: FileWatch's thread hands events over, a
// dedicated ingest thread (decoding is CPU work: never on Swift's cooperative pool) processes them in
// order, batching arrivals so a 2,000-file copy is decoded in parallel and committed in few transactions.
// A change the catalog cannot take (disk full, a damaged index) is kept, not dropped: the daemon reports
// itself degraded ("ingest") and retries every `degraded_rescan_seconds` until the catalog takes it.
import CohortControl
import FileWatch
import Foundation
import Logging
import ServiceLifecycle

final class IngestService: Service, @unchecked Sendable {
    private let processor: IngestProcessor
    private let watcher: FileWatcher
    private let state: DaemonState
    private let logger: Logger
    private let worker = ServiceThread(name: "cohort-ingest")
    private var condition: NSCondition { worker.condition }
    /// Events waiting, and whether a batch is being processed (guarded by `condition`).
    private var queue: [FileWatchEvent] = []
    private var busy = false
    /// Arrivals per transaction.
    static let batchSize = 128
    /// Changes the catalog refused (only the ingest thread touches these): retried at `nextFailedRetry`.
    private var failedArrivals: [String] = []
    private var failedRemovals: [FileWatchEvent] = []
    private var failedInventory = false
    private var lastFailure: String?
    /// The entries each root's last full scan skipped by name, so the log names a set once, not every scan.
    private var lastIgnored: [String: [String]] = [:]
    private let failedRetrySeconds: Double
    private var failedCount: Int { failedArrivals.count + failedRemovals.count + (failedInventory ? 1 : 0) }

    init(processor: IngestProcessor, configuration: DaemonConfiguration, state: DaemonState, logger: Logger) {
        self.processor = processor
        self.state = state
        self.logger = logger
        failedRetrySeconds = configuration.degradedRescanSeconds
        var settings = FileWatcher.Settings()
        settings.settleInterval = configuration.settleSeconds
        settings.degradedRescanInterval = configuration.degradedRescanSeconds
        let box = EventSink()
        watcher = FileWatcher(roots: configuration.datasets.map(\.watchRoot), settings: settings) { event in box.deliver(event) }
        box.target = self
    }

    /// Forwards watcher events to the service (set once, before the watcher starts).
    private final class EventSink: @unchecked Sendable {
        weak var target: IngestService?
        func deliver(_ event: FileWatchEvent) { target?.enqueue(event) }
    }

    func enqueue(_ event: FileWatchEvent) {
        condition.withLock {
            queue.append(event)
            condition.signal()
        }
    }

    /// Asks the watcher for a full rescan (operator `rescan`); transient refusals are tried again at once.
    func rescan() {
        do { try processor.makeTransientRefusalsDue() } catch { logger.error("rescan: cannot mark transient refusals due: \(error)") }
        watcher.requestRescan()
        condition.withLock {
            retryRequested = true
            condition.signal()
        }
    }

    /// How often the ingest thread looks for transient refusals that are due (their own backoff decides).
    static let retryCheckSeconds = 15.0
    private var retryRequested = false

    /// True while events wait or a batch is being processed (tests and status use it).
    var isIdle: Bool { condition.withLock { queue.isEmpty && !busy } }

    func run() async throws {
        do {
            for (dataset, count) in try processor.dropRowsOutsideWatchRoots().sorted(by: { $0.key < $1.key }) {
                logger.warning(
                    "dataset \(dataset): \(count) catalog rows name files outside its watch root (moved?); dropped — the files are untouched and are ingested again if the root moves back"
                )
            }
        } catch {
            logger.error("cannot drop rows outside the watch roots: \(error)")
        }
        worker.start { [self] in loop() }
        watcher.start()
        logger.info("watching \(processor.router.datasets.map { "\($0.name)=\($0.watchRoot)" }.joined(separator: ", "))")
        try? await gracefulShutdown()
        watcher.stop()
        await worker.stop()
    }

    private func loop() {
        var nextRetry = Date().addingTimeInterval(Self.retryCheckSeconds)
        var nextFailedRetry = Date.distantFuture
        while true {
            let wake = min(nextRetry, nextFailedRetry)
            let (events, retry, stop): ([FileWatchEvent], Bool, Bool) = condition.withLock {
                while queue.isEmpty && !worker.isStoppingLocked && !retryRequested && Date() < wake { _ = condition.wait(until: wake) }
                let taken = queue
                queue = []
                busy = !taken.isEmpty
                let retry = retryRequested || Date() >= nextRetry
                retryRequested = false
                return (taken, retry, worker.isStoppingLocked)
            }
            if events.isEmpty && stop { return }
            if !events.isEmpty { process(events) }
            if failedCount > 0 && !stop && (Date() >= nextFailedRetry || nextFailedRetry == .distantFuture) {
                if nextFailedRetry != .distantFuture { retryFailed() }
                nextFailedRetry = failedCount > 0 ? Date().addingTimeInterval(failedRetrySeconds) : .distantFuture
            }
            if retry {
                nextRetry = Date().addingTimeInterval(Self.retryCheckSeconds)
                do {
                    let outcome = try processor.retryDue()
                    if outcome.active + outcome.duplicates > 0 {
                        logger.info(
                            "retried transient refusals: \(outcome.active) now cataloged, \(outcome.duplicates) duplicates, \(outcome.quarantined) still refused"
                        )
                    }
                } catch {
                    logger.error("retrying transient refusals failed: \(error)")
                }
            }
            condition.withLock { busy = false }
        }
    }

    private func process(_ events: [FileWatchEvent]) {
        var arrivals: [(path: String, stamp: FileStamp)] = []
        var total = IngestOutcome()
        func flush() {
            guard !arrivals.isEmpty else { return }
            for start in stride(from: 0, to: arrivals.count, by: Self.batchSize) {
                // A shutdown does not wait for a long burst: what is left is found again by the
                // reconciliation scan at the next start.
                if worker.isStopping {
                    logger.notice("shutdown: \(arrivals.count - start) settled files left for the next start's scan")
                    break
                }
                let batch = Array(arrivals[start..<min(arrivals.count, start + Self.batchSize)])
                do { total = total.adding(try processor.ingest(batch)) } catch {
                    failed("ingest of \(batch.count) scans", error)
                    failedArrivals += batch.map(\.path)
                }
            }
            arrivals = []
        }
        for event in events {
            switch event {
            case .settled(let path, _, let stamp):
                arrivals.append((path, stamp))
            case .removed(let path, _):
                flush()
                do { total = total.adding(try processor.remove(paths: [path])) } catch {
                    failed("remove \(path)", error)
                    failedRemovals.append(event)
                }
            case .removedTree(let path, _):
                flush()
                do { total = total.adding(try processor.remove(paths: [], underDirectories: [path])) } catch {
                    failed("remove \(path)/", error)
                    failedRemovals.append(event)
                }
            case .inventory(let root, let paths):
                flush()
                do { total = total.adding(try processor.reconcile(root: root, present: paths)) } catch {
                    failed("reconcile \(root)", error)
                    failedInventory = true
                }
            case .unusable(let path, _, let reason):
                do {
                    if try processor.recordUnusable(path: path, reason: reason) {
                        total.quarantined += 1
                        logger.warning("cannot ingest \(path): \(reason)")
                    }
                } catch {
                    failed("quarantine \(path)", error)  // the next full scan reports it again
                }
            case .ignored(let root, let paths, let reason):
                if paths != lastIgnored[root, default: []] {
                    lastIgnored[root] = paths
                    if !paths.isEmpty {
                        let shown = paths.prefix(20).joined(separator: ", ") + (paths.count > 20 ? " and \(paths.count - 20) more" : "")
                        logger.notice("\(paths.count) entries under \(root) not ingested by name — \(reason): \(shown)")
                    }
                }
            case .overflowed:
                DaemonMetrics.countWatchOverflow()
                logger.warning(
                    "the kernel's inotify queue overflowed (fs.inotify.max_queued_events): events were lost; rescanning every watched root")
            case .degraded(let reason):
                state.setDegraded("filewatch", reason)
                if let reason { logger.warning("file watching degraded: \(reason)") } else { logger.notice("file watching healthy again") }
            }
        }
        flush()
        if failedCount > 0 {
            state.setDegraded(
                "ingest", "\(failedCount) changes not cataloged (\(lastFailure ?? "catalog error")); retried every \(Int(failedRetrySeconds)) s")
        }
        report(total)
    }

    /// Notes a change the catalog refused (its retry is the caller's).
    private func failed(_ what: String, _ error: Error) {
        lastFailure = "\(error)"
        logger.error("\(what) failed, kept for a retry: \(error)")
    }

    /// Tries again what the catalog refused: arrivals as the files are now (gone ones are dropped; the
    /// removal that follows catches up), removals only of what is still gone, and a failed reconciliation
    /// as a fresh full scan (its old inventory may be stale). Clears the degraded state once all is in.
    private func retryFailed() {
        let arrivals = IngestProcessor.currentStamps(failedArrivals)
        let removals = failedRemovals
        let rescan = failedInventory
        (failedArrivals, failedRemovals, failedInventory) = ([], [], false)
        var events: [FileWatchEvent] = arrivals.map { .settled(path: $0.path, root: "", stamp: $0.stamp) }
        for event in removals {
            switch event {
            case .removed(let path, _), .removedTree(let path, _):
                var status = stat()
                if lstat(path, &status) != 0 { events.append(event) }
            default: break
            }
        }
        if rescan { watcher.requestRescan() }
        logger.notice("retrying \(events.count) changes the catalog refused\(rescan ? ", and a full rescan" : "")")
        process(events)
        if failedCount == 0 {
            state.setDegraded("ingest", nil)
            logger.notice("ingest healthy again: the catalog took every change it had refused")
        }
    }

    /// Metrics, the `ingested` event and a log line for what a pass did.
    private func report(_ total: IngestOutcome) {
        if total.total + total.removed > 0 {
            DaemonMetrics.countIngest(total)
            state.events.publish(
                .ingested(
                    IngestedEvent(
                        active: total.active, duplicates: total.duplicates, quarantined: total.quarantined,
                        removed: total.removed)))
            logger.info("ingest: \(total.active) new, \(total.duplicates) duplicates, \(total.quarantined) quarantined, \(total.removed) removed")
        }
    }
}
