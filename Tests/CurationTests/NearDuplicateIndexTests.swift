// The incremental near-duplicate index (cohortd's ingest) and the batch grouping (`cohort experiment`,
// `audit`) are one rule: fed the same scans one at a time, the index ends with the same groups the batch
// pass finds — copies, mirrors, shifts and re-contrasted versions with their originals, distinct scans apart.
import CohortTestSupport
import Foundation
import ImageIO
import Testing

@testable import Curation

@Suite struct NearDuplicateIndexTests {
    /// Groups as a set of sets of indices (ids are index + 1), independent of which id names a group.
    static func partition(_ groupOf: [Int: Int64]) -> Set<Set<Int>> {
        Set(Dictionary(grouping: groupOf.keys, by: { groupOf[$0]! }).values.map(Set.init))
    }

    @Test func theIncrementalIndexFindsTheBatchGroups() {
        var scans = (0..<8).map { BlobScans.scan(seed: $0) }
        scans += [
            BlobScans.scan(seed: 2, mirrored: true), BlobScans.scan(seed: 3, shift: (2, 1)), BlobScans.scan(seed: 5, gain: 1.1, offset: -8),
            BlobScans.scan(seed: 0)
        ]
        let prints = scans.map { ImageFingerprint($0, modelSize: 64) }

        let batch = NearDuplicates.groups(count: prints.count, pairs: NearDuplicates.pairs(prints, workers: 2))
        let batchPartition = Self.partition(Dictionary(uniqueKeysWithValues: batch.enumerated().map { ($0.offset, Int64($0.element)) }))

        let index = NearDuplicateIndex()
        for (i, print) in prints.enumerated() {
            let id = Int64(i + 1)
            let matches = index.matchingGroups(print, workers: 2)
            let group = matches.min() ?? id
            index.insert(id: id, print: print, group: group)
            _ = index.merge(matches, into: group)
        }
        let incremental = Self.partition(Dictionary(uniqueKeysWithValues: index.entries.values.map { (Int($0.id) - 1, $0.group) }))

        #expect(incremental == batchPartition)
        #expect(
            batchPartition.contains([2, 8]) && batchPartition.contains([3, 9]) && batchPartition.contains([5, 10])
                && batchPartition.contains([0, 11]),
            "each copy with its original: \(batchPartition)")
        #expect(batchPartition.count == 8, "the 8 distinct scans stay apart")
    }
}
