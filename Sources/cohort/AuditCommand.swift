// `cohort audit --data DIR [--test DIR] [--json OUT]`: duplicate and leakage report of ImageFolder trees.
import ArgumentParser
import Curation
import Foundation
import Training

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Find exact and near-duplicate scans within a training tree and across train/test.",
        discussion: """
            Near-duplicates are mirrored, slightly shifted or re-scaled, re-contrasted or re-encoded copies: \
            candidates by a mirror-invariant difference hash, confirmed by pixel distance after alignment.
            """)

    @Option(help: "Training ImageFolder tree (<class>/*.png|jpg).")
    var data: String

    @Option(help: "Test ImageFolder tree to check for leakage from the training tree.")
    var test: String?

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    @Option(help: "Model size the scans are compared at.")
    var imageSize = 128

    @Option(
        help:
            "Regular expression with one capture group applied to file names: images with the same captured key (a patient) form one group, e.g. '^(person[0-9]+)_' for chest X-rays."
    )
    var groupPattern: String?

    func validate() throws {
        if let groupPattern {
            do { _ = try GroupPattern(groupPattern) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        let train = try ImageFolder(root: data)
        let testFolder = try test.map { try ImageFolder(root: $0) }
        var report = LeakageAudit.run(train: train, test: testFolder, modelSize: imageSize, progress: ProgressPrinter())
        report.groups = try groupPattern.map {
            GroupPatternSummary(try GroupPattern($0), trainPaths: train.items.map(\.path), testPaths: testFolder?.items.map(\.path))
        }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json), options: .atomic)
        }
        if let g = report.groups {
            print(
                "group pattern \(g.pattern): \(g.groups) groups, the largest \(g.largestGroup) images (\(g.largestGroupKey ?? "-")), "
                    + "\(g.unmatchedFiles) file names unmatched"
                    + (g.groupsAlsoInTest.map { "; \($0) groups also in the test tree (patient leakage)" } ?? ""))
        }
        var rows = [
            ["CLASS", "TRAIN", "EXACT GROUPS", "REDUNDANT", "NEAR GROUPS", "IN NEAR GROUPS"] + (testFolder != nil ? ["TEST", "TEST DUP TRAIN"] : [])
        ]
        for c in report.classes {
            rows.append(
                [
                    c.name, "\(c.trainImages)", "\(c.exactDuplicateGroups)", "\(c.redundantExactCopies)", "\(c.nearDuplicateGroups)",
                    "\(c.imagesInNearDuplicateGroups)"
                ] + (testFolder != nil ? ["\(c.testImages)", "\(c.testImagesDuplicatingTrain)"] : []))
        }
        print(TextTable.render(rows))
        if report.crossClassPairs > 0 { print("\n\(report.crossClassPairs) duplicate pairs carry different labels (label conflicts)") }
        if !report.refused.isEmpty { print("\n\(report.refused.count) files refused (cohort inspect tells why)") }
        if !report.closestPairs.isEmpty {
            print("\nclosest pairs:")
            var pairs = [["DISTANCE", "SCOPE", "FIRST", "SECOND"]]
            for p in report.closestPairs.prefix(15) {
                pairs.append([p.exact ? "exact" : String(format: "%.3f", p.distance), p.scope, p.first, p.second])
            }
            print(TextTable.render(pairs))
        }
    }
}
