// The daemon's one compute budget: a training job and ingest take turns on the `threads` workers — ingest
// at the job's step boundaries, one chunk per boundary, alternating under load — so they never run side
// by side, neither starves, and `threads: 1` keeps the whole daemon on one core.
import CohortTestSupport
import Foundation
import Testing

@testable import CohortDaemon

@Suite struct ComputeBudgetTests {
    @Test func withoutAJobIngestRunsAtOnceOnEveryWorker() {
        let budget = ComputeBudget(workers: 4)
        #expect(budget.ingestChunk { $0 } == 4)
        #expect(ComputeBudget(workers: 0).ingestChunk { $0 } == 1, "never fewer than one worker")
    }

    @Test func ingestWaitsForAStepBoundaryAndNeverRunsBesideTheJob() throws {
        let budget = ComputeBudget(workers: 2)
        let events = EventLog()
        let ingestDone = DispatchSemaphore(value: 0)
        budget.whileJobRuns {
            events.add("step 1")
            Thread.detachNewThread {
                budget.ingestChunk { _ in events.add("ingest") }
                ingestDone.signal()
            }
            Thread.sleep(forTimeInterval: 0.3)  // mid-step: the chunk must wait
            events.add("step 1 ends")
            budget.jobBoundary()
            events.add("step 2")
        }
        #expect(ingestDone.wait(timeout: .now() + 10) == .success)
        #expect(events.all == ["step 1", "step 1 ends", "ingest", "step 2"])
        #expect(budget.peakConcurrency == 1)
    }

    @Test func aBusyIngestAndAJobAlternate() {
        let budget = ComputeBudget(workers: 2)
        let counts = EventLog()
        let stop = Flag()
        let ingestDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while !stop.value {
                budget.ingestChunk { _ in
                    counts.add("ingest"); Thread.sleep(forTimeInterval: 0.002)
                }
            }
            ingestDone.signal()
        }
        budget.whileJobRuns {
            for _ in 0..<50 {
                counts.add("step")
                Thread.sleep(forTimeInterval: 0.002)
                budget.jobBoundary()
            }
        }
        stop.value = true
        #expect(ingestDone.wait(timeout: .now() + 10) == .success)
        let ingested = counts.all.filter { $0 == "ingest" }.count
        #expect(ingested >= 40, "ingest gets about one chunk per step boundary under load: \(ingested) for 50 steps")
        #expect(budget.peakConcurrency == 1)
    }

    @Test func aThrowingJobGivesTheCoresBack() {
        struct Failure: Error {}
        let budget = ComputeBudget(workers: 2)
        #expect(throws: Failure.self) { try budget.whileJobRuns { throw Failure() } }
        #expect(budget.ingestChunk { $0 } == 2)
    }

    /// `threads: 1`: while a GAN job trains and a burst of scans arrives, cohortd uses about one core (its
    /// CPU time over wall time), not one for the job plus one for ingest — and the scans are still cataloged
    /// while the job runs.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func threadsOneKeepsTheWholeDaemonOnOneCore() throws {
        let h = try DaemonHarness(
            extra: """
                gan:
                  quiet_seconds: 1
                  base_steps: 100000
                  max_steps: 100000
                  batch_size: 16
                  generator_channels: 32
                  discriminator_channels: 16
                  checkpoint_every_steps: 100000
                classifier:
                  interval_minutes: 0
                  min_new_images: 0
                """, threads: 1)
        try h.phantoms(label: 0, count: 12, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 6, seed: 2, into: h.incoming + "/two_lesions")
        let daemon = try h.start()
        defer { _ = daemon.terminate() }
        #expect(daemon.wait(timeout: 120) { (daemon.status()?["job"] as? [String: Any])?["phase"] as? String == "training" }, "\(daemon.log)")
        // 400 scans written aside, then moved in at once (the test's own CPU is not the daemon's).
        let staging = h.dir.file("staging/two_lesions")
        try h.phantoms(label: 1, count: 400, seed: 3, into: staging, prefix: "burst")
        let pid = daemon.process.processIdentifier
        let before = try Self.cpuSeconds(pid: pid), start = Date()
        try h.shell("mv \(staging)/* \(h.incoming)/two_lesions/")
        // At least 8 s, and until ingest has committed scans beside the job (a busy machine slows both).
        Thread.sleep(forTimeInterval: 8)
        _ = daemon.wait(timeout: 120) { (daemon.counts(h.dataset, "real")["two_lesions"] ?? 0) > 6 }
        let used = try Self.cpuSeconds(pid: pid) - before, wall = Date().timeIntervalSince(start)
        let cataloged = daemon.counts(h.dataset, "real")["two_lesions"] ?? 0
        #expect((daemon.status()?["job"] as? [String: Any]) != nil, "the GAN job still trains")
        #expect(cataloged > 6, "ingest goes on during the job: \(cataloged - 6) of 400 new scans cataloged in \(Int(wall)) s\n\(daemon.log)")
        #expect(used / wall < 1.2, "cohortd used \(String(format: "%.2f", used / wall)) cores with threads: 1")
    }

    /// User + system CPU seconds of process `pid` (every thread), from /proc/<pid>/stat.
    static func cpuSeconds(pid: Int32) throws -> Double {
        let text = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // Fields after the parenthesized command name: state is field 3, utime 14, stime 15.
        let fields = text[text.index(after: text.lastIndex(of: ")")!)...].split(separator: " ")
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return (Double(fields[11])! + Double(fields[12])!) / ticks
    }
}

/// Events recorded from several threads, in order.
private final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [String] = []
    func add(_ event: String) { lock.withLock { events.append(event) } }
    var all: [String] { lock.withLock { events } }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    var value: Bool {
        get { lock.withLock { flag } }
        set { lock.withLock { flag = newValue } }
    }
}
