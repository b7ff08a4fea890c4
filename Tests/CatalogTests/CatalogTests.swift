// The catalog opens in WAL mode, migrates, and round-trips its records.
import CohortTestSupport
import Foundation
import GRDB
import Testing
@testable import Catalog

@Suite struct CatalogTests {
    @Test func opensInWALModeAndRoundTripsRecords() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("state/catalog.sqlite"))
        #expect(try catalog.journalMode() == "wal")
        var image = ImageRecord(dataset: "d", className: "a", path: "/in/a/1.png", fileSize: 10, modified: 5,
                                contentHash: "ab", perceptualHash: -1, mirroredHash: 7, thumbnail: Data([1, 2, 3]),
                                split: "train", state: .active, ingestedAt: 1)
        var job = JobRecord(dataset: "d", kind: .gan, totalSteps: 100, reason: "test", createdAt: 2)
        try catalog.write { db in
            try image.insert(db)
            try job.insert(db)
            try PixelRecord(imageID: image.id!, side: 2, data: Data([0, 64, 128, 255])).insert(db)
        }
        let reopened = try CatalogDatabase(path: dir.file("state/catalog.sqlite"))
        let (images, jobs, pixels) = try reopened.read { db in
            (try ImageRecord.fetchAll(db), try JobRecord.fetchAll(db), try PixelRecord.fetchAll(db))
        }
        #expect(images == [image])
        #expect(jobs == [job])
        #expect(pixels.first?.data == Data([0, 64, 128, 255]))
        // Deleting an image deletes its cached pixels.
        try reopened.write { db in _ = try image.delete(db) }
        #expect(try reopened.read { try PixelRecord.fetchCount($0) } == 0)
    }

    @Test func readOnlyRefusesAMissingCatalog() {
        #expect(throws: CatalogError.self) { try CatalogDatabase(path: "/nonexistent/catalog.sqlite", readOnly: true) }
    }

    /// After the checkpoint a copy of the `.sqlite` file alone (no -wal) holds every table and row.
    @Test func walCheckpointMakesTheMainFileComplete() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("state/catalog.sqlite")
        let catalog = try CatalogDatabase(path: path)
        var job = JobRecord(dataset: "d", kind: .gan, totalSteps: 100, reason: "test", createdAt: 2)
        try catalog.write { db in try job.insert(db) }
        try catalog.checkpointWAL()
        let walSize = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0, "the WAL is emptied")
        try FileManager.default.copyItem(atPath: path, toPath: dir.file("backup.sqlite"))
        let backup = try DatabaseQueue(path: dir.file("backup.sqlite"))
        #expect(try backup.read { db in try JobRecord.fetchCount(db) } == 1)
    }
}
