// Near-duplicate grouping on generated scans: mirrored, shifted, re-contrasted, re-encoded and exact
// copies join their original's group; distinct scans stay apart; the split keeps groups whole.
import CohortTestSupport
import Foundation
import ImageIO
import Testing

@testable import Curation

@Suite struct NearDuplicateTests {
    static func scan(seed: Int, shift: (Int, Int) = (0, 0), mirrored: Bool = false, gain: Double = 1, offset: Double = 0) -> GrayImage {
        BlobScans.scan(seed: seed, shift: shift, mirrored: mirrored, gain: gain, offset: offset)
    }

    static func reencoded(_ image: GrayImage) throws -> GrayImage {
        let jpeg = try JPEGEncoder.encode(pixels: image.samples8, width: image.width, height: image.height, input: .gray, quality: 75)
        return try ImageDecoder().decode(bytes: jpeg, file: "reencoded.jpg").image
    }

    @Test func copiesGroupAndDistinctScansDoNot() throws {
        let originals = (0..<6).map { Self.scan(seed: $0) }
        var images = originals
        images.append(Self.scan(seed: 0, mirrored: true))  // 6: mirror of 0
        images.append(Self.scan(seed: 1, shift: (2, -1)))  // 7: shifted 1
        images.append(Self.scan(seed: 2, gain: 0.8, offset: 25))  // 8: re-contrasted 2
        images.append(try Self.reencoded(originals[3]))  // 9: JPEG copy of 3
        images.append(originals[4])  // 10: exact copy of 4
        let prints = images.map { ImageFingerprint($0, modelSize: 64) }
        let pairs = NearDuplicates.pairs(prints)
        let groups = NearDuplicates.groups(count: images.count, pairs: pairs)
        #expect(groups[6] == groups[0], "mirror not grouped")
        #expect(groups[7] == groups[1], "shifted copy not grouped")
        #expect(groups[8] == groups[2], "re-contrasted copy not grouped")
        #expect(groups[9] == groups[3], "re-encoded copy not grouped")
        #expect(groups[10] == groups[4] && pairs.contains { $0.exact && $0.first == 4 && $0.second == 10 })
        #expect(Set(groups[0..<6]).count == 6, "distinct scans were grouped: \(pairs)")
        let distinct = NearDuplicates.alignedDistance(prints[0].thumbnail, prints[5].thumbnail)
        #expect(distinct > NearDuplicates.distanceThreshold, "distinct scans at distance \(distinct)")
    }

    @Test func splitKeepsGroupsWholeAndIsStable() {
        let hashes = (0..<400).map { i in String(format: "%08x", UInt32(truncatingIfNeeded: i &* 2_654_435_761)) + "00" }
        var groups = Array(0..<400)
        for i in stride(from: 0, to: 400, by: 10) { for j in i..<(i + 3) { groups[j] = i } }  // groups of 3
        let split = DataSplit.assign(contentHashes: hashes, groups: groups, validationFraction: 0.2)
        for i in 0..<400 { #expect(split[i] == split[groups[i]], "group of \(i) straddles the split") }
        let fraction = Double(split.filter { $0 == .validation }.count) / 400
        #expect(fraction > 0.1 && fraction < 0.3, "validation fraction \(fraction)")
        // Adding images never moves an existing image from train to validation.
        let more = DataSplit.assign(contentHashes: hashes + ["ffffffff00"], groups: groups + [0], validationFraction: 0.2)
        for i in 0..<400 where split[i] == .train { #expect(more[i] == .train) }
    }

    @Test func auditCommandReportsLeakage() throws {
        let cohort = try #require(BuiltExecutable.path("cohort"))
        let dir = try TemporaryDirectory()
        for (i, cls) in [(0, "a"), (1, "a"), (2, "b"), (3, "b")] {
            try FileManager.default.createDirectory(atPath: dir.file("train/\(cls)"), withIntermediateDirectories: true)
            try PNGEncoder.write(Self.scan(seed: i), to: dir.file("train/\(cls)/\(i).png"))
        }
        try PNGEncoder.write(Self.scan(seed: 0), to: dir.file("train/a/0-copy.png"))
        try FileManager.default.createDirectory(atPath: dir.file("test/a"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir.file("test/b"), withIntermediateDirectories: true)
        try PNGEncoder.write(Self.scan(seed: 1, mirrored: true), to: dir.file("test/a/leak.png"))
        try PNGEncoder.write(Self.scan(seed: 9), to: dir.file("test/b/new.png"))
        try dir.write("train/b/broken.png", [0x89, 0x50, 0x4E])
        let out = dir.file("audit.json")
        let result = try BuiltExecutable.run(
            cohort, ["audit", "--data", dir.file("train"), "--test", dir.file("test"), "--json", out, "--image-size", "64"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONDecoder().decode(LeakageReport.self, from: Data(contentsOf: URL(fileURLWithPath: out)))
        let a = try #require(report.classes.first { $0.name == "a" })
        #expect(a.trainImages == 3 && a.exactDuplicateGroups == 1 && a.redundantExactCopies == 1)
        #expect(a.testImages == 1 && a.testImagesDuplicatingTrain == 1)
        let b = try #require(report.classes.first { $0.name == "b" })
        #expect(b.testImagesDuplicatingTrain == 0 && b.trainImages == 2)
        #expect(report.refused.count == 1 && report.refused[0].path.hasSuffix("broken.png"))
        #expect(report.closestPairs.contains { $0.scope == "train-test" && $0.second.hasSuffix("leak.png") })
    }
}
