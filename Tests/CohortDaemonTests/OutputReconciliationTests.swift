// The output tree after a crash mid-publish (kill -9 between staging, rename and the catalog commit):
// at start cohortd sweeps staging leftovers, drops rows whose file is gone, deletes sample files no row
// records, and rewrites the manifest — afterwards the tree, the catalog and manifest.jsonl agree.
import CohortTestSupport
import Foundation
import GRDB
import Logging
import Testing

@testable import Catalog
@testable import CohortDaemon

@Suite struct OutputReconciliationTests {
    @Test func treeCatalogAndManifestAgreeAfterACrash() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("state/catalog.sqlite"))
        let output = dir.file("output")
        let dataset = DatasetConfiguration(name: "chest", watchRoot: dir.file("incoming"), outputRoot: output, imageSize: 64, classes: [])
        let publisher = SyntheticPublisher(catalog: catalog, dataset: dataset, logger: Logger(label: "test"))
        for name in ["viral/.staging-17", "viral", "normal"] {
            try FileManager.default.createDirectory(atPath: output + "/" + name, withIntermediateDirectories: true)
        }
        func record(_ path: String) -> SyntheticRecord {
            SyntheticRecord(
                dataset: "chest", className: (path as NSString).deletingLastPathComponent.split(separator: "/").last.map(String.init)!,
                path: path, checkpointSHA256: "abc", seed: 1, sampleIndex: 0, generation: 1, nearestRealDistance: 0.5, createdAt: 0)
        }
        let kept = output + "/viral/syn-1-0.png", vanished = output + "/viral/syn-1-1.png", orphan = output + "/normal/syn-2-0.png"
        _ = try dir.write("output/viral/syn-1-0.png", [1])
        _ = try dir.write("output/normal/syn-2-0.png", [2])  // renamed into place, no row: the crash came first
        _ = try dir.write("output/viral/.staging-17/syn-3-0.png", [3])
        _ = try dir.write("output/normal/scan-notes.txt", [4])  // not Cohort's: left alone
        try catalog.write { db in
            var a = record(kept), b = record(vanished)  // b's file is gone
            try a.insert(db)
            try b.insert(db)
        }
        let result = try publisher.reconcile()
        #expect(result == .init(stagingFoldersSwept: 1, rowsWithoutFile: 1, filesWithoutRow: 1))
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: kept) && !fm.fileExists(atPath: orphan) && !fm.fileExists(atPath: output + "/viral/.staging-17"))
        #expect(fm.fileExists(atPath: output + "/normal/scan-notes.txt"))
        let rows = try catalog.read { db in try SyntheticRecord.fetchAll(db) }
        #expect(rows.map(\.path) == [kept])
        let manifest = try String(contentsOfFile: output + "/manifest.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(manifest.count == 1 && manifest[0].contains("viral/syn-1-0.png"))
        #expect(try publisher.reconcile().total == 0, "a second pass finds nothing")
    }
}
