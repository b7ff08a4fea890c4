// cohortd on a temporary tree: files arriving by cp, by mv, in directories created after start and as
// a 2,000-file burst are cataloged with the right counts; bad files are quarantined with reasons while
// the rest proceeds; a restart loses and duplicates nothing and catches up with changes made while it
// was down; SIGTERM exits 0 promptly. No training here (max_synthetic_per_real 0, no classifier).
import CohortTestSupport
import Foundation
import Testing

@testable import Catalog

@Suite(.serialized) struct IngestIntegrationTests {
    static let noTraining = """
        balance:
          max_synthetic_per_real: 0
        classifier:
          interval_minutes: 0
          min_new_images: 0
        """

    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func arrivalsBadFilesAndRestart() throws {
        let h = try DaemonHarness(extra: Self.noTraining)
        try h.phantoms(label: 0, count: 12, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 6, seed: 2, into: h.incoming + "/two_lesions")
        var daemon = try h.start()
        let started = daemon.wait(timeout: 60) { daemon.counts(h.dataset, "real") == ["one_lesion": 12, "two_lesions": 6] }
        #expect(started, "reconciliation scan at start: \(daemon.counts(h.dataset, "real"))\n\(daemon.log)")

        // cp, mv, a class folder and a nested folder created after start.
        let staging = h.dir.file("staging")
        let copied = try h.phantoms(label: 0, count: 3, seed: 3, into: staging + "/cp")
        try h.shell("cp \(copied.joined(separator: " ")) \(h.incoming)/one_lesion/")
        let moved = try h.phantoms(label: 1, count: 2, seed: 4, into: staging + "/mv")
        try h.shell("mv \(moved.joined(separator: " ")) \(h.incoming)/two_lesions/")
        try h.phantoms(label: 2, count: 4, seed: 5, into: h.incoming + "/ring_lesion/site-b/2026")
        #expect(
            daemon.wait(timeout: 60) {
                daemon.counts(h.dataset, "real") == ["one_lesion": 15, "two_lesions": 8, "ring_lesion": 4]
            }, "cp / mv / new directories: \(daemon.counts(h.dataset, "real"))")

        // Bad input: not an image, a broken PNG, a file outside any class folder, an exact copy.
        try h.dir.write("incoming/phantom/one_lesion/notes.txt", Array("radiologist notes".utf8))
        try h.dir.write("incoming/phantom/two_lesions/broken.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0])
        try h.dir.write("incoming/phantom/loose.png", [1, 2, 3])
        try h.shell("cp \(h.incoming)/one_lesion/p-1-0.png \(h.incoming)/one_lesion/copy-of-p-1-0.png")
        #expect(
            daemon.wait(timeout: 60) {
                daemon.counts(h.dataset, "quarantined") == ["one_lesion": 1, "two_lesions": 1, "ring_lesion": 0]
                    && daemon.counts(h.dataset, "duplicates")["one_lesion"] == 1
            }, "quarantine: \(daemon.counts(h.dataset, "quarantined"))")
        let rows = try h.images()
        let reasons = Dictionary(
            uniqueKeysWithValues: rows.filter { $0.state == .quarantined }.map { (($0.path as NSString).lastPathComponent, $0.reason ?? "") })
        #expect(reasons["notes.txt"]?.contains("not an image") == true)
        #expect(reasons["broken.png"]?.isEmpty == false)
        #expect(reasons["loose.png"]?.contains("not in a class folder") == true)
        #expect(rows.first { $0.path.hasSuffix("copy-of-p-1-0.png") }?.duplicateOf?.hasSuffix("p-1-0.png") == true)
        #expect(daemon.counts(h.dataset, "real")["one_lesion"] == 15, "an exact copy counts once")

        // A deletion.
        try FileManager.default.removeItem(atPath: h.incoming + "/one_lesion/p-3-0.png")
        #expect(daemon.wait(timeout: 30) { daemon.counts(h.dataset, "real")["one_lesion"] == 14 })

        // A 2,000-file burst (one copy of a folder).
        try h.phantoms(label: 1, count: 2000, seed: 6, into: staging + "/burst")
        let burstStart = Date()
        try h.shell("cp -r \(staging)/burst \(h.incoming)/two_lesions/burst")
        #expect(
            daemon.wait(timeout: 600) { daemon.counts(h.dataset, "real")["two_lesions"] == 2008 },
            "burst: \(daemon.counts(h.dataset, "real"))")
        print("2,000-file burst cataloged in \(String(format: "%.1f", Date().timeIntervalSince(burstStart))) s (debug build)")

        let stop = daemon.terminate()
        #expect(stop.status == 0, "SIGTERM exits 0\n\(daemon.log)")
        #expect(stop.seconds < 10, "stopped in \(stop.seconds) s")
        let before = try h.images()

        // While it is down: 3 new images, 2 deleted, the bad text file fixed into a real image.
        try h.phantoms(label: 2, count: 3, seed: 7, into: h.incoming + "/ring_lesion")
        try FileManager.default.removeItem(atPath: h.incoming + "/two_lesions/burst/p-6-0.png")
        try FileManager.default.removeItem(atPath: h.incoming + "/two_lesions/burst/p-6-1.png")
        try FileManager.default.removeItem(atPath: h.incoming + "/one_lesion/notes.txt")
        daemon = try h.start(log: "cohortd-2.log")
        #expect(
            daemon.wait(timeout: 120) {
                daemon.counts(h.dataset, "real") == ["one_lesion": 14, "two_lesions": 2006, "ring_lesion": 7]
                    && daemon.counts(h.dataset, "quarantined")["one_lesion"] == 0
            }, "catch-up after restart: \(daemon.counts(h.dataset, "real"))\n\(daemon.log)")
        let after = try h.images()
        #expect(Set(after.map(\.path)).count == after.count, "no duplicate rows")
        let kept = Set(before.map(\.path)).intersection(after.map(\.path))
        #expect(kept.count == before.count - 3, "everything cataloged before survives except what was deleted")
        let unchanged = before.filter { kept.contains($0.path) }.allSatisfy { old in after.first { $0.path == old.path }?.id == old.id }
        #expect(unchanged, "unchanged files are not re-ingested")
        #expect(daemon.terminate().status == 0)
    }

    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func invalidConfigurationExits78() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("bad.yaml", Array("datasets: [x]\ndataset:\n  x:\n    watch_root: relative\n".utf8))
        let result = try BuiltExecutable.run(DaemonHarness.executable!, ["--config", path])
        #expect(result.status == 78)
        #expect(result.stderr.contains("dataset.x.watch_root") && result.stderr.contains("absolute"), "\(result.stderr)")
    }

    /// A truncated catalog is not a new one: cohortd exits 73 saying so, and the file stays as it was.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func anEmptyCatalogExits73() throws {
        let h = try DaemonHarness(extra: "")
        try FileManager.default.createDirectory(atPath: h.state, withIntermediateDirectories: true)
        let catalog = try h.dir.write("state/catalog.sqlite", [])
        let result = try BuiltExecutable.run(DaemonHarness.executable!, ["--config", h.config])
        #expect(result.status == 73)
        #expect((result.stderr + result.stdout).contains("empty (0 bytes)"), "\(result.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: catalog)[.size] as? Int == 0)
    }
}
