// The balance policy, table-driven: target, deficit, the per-real cap, tolerance, suppression and the
// symmetric synthetic share (f = 0 is the earlier top-up rule).
import Catalog
import Curation
import ImageIO
import Tensor
import Testing
import Training

@testable import CohortDaemon

@Suite struct BalancePolicyTests {
    /// The harm gate fails closed: a withheld-classes list the catalog cannot decode is an error that stops
    /// publishing and scheduling for the dataset (before, `try?` read it as "nothing withheld").
    @Test func aDamagedWithheldListFailsClosed() throws {
        var record = DatasetStateRecord(dataset: "chest")
        record.suppressedClasses = #"["viral"]"#
        var settings = BalanceSettings()
        #expect(try settings.withheld(record) == ["viral"])
        record.suppressedClasses = #"["viral""#
        #expect(throws: WithheldClassesError.self) { try settings.withheld(record) }
        settings.publishWhenHarmful = true
        #expect(try settings.withheld(record) == [], "publish_when_harmful: nothing is withheld, whatever is stored")
    }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var counts: [String: Int]
        var target: BalanceSettings.Target = .largest
        var ratio = 1.0
        var share = 0.0
        var tolerance = 0.05
        var suppressed: Set<String> = []
        /// class → (target, deficit, wanted, underTarget)
        var expected: [String: (Int, Int, Int, Bool)]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "largest class sets the target", counts: ["a": 100, "b": 60, "c": 100],
            expected: ["a": (100, 0, 0, false), "b": (100, 40, 40, true), "c": (100, 0, 0, false)]),
        Case(
            name: "one synthetic per real caps a tiny class", counts: ["a": 100, "b": 10],
            expected: ["a": (100, 0, 0, false), "b": (100, 90, 10, true)]),
        Case(
            name: "ratio 2.5 rounds down", counts: ["a": 100, "b": 11], ratio: 2.5,
            expected: ["a": (100, 0, 0, false), "b": (100, 89, 27, true)]),
        Case(
            name: "within tolerance is balanced but still topped up", counts: ["a": 100, "b": 96],
            expected: ["a": (100, 0, 0, false), "b": (100, 4, 4, false)]),
        Case(
            name: "fixed target above every class", counts: ["a": 30, "b": 50], target: .fixed(60),
            expected: ["a": (60, 30, 30, true), "b": (60, 10, 10, true)]),
        Case(
            name: "fixed target below a class: no negative deficit", counts: ["a": 80, "b": 20], target: .fixed(50),
            expected: ["a": (50, 0, 0, false), "b": (50, 30, 20, true)]),
        Case(
            name: "a class with no real images gets nothing", counts: ["a": 50, "b": 0],
            expected: ["a": (50, 0, 0, false), "b": (50, 50, 0, true)]),
        Case(
            name: "a suppressed class gets nothing", counts: ["a": 50, "b": 25], suppressed: ["b"],
            expected: ["a": (50, 0, 0, false), "b": (50, 25, 0, true)]),
        Case(
            name: "ratio 0 publishes nothing", counts: ["a": 50, "b": 25], ratio: 0,
            expected: ["a": (50, 0, 0, false), "b": (50, 25, 0, true)]),
        Case(
            name: "symmetric share: the largest class gets samples too", counts: ["a": 100, "b": 60], share: 0.5,
            expected: ["a": (150, 50, 50, true), "b": (150, 90, 60, true)]),
        Case(
            name: "symmetric share with a larger cap", counts: ["a": 100, "b": 60], ratio: 2, share: 0.25,
            expected: ["a": (125, 25, 25, true), "b": (125, 65, 65, true)])
    ]

    @Test(arguments: cases) func balance(_ c: Case) {
        var settings = BalanceSettings()
        settings.target = c.target
        settings.maxSyntheticPerReal = c.ratio
        settings.syntheticShare = c.share
        settings.tolerance = c.tolerance
        let result = BalancePolicy.balance(realCounts: c.counts, settings: settings, suppressed: c.suppressed)
        #expect(result.map(\.className) == c.counts.keys.sorted())
        if c.share > 0 && c.target == .largest {
            let mixing = settings.mixingPolicy
            #expect(result.map(\.wanted) == mixing.syntheticCounts(realCounts: result.map(\.real)), "cohortd and cohort experiment share one rule")
        }
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

@Suite struct HarmGateTests {
    /// A real+synthetic run that fell back to real images only (a class had no synthetic images) is named
    /// as such in the report's findings, first, so its figures are not read as evidence about synthetic data.
    @Test func aRunThatDidNotMixIsNamedInTheFindings() {
        let metrics = ClassificationMetrics(labels: [0, 1, 0], predictions: [0, 1, 1], classes: ["a", "b"])
        let real = ReportVariant(training: "real", trainImages: 10, validation: metrics, losses: [], seconds: 1)
        var mixed = ReportVariant(training: "real+synthetic", trainImages: 20, validation: metrics, losses: [], seconds: 1)
        #expect(
            !ClassifierReport.findings(classes: ["a", "b"], real: real, mixed: mixed, harmful: [], withheld: []).contains { $0.contains("not mixed") }
        )
        mixed.note = "no synthetic images for b: trained on real images only"
        let findings = ClassifierReport.findings(classes: ["a", "b"], real: real, mixed: mixed, harmful: [], withheld: [])
        #expect(findings.first?.contains("not mixed as asked (no synthetic images for b") == true, "\(findings)")
    }

    /// The harm gate is the per-class exact McNemar test on the same validation images: one flipped scan
    /// of 243 is noise, a ten-point drop (27 scans lost, 2 gained) is harm.
    @Test func oneFlippedScanIsNoiseATenPointDropIsHarm() {
        let labels = [Int](repeating: 0, count: 243) + [Int](repeating: 1, count: 243)
        let real = [Bool](repeating: true, count: 243) + (0..<243).map { $0 < 151 }
        var mixed = real
        mixed[0] = false  // class 0: 100% → 99.6%
        for i in 243..<(243 + 27) { mixed[i] = false }  // class 1: 27 lost …
        for i in (243 + 151)..<(243 + 153) { mixed[i] = true }  // … 2 gained
        let tests = PairedComparison.byClass(first: [real], second: [mixed], labels: labels, classes: ["normal", "viral"])
        #expect(tests["normal"]?.secondWorse == false, "one scan: \(tests["normal"]!.verdict)")
        #expect(tests["viral"]?.secondWorse == true, "27 vs 2: \(tests["viral"]!.verdict)")
        #expect(
            PairedComparison.byClass(first: [real], second: [real], labels: labels, classes: ["normal", "viral"]).values.allSatisfy {
                !$0.secondWorse
            })
    }
}

/// cohortd's incremental grouping with `dataset.<name>.group_pattern`: a new scan of a known patient
/// joins the patient's group (though its pixels match nothing) and so the patient's side of the split.
@Suite struct PatientGroupingTests {
    static func print(seed: UInt64) -> ImageFingerprint {
        var rng = RandomGenerator(seed: seed)
        let samples = (0..<(64 * 64)).map { _ in UInt16(rng.integer(below: 256)) }
        return ImageFingerprint(GrayImage(width: 64, height: 64, bitDepth: 8, samples: samples), modelSize: 64)
    }

    @Test func aNewScanJoinsItsPatientsGroupAndSide() throws {
        let pattern = try GroupPattern("^(person[0-9]+)_")
        let index = NearDuplicateIndex()
        var sides: [String: DataSplit] = [:]
        for patient in 0..<40 {
            let key = pattern.key(forPath: "bacterial/person\(patient)_bacteria_0.png")
            let first = Self.print(seed: UInt64(patient * 10))
            #expect(index.matchingGroups(first, key: key, workers: 2).isEmpty, "nothing matches a new patient's noise image")
            index.insert(id: Int64(patient * 10), print: first, group: Int64(patient * 10), key: key)
            sides["person\(patient)"] = index.split(of: Int64(patient * 10), validationFraction: 0.2)
            #expect(sides["person\(patient)"] == DataSplit.side(ofGroupKey: "person\(patient)", validationFraction: 0.2))
        }
        #expect(Set(sides.values).count == 2, "40 patients fall on both sides")
        for patient in 0..<40 {
            let key = pattern.key(forPath: "viral/person\(patient)_virus_7.png")
            let scan = Self.print(seed: UInt64(patient * 10 + 1))
            let groups = index.matchingGroups(scan, key: key, workers: 2)
            #expect(groups == [Int64(patient * 10)], "person\(patient)'s new scan joins the patient's group")
            index.insert(id: Int64(patient * 10 + 1), print: scan, group: groups.min()!, key: key)
            #expect(index.split(of: groups.min()!, validationFraction: 0.2) == sides["person\(patient)"], "and stays on the patient's side")
        }
    }
}

extension PatientGroupingTests {
    /// A keyed scan that joins a training group (it matches a copy already trained on) must not pull the
    /// group to its key's validation side.
    @Test func aTrainedGroupNeverMovesToValidation() throws {
        let index = NearDuplicateIndex()
        let key = (0..<200).map { "person\($0)" }.first { DataSplit.side(ofGroupKey: $0, validationFraction: 0.2) == .validation }!
        let print = Self.print(seed: 99)
        index.insert(id: 1, print: print, group: 1, key: nil, side: .train)
        let groups = index.matchingGroups(print, key: key, workers: 2)
        #expect(groups == [1], "an exact copy matches")
        index.insert(id: 2, print: print, group: 1, key: key)
        #expect(index.split(of: 1, validationFraction: 0.2) == .train, "the group keeps its training side")
        // Without the trained member, the same key would have put the group in validation.
        let fresh = NearDuplicateIndex()
        fresh.insert(id: 3, print: print, group: 3, key: key)
        #expect(fresh.split(of: 3, validationFraction: 0.2) == .validation)
    }
}
