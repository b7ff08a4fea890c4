// The typed queries the daemon uses instead of SQL: the job queue and its states, a dataset's state with
// its JSON-valued columns, synthetic replacement and trimming, ingest's image transaction — and damaged
// values surfaced as errors, never read as defaults.
import CohortTestSupport
import Foundation
import GRDB
import Testing

@testable import Catalog

@Suite struct CatalogRepositoryTests {
    @Test func theJobQueueRunsOldestFirstAndResumesInterruptedJobs() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("catalog.sqlite"))
        var first = JobRecord(dataset: "d", kind: .gan, totalSteps: 10, reason: "deficit", createdAt: 1)
        var second = JobRecord(dataset: "d", kind: .classifier, reason: "new images", createdAt: 2)
        try catalog.insertJob(&first)
        try catalog.insertJob(&second)
        #expect(try catalog.nextRunnableJob()?.id == first.id)
        #expect(try catalog.pendingJobKinds(dataset: "d") == [.gan, .classifier])
        first.state = .running
        try catalog.updateJob(first)
        try catalog.setJobSteps(id: first.id!, step: 4, totalSteps: 10)
        try catalog.setJobDetail(id: first.id!, detail: "training: D 1.0")
        try catalog.interruptRunningJobs()
        let resumed = try #require(try catalog.nextRunnableJob())
        #expect(resumed.id == first.id && resumed.state == .interrupted && resumed.step == 4 && resumed.detail == "training: D 1.0")
        #expect(try catalog.waitingJobCount() == 2)
        second.state = .failed
        second.finishedAt = 5
        try catalog.updateJob(second)
        #expect(try catalog.finishedJobs(dataset: "d", kind: .classifier, limit: 6).map(\.id) == [second.id])
        #expect(try catalog.pendingJobKinds(dataset: "d") == [.gan])
    }

    @Test func datasetStateDefaultsUpdatesAndRefusesDamagedLists() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("catalog.sqlite"))
        #expect(try catalog.datasetState("d") == DatasetStateRecord(dataset: "d"))
        try catalog.updateDatasetState("d") { state in
            state.setWithheldClasses(["viral", "bacterial"])
            try state.setLastPublish([["class": "viral"]])
        }
        let state = try catalog.datasetState("d")
        #expect(try state.withheldClasses() == ["bacterial", "viral"])
        #expect(try state.lastPublish(as: [[String: String]].self) == [["class": "viral"]])
        // A damaged list: the row stays readable (the job that rewrites it must run), the list throws.
        try catalog.write { db in try db.execute(sql: #"UPDATE datasetState SET suppressedClasses = '["viral"' WHERE dataset = 'd'"#) }
        let damaged = try catalog.datasetState("d")
        #expect(throws: CatalogValueError.self) { try damaged.withheldClasses() }
    }

    @Test func anUnknownSplitValueIsAnErrorNotAMissingSplit() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("catalog.sqlite"))
        var image = ImageRecord(
            dataset: "d", className: "a", path: "/in/a/1.png", fileSize: 1, modified: 1, contentHash: "ab",
            groupID: 1, split: .validation, state: .active, ingestedAt: 1)
        try catalog.writeImages { tx in
            try tx.insert(&image)
            try tx.insertPixels(imageID: image.id!, side: 1, data: Data([7]))
        }
        #expect(try catalog.activePixels(dataset: "d", split: .validation).map(\.path) == ["/in/a/1.png"])
        #expect(try catalog.activePixels(dataset: "d", split: .train).isEmpty)
        #expect(try catalog.splitCounts(dataset: "d") == [CatalogSplitCounts(className: "a", state: .active, split: .validation, count: 1)])
        try catalog.write { db in try db.execute(sql: "UPDATE image SET split = 'test'") }
        #expect(throws: (any Error).self) { try catalog.activeImages() }
    }

    @Test func syntheticReplacementAndTrimming() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("catalog.sqlite"))
        func sample(_ name: String, generation: Int) -> SyntheticRecord {
            SyntheticRecord(
                dataset: "d", className: "a", path: "/out/a/\(name).png", checkpointSHA256: "c", seed: 1, sampleIndex: 0,
                generation: generation, nearestRealDistance: 1, createdAt: 1)
        }
        #expect(
            try catalog.publishSynthetic(
                dataset: "d", className: "a", records: [sample("1", generation: 1), sample("2", generation: 1)],
                replacing: true
            ).isEmpty)
        let replaced = try catalog.publishSynthetic(
            dataset: "d", className: "a", records: [sample("3", generation: 2), sample("4", generation: 2)],
            replacing: true)
        #expect(replaced.map(\.path) == ["/out/a/1.png", "/out/a/2.png"])
        _ = try catalog.publishSynthetic(dataset: "d", className: "a", records: [sample("5", generation: 2)], replacing: false)
        // The newest (generation, then id) go first.
        #expect(try catalog.trimSynthetic(dataset: "d", keep: ["a": 1]).map(\.path) == ["/out/a/5.png", "/out/a/4.png"])
        #expect(try catalog.syntheticSamples(dataset: "d").map(\.path) == ["/out/a/3.png"])
    }
}
