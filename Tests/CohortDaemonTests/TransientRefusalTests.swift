// Refusals whose cause passes (permission denied, too many open files, a read error) must not be
// permanent: they are retried with backoff and at once on `rescan`, while content refusals stay until
// the file changes. (The errno itself cannot be provoked here — the tests run as root, which reads
// through permissions — so the row a transient refusal leaves is made directly; the classification of
// each errno is tested by table.)
import CohortTestSupport
import FileWatch
import Foundation
import GRDB
import ImageIO
import Tensor
import Testing
import Training

@testable import Catalog
@testable import CohortDaemon

@Suite struct TransientRefusalTests {
    @Test func errnoClassification() {
        for code in [EACCES, EPERM, EMFILE, ENFILE, ENOSPC, EIO] {
            #expect(ImageDecodeError(file: "f", reason: .unreadable("x"), systemError: code).isTransient, "errno \(code)")
        }
        for code in [ENOENT, EISDIR, ENAMETOOLONG, ELOOP] {
            #expect(!ImageDecodeError(file: "f", reason: .unreadable("x"), systemError: code).isTransient, "errno \(code)")
        }
        #expect(!ImageDecodeError(file: "f", reason: .corrupt("bad CRC")).isTransient, "content refusals are permanent")
        #expect(
            IngestProcessor.retryDelay(attempt: 1) == 30 && IngestProcessor.retryDelay(attempt: 3) == 120
                && IngestProcessor.retryDelay(attempt: 20) == 3600)
    }

    @Test func dueTransientRefusalsAreIngestedAndPermanentOnesStay() throws {
        let dir = try TemporaryDirectory()
        var configuration = DaemonConfiguration()
        configuration.stateDirectory = dir.file("state")
        configuration.datasets = [DatasetConfiguration(name: "d", watchRoot: dir.file("in"), outputRoot: dir.file("out"), imageSize: 64, classes: [])]
        let catalog = try CatalogDatabase(path: configuration.catalogPath)
        var rng = RandomGenerator(seed: 1)
        try FileManager.default.createDirectory(atPath: dir.file("in/a"), withIntermediateDirectories: true)
        let (passing, content) = (dir.file("in/a/passing.png"), dir.file("in/a/content.png"))
        try PNGEncoder.write(PhantomScans.image(label: 0, size: 64, rng: &rng), to: passing)
        try PNGEncoder.write(PhantomScans.image(label: 1, size: 64, rng: &rng), to: content)
        func stamp(_ path: String) -> FileStamp {
            var status = stat()
            _ = lstat(path, &status)
            return FileStamp(status)
        }
        let now = Date().timeIntervalSince1970
        try catalog.write { db in
            // As a refusal leaves them: the same stamps as the files now have.
            var transient = ImageRecord(
                dataset: "d", className: "a", path: passing, fileSize: stamp(passing).size, modified: stamp(passing).modified,
                state: .quarantined, reason: "cannot read file: Permission denied — retried automatically", ingestedAt: now)
            transient.retryAt = now + 30
            transient.retryCount = 1
            var permanent = ImageRecord(
                dataset: "d", className: "a", path: content, fileSize: stamp(content).size, modified: stamp(content).modified,
                state: .quarantined, reason: "damaged", ingestedAt: now)
            try transient.insert(db)
            try permanent.insert(db)
        }
        let processor = try IngestProcessor(catalog: catalog, configuration: configuration)
        func states() throws -> [String: ImageRecord.State] {
            try catalog.read { db in Dictionary(uniqueKeysWithValues: try ImageRecord.fetchAll(db).map { ($0.path, $0.state) }) }
        }
        // Unchanged files are skipped by a scan, and nothing is due yet.
        _ = try processor.ingest([(passing, stamp(passing)), (content, stamp(content))], now: now)
        #expect(try processor.retryDue(now: now).active == 0)
        #expect(try states() == [passing: .quarantined, content: .quarantined])
        // The backoff elapses: the transient refusal is tried again (the cause is gone) and cataloged.
        #expect(try processor.retryDue(now: now + 31).active == 1)
        #expect(try states() == [passing: .active, content: .quarantined], "the content refusal stays until the file changes")

        // `rescan` makes a transient refusal due at once, whatever its backoff.
        try catalog.write { db in
            _ = try ImageRecord.filter(Column("path") == content).updateAll(db, Column("retryAt").set(to: now + 3600))
        }
        try processor.makeTransientRefusalsDue()
        #expect(try processor.retryDue(now: now + 32).active == 1)
        #expect(try states() == [passing: .active, content: .active])
    }
}
