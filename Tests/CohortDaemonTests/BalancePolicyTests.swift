// The balance policy, table-driven: target, deficit, the per-real cap, tolerance and suppression.
import Testing
@testable import CohortDaemon
import Training

@Suite struct BalancePolicyTests {
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var counts: [String: Int]
        var target: BalanceSettings.Target = .largest
        var ratio = 1.0
        var tolerance = 0.05
        var suppressed: Set<String> = []
        /// class → (target, deficit, wanted, underTarget)
        var expected: [String: (Int, Int, Int, Bool)]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "largest class sets the target", counts: ["a": 100, "b": 60, "c": 100],
             expected: ["a": (100, 0, 0, false), "b": (100, 40, 40, true), "c": (100, 0, 0, false)]),
        Case(name: "one synthetic per real caps a tiny class", counts: ["a": 100, "b": 10],
             expected: ["a": (100, 0, 0, false), "b": (100, 90, 10, true)]),
        Case(name: "ratio 2.5 rounds down", counts: ["a": 100, "b": 11], ratio: 2.5,
             expected: ["a": (100, 0, 0, false), "b": (100, 89, 27, true)]),
        Case(name: "within tolerance is balanced but still topped up", counts: ["a": 100, "b": 96],
             expected: ["a": (100, 0, 0, false), "b": (100, 4, 4, false)]),
        Case(name: "fixed target above every class", counts: ["a": 30, "b": 50], target: .fixed(60),
             expected: ["a": (60, 30, 30, true), "b": (60, 10, 10, true)]),
        Case(name: "fixed target below a class: no negative deficit", counts: ["a": 80, "b": 20], target: .fixed(50),
             expected: ["a": (50, 0, 0, false), "b": (50, 30, 20, true)]),
        Case(name: "a class with no real images gets nothing", counts: ["a": 50, "b": 0],
             expected: ["a": (50, 0, 0, false), "b": (50, 50, 0, true)]),
        Case(name: "a suppressed class gets nothing", counts: ["a": 50, "b": 25], suppressed: ["b"],
             expected: ["a": (50, 0, 0, false), "b": (50, 25, 0, true)]),
        Case(name: "ratio 0 publishes nothing", counts: ["a": 50, "b": 25], ratio: 0,
             expected: ["a": (50, 0, 0, false), "b": (50, 25, 0, true)]),
    ]

    @Test(arguments: cases) func balance(_ c: Case) {
        var settings = BalanceSettings()
        settings.target = c.target
        settings.maxSyntheticPerReal = c.ratio
        settings.tolerance = c.tolerance
        let result = BalancePolicy.balance(realCounts: c.counts, settings: settings, suppressed: c.suppressed)
        #expect(result.map(\.className) == c.counts.keys.sorted())
        for entry in result {
            let (target, deficit, wanted, under) = c.expected[entry.className]!
            #expect(entry.target == target, "\(c.name): \(entry.className) target")
            #expect(entry.deficit == deficit, "\(c.name): \(entry.className) deficit")
            #expect(entry.wanted == wanted, "\(c.name): \(entry.className) wanted")
            #expect(entry.underTarget == under, "\(c.name): \(entry.className) under target")
            #expect(entry.real == c.counts[entry.className])
        }
    }
}

@Suite struct HarmTestTests {
    static func metrics(recall: [Double], perClass: Int) -> ClassificationMetrics {
        var labels: [Int] = [], predictions: [Int] = []
        for (c, r) in recall.enumerated() {
            let hits = Int((r * Double(perClass)).rounded())
            labels += Array(repeating: c, count: perClass)
            predictions += Array(repeating: c, count: hits) + Array(repeating: (c + 1) % recall.count, count: perClass - hits)
        }
        return ClassificationMetrics(labels: labels, predictions: predictions, classes: recall.indices.map { "c\($0)" })
    }

    @Test func oneFlippedScanIsNoiseATenPointDropIsHarm() {
        // 243 validation scans per class: 100% → 99.6% is one scan; 62% → 51% is about 27 scans.
        let real = Self.metrics(recall: [1.0, 0.621], perClass: 243)
        let mixed = Self.metrics(recall: [0.996, 0.509], perClass: 243)
        #expect(!HarmTest.isHarmful(real: real, mixed: mixed, classIndex: 0))
        #expect(HarmTest.isHarmful(real: real, mixed: mixed, classIndex: 1))
        #expect(!HarmTest.isHarmful(real: real, mixed: real, classIndex: 1), "no drop, no harm")
    }
}
