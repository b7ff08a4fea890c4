// `cohort inspect` as a user runs it: one verdict per file, bad files never stop the others.
import CohortTestSupport
import Foundation
import Testing

@testable import ImageIO

@Suite struct InspectCommandTests {
    @Test func jsonVerdictsForMixedFiles() throws {
        let cohort = try #require(BuiltExecutable.path("cohort"), "build the package first (swift build)")
        let dir = try TemporaryDirectory()
        let good = dir.file("good.png")
        try PNGEncoder.write(
            GrayImage(width: 3, height: 2, bitDepth: 8, samples: [1, 2, 3, 4, 5, 6]),
            text: [(key: "synthetic", value: "true")], to: good)
        let empty = try dir.write("empty.png", [])
        let text = try dir.write("readme.jpg", Array("hello\n".utf8))
        let missing = dir.file("missing.png")
        let result = try BuiltExecutable.run(cohort, ["inspect", "--json", good, empty, text, missing])
        #expect(result.status == 1, "exit status must say some files were refused; stderr: \(result.stderr)")
        let reports = try JSONDecoder().decode([ImageInspection].self, from: Data(result.stdout.utf8))
        #expect(reports.map(\.path) == [good, empty, text, missing])
        #expect(reports.map(\.ok) == [true, false, false, false])
        #expect(reports[0].format == "png" && reports[0].width == 3 && reports[0].height == 2)
        #expect(reports[0].metadata?["synthetic"] == "true")
        #expect(reports.dropFirst().allSatisfy { $0.reason != nil })
        #expect(reports.map(\.code) == [nil, "empty", "not_an_image", "unreadable"])
    }

    @Test func allAcceptedExitsZero() throws {
        let cohort = try #require(BuiltExecutable.path("cohort"))
        let dir = try TemporaryDirectory()
        let good = dir.file("a.png")
        try PNGEncoder.write(GrayImage(width: 1, height: 1, bitDepth: 8, samples: [7]), to: good)
        let result = try BuiltExecutable.run(cohort, ["inspect", good])
        #expect(result.status == 0)
        #expect(result.stdout.contains("ok"))
    }
}
