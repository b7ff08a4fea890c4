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
        var image = ImageRecord(
            dataset: "d", className: "a", path: "/in/a/1.png", fileSize: 10, modified: 5,
            contentHash: "ab", perceptualHash: -1, mirroredHash: 7, thumbnail: Data([1, 2, 3]),
            split: .train, state: .active, ingestedAt: 1)
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

/// A catalog is never started over silently, and a backup is a complete copy taken while it is in use.
@Suite struct CatalogHygieneTests {
    /// A catalog with enough rows for several pages, checkpointed into the main file.
    func populated(_ dir: TemporaryDirectory) throws -> String {
        let path = dir.file("state/catalog.sqlite")
        let catalog = try CatalogDatabase(path: path)
        try catalog.write { db in
            for i in 0..<2_000 {
                var job = JobRecord(dataset: "d", kind: .gan, totalSteps: i, reason: String(repeating: "r", count: 60) + "\(i)", createdAt: Double(i))
                try job.insert(db)
            }
        }
        try catalog.checkpointWAL()
        return path
    }

    @Test func anEmptyFileIsRefusedNotStartedOver() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("catalog.sqlite", [])
        #expect {
            try CatalogDatabase(path: path)
        } throws: { error in
            (error as? CatalogError)?.reason.contains("empty (0 bytes)") == true
        }
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 0, "the file is left as it was")
        #expect(throws: CatalogError.self) { try CatalogDatabase(path: path, readOnly: true) }
    }

    @Test func aDamagedFileIsRefusedWithHowToRecover() throws {
        let dir = try TemporaryDirectory()
        let path = try populated(dir)
        // Overwrite one page near the end (table or index pages) with garbage.
        let size = try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seek(toOffset: UInt64(size - 3 * 4096))
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 4096))
        try handle.close()
        #expect {
            try CatalogDatabase(path: path)
        } throws: { error in
            guard let error = error as? CatalogError else { return false }
            return error.reason.contains("damaged") && error.reason.contains(".recover")
        }
    }

    @Test func backupIsCompleteWithoutTheWALAndNeverOverwrites() throws {
        let dir = try TemporaryDirectory()
        let path = try populated(dir)
        let catalog = try CatalogDatabase(path: path)
        var late = JobRecord(dataset: "d", kind: .classifier, totalSteps: 1, reason: "only in the WAL", createdAt: 1)
        try catalog.write { db in try late.insert(db) }  // not checkpointed: lives in -wal
        let destination = dir.file("backups/catalog-copy.sqlite")
        try FileManager.default.createDirectory(atPath: dir.file("backups"), withIntermediateDirectories: true)
        let bytes = try catalog.backup(to: destination)
        #expect(bytes > 0)
        #expect(!FileManager.default.fileExists(atPath: destination + "-wal"))
        let copy = try DatabaseQueue(path: destination)
        #expect(try copy.read { try JobRecord.fetchCount($0) } == 2_001)
        #expect(try copy.read { try String.fetchAll($0, sql: "PRAGMA quick_check") } == ["ok"])
        #expect(throws: CatalogError.self) { try catalog.backup(to: destination) }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.file("backups")).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty)
    }
}
