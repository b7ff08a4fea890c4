// The hand-off bundle from a catalog alone: split.csv, the cached pixels in row order, and metadata.json
// carrying the latest report's figures (report.json's own snake_case keys) and what is missing.
import CohortTestSupport
import Foundation
import Testing

@testable import Catalog

@Suite struct HandOffBundleTests {
    @Test func aBundleCarriesTheSplitThePixelsAndTheReportsFigures() throws {
        let dir = try TemporaryDirectory()
        let catalog = try CatalogDatabase(path: dir.file("state/catalog.sqlite"))
        try FileManager.default.createDirectory(atPath: dir.file("in/a"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir.file("in/a/1.png")))
        var image = ImageRecord(
            dataset: "d", className: "a", path: dir.file("in/a/1.png"), fileSize: 3, modified: 1, contentHash: String(repeating: "ab", count: 32),
            groupID: 7, split: .validation, state: .active, ingestedAt: 1)
        try catalog.writeImages { tx in
            try tx.insert(&image)
            try tx.insertPixels(imageID: image.id!, side: 2, data: Data([0, 255, 127, 128]))
        }
        let reports = dir.file("state/reports/d/T1")
        try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
        try Data(#"{"job_id": 3, "paired_test": {"p": 0.5}, "harmful_classes": [], "sample_grid_png": "…"}"#.utf8)
            .write(to: URL(fileURLWithPath: reports + "/report.json"))
        _ = try catalog.insertReport(ReportRecord(dataset: "d", createdAt: 1, directory: reports, summary: "{}"), keep: 5)

        let inputs = HandOffBundle.Inputs(
            dataset: "d", imageSize: 2, generatorCheckpoint: nil, classifierWeights: nil, scriptsDirectory: nil,
            recipe: .init(epochs: 40, batchSize: 32, width: 1, depth: 1, horizontalFlip: false), producer: "test")
        let summary = try HandOffBundle.write(catalog: catalog, inputs: inputs, to: dir.file("bundle"))
        #expect(summary.rows == 1 && summary.validation == 1)
        #expect(
            try String(contentsOfFile: dir.file("bundle/split.csv"), encoding: .utf8)
                == "file,class,split,group,source,sha256\ndata/a/1.png,a,validation,g7,real,\(String(repeating: "ab", count: 32))\n")
        let pixels = try Data(contentsOf: URL(fileURLWithPath: dir.file("bundle/pixels.f32"))).withUnsafeBytes {
            Array($0.bindMemory(to: Float.self))
        }
        #expect(pixels == [-1, 1, Float(127) / 127.5 - 1, Float(128) / 127.5 - 1])
        let metadata =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("bundle/metadata.json")))) as? [String: Any]
        let report = metadata?["report"] as? [String: Any]
        #expect(report?["job_id"] as? Int == 3 && (report?["paired_test"] as? [String: Any])?["p"] as? Double == 0.5, "\(String(describing: report))")
        #expect(report?["sample_grid_png"] == nil, "the grid stays in the report")
        #expect((metadata?["missing"] as? [String])?.count == 3, "no generator, no classifier, no scripts — each said")
    }
}
