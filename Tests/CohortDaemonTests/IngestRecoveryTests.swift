// Ingest when the catalog refuses writes (disk full, a damaged index): nothing is dropped. A trigger
// added behind cohortd's back makes every batch fail at its last insert (the cached pixels), after the
// image rows went in, as a full disk at commit would; scans that
// arrive meanwhile are kept, cohortd says it is degraded, and once the catalog takes writes again they
// are all cataloged without an operator's rescan. Before, the failed batch was logged and forgotten
// until a rescan or a restart.
import CohortTestSupport
import Foundation
import GRDB
import Testing

@Suite struct IngestRecoveryTests {
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func refusedBatchesAreRetriedAndReportedDegraded() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        try FileManager.default.createDirectory(atPath: h.incoming + "/one_lesion", withIntermediateDirectories: true)
        let daemon = try h.start()
        #expect(daemon.wait(timeout: 60) { daemon.status() != nil }, "\(daemon.log)")
        let catalog = try DatabaseQueue(path: h.state + "/catalog.sqlite")
        try catalog.write { db in
            try db.execute(sql: "CREATE TRIGGER refuse_images BEFORE INSERT ON pixels BEGIN SELECT RAISE(ABORT, 'simulated: disk full'); END")
        }
        try h.phantoms(label: 0, count: 6, seed: 1, into: h.incoming + "/one_lesion")
        let degraded = daemon.wait(timeout: 60) {
            ((daemon.status()?["degraded"] as? [String: String])?["ingest"])?.contains("6 changes not cataloged") == true
        }
        #expect(degraded, "status: \(String(describing: daemon.status()?["degraded"]))\n\(daemon.log)")
        #expect(daemon.counts(h.dataset, "real")["one_lesion", default: 0] == 0)
        #expect(daemon.log.contains("simulated: disk full"))

        try catalog.write { db in try db.execute(sql: "DROP TRIGGER refuse_images") }
        let recovered = daemon.wait(timeout: 60) {
            daemon.counts(h.dataset, "real")["one_lesion"] == 6 && (daemon.status()?["degraded"] as? [String: String])?["ingest"] == nil
        }
        #expect(recovered, "counts \(daemon.counts(h.dataset, "real")), degraded \(String(describing: daemon.status()?["degraded"]))\n\(daemon.log)")
        #expect(daemon.log.contains("ingest healthy again"))
        // The failed transactions rolled back; the near-duplicate index must not remember their row ids
        // (the retried rows would join groups named after ids that do not exist).
        let orphanGroups = try catalog.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE state = 'active' AND groupID NOT IN (SELECT id FROM image)") ?? -1
        }
        #expect(orphanGroups == 0)
        #expect(daemon.terminate().status == 0)
    }

    /// A watch root that moves leaves rows behind that no inventory covers: at the next start they are
    /// dropped (their files untouched), so scans no one watches are no longer trained on. Before, the old
    /// rows stayed active beside the new root's.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func rowsOutsideAMovedWatchRootAreDropped() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        let old = try h.phantoms(label: 0, count: 3, seed: 1, into: h.incoming + "/one_lesion")
        var daemon = try h.start()
        #expect(daemon.wait(timeout: 60) { daemon.counts(h.dataset, "real") == ["one_lesion": 3] }, "\(daemon.log)")
        #expect(daemon.terminate().status == 0)

        let moved = h.dir.file("incoming-moved/phantom")
        try h.phantoms(label: 1, count: 2, seed: 2, into: moved + "/one_lesion")
        let yaml = try String(contentsOfFile: h.config, encoding: .utf8)
        try h.dir.write("cohortd.yaml", Array(yaml.replacingOccurrences(of: "watch_root: \(h.incoming)", with: "watch_root: \(moved)").utf8))
        daemon = try h.start(log: "second.log")
        #expect(daemon.wait(timeout: 60) { daemon.counts(h.dataset, "real") == ["one_lesion": 2] }, "\(daemon.log)")
        let catalog = try DatabaseQueue(path: h.state + "/catalog.sqlite")
        let stale = try catalog.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image WHERE path NOT LIKE ?", arguments: [moved + "/%"])
        }
        #expect(stale == 0, "rows outside the new root")
        #expect(daemon.log.contains("3 catalog rows name files outside its watch root"), "\(daemon.log)")
        #expect(old.allSatisfy { FileManager.default.fileExists(atPath: $0) }, "the old scans are untouched")
        #expect(daemon.terminate().status == 0)
    }

    /// A scan whose name is not valid UTF-8 is quarantined with the reason (shown by `cohortctl quarantine`)
    /// instead of being skipped without a word; the other scans are cataloged as usual.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func aNonUTF8NameIsQuarantinedWithAReason() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        try h.phantoms(label: 0, count: 2, seed: 1, into: h.incoming + "/one_lesion")
        let good = try h.phantoms(label: 0, count: 1, seed: 3, into: h.dir.file("spare"))[0]
        let bad = Array((h.incoming + "/one_lesion/").utf8) + [0x73, 0xE9, 0x2E, 0x70, 0x6E, 0x67]  // "s\xE9.png" (Latin-1 é)
        #expect((bad + [0]).withUnsafeBufferPointer { rename(good, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self)) } == 0)
        let daemon = try h.start()
        #expect(
            daemon.wait(timeout: 60) {
                daemon.counts(h.dataset, "real") == ["one_lesion": 2] && daemon.counts(h.dataset, "quarantined") == ["one_lesion": 1]
            }, "\(daemon.counts(h.dataset, "quarantined"))\n\(daemon.log)")
        let catalog = try DatabaseQueue(path: h.state + "/catalog.sqlite")
        let reason = try catalog.read { db in try String.fetchOne(db, sql: "SELECT reason FROM image WHERE state = 'quarantined'") }
        #expect(reason?.contains("not valid UTF-8") == true, "\(reason ?? "no row")")
        #expect(daemon.log.contains("s\\xE9.png"), "the log names the file")
        #expect(daemon.terminate().status == 0)
    }

    /// A cataloged scan replaced by a symbolic link is no longer trained on: its row becomes a quarantine
    /// entry that says what the path now is.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func aScanReplacedByALinkLeavesTheTrainingSet() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        let scans = try h.phantoms(label: 0, count: 3, seed: 1, into: h.incoming + "/one_lesion")
        let daemon = try h.start()
        #expect(daemon.wait(timeout: 60) { daemon.counts(h.dataset, "real") == ["one_lesion": 3] }, "\(daemon.log)")
        try FileManager.default.moveItem(atPath: scans[0], toPath: h.dir.file("elsewhere.png"))
        #expect(symlink(h.dir.file("elsewhere.png"), scans[0]) == 0)
        #expect(
            daemon.wait(timeout: 60) {
                daemon.counts(h.dataset, "real") == ["one_lesion": 2] && daemon.counts(h.dataset, "quarantined") == ["one_lesion": 1]
            }, "\(daemon.counts(h.dataset, "real")) \(daemon.counts(h.dataset, "quarantined"))\n\(daemon.log)")
        let catalog = try DatabaseQueue(path: h.state + "/catalog.sqlite")
        let reason = try catalog.read { db in try String.fetchOne(db, sql: "SELECT reason FROM image WHERE path = ?", arguments: [scans[0]]) }
        #expect(reason?.hasPrefix("a symbolic link") == true, "\(reason ?? "no row")")
        #expect(daemon.terminate().status == 0)
    }

    /// A GAN job whose publish fails (a file where a class's output folder should be) leaves cohortd
    /// degraded for that job kind and dataset — visible in status — until a later job of the kind succeeds.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func aFailedPublishIsReportedUntilAJobSucceeds() throws {
        let h = try DaemonHarness(
            extra: """
                gan:
                  quiet_seconds: 0.5
                  base_steps: 20
                  steps_per_new_image: 0
                  max_steps: 20
                  batch_size: 8
                  generator_channels: 16
                  discriminator_channels: 8
                  checkpoint_every_steps: 10
                classifier:
                  interval_minutes: 0
                  min_new_images: 0
                """)
        try h.phantoms(label: 0, count: 8, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 4, seed: 2, into: h.incoming + "/two_lesions")
        let blocker = try h.dir.write("output/phantom/two_lesions", [0])  // a file, not a folder
        let daemon = try h.start()
        let key = "gan job on phantom"
        func degraded() -> String? { (daemon.status()?["degraded"] as? [String: String])?[key] }
        #expect(
            daemon.wait(timeout: 180) { degraded()?.contains("failed") == true }, "\(String(describing: daemon.status()?["degraded"]))\n\(daemon.log)"
        )
        try FileManager.default.removeItem(atPath: blocker)
        let client = try #require(UnixSocketClient(path: h.dir.file("cohortd.sock")))
        #expect(client.request(#"{"v":1,"id":1,"cmd":"train","args":{"kind":"gan","dataset":"phantom"}}"#)?["ok"] as? Bool == true)
        #expect(
            daemon.wait(timeout: 180) { degraded() == nil && (daemon.counts(h.dataset, "synthetic")["two_lesions"] ?? 0) > 0 },
            "\(String(describing: daemon.status()?["degraded"])) \(daemon.counts(h.dataset, "synthetic"))\n\(daemon.log)")
        #expect(daemon.terminate().status == 0)
    }
}
