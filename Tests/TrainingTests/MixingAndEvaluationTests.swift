// The evaluation and mixing pieces of the synthetic-data experiment on tiny data: group keys keep a
// patient on one side of the split and stay stable as images arrive; the symmetric policy gives every
// class synthetic images and keeps real exposure constant; the acceptance filter drops samples of the
// wrong class; McNemar against hand-computed values; one FCD for experiment and daemon.
import CohortTestSupport
import Curation
import Foundation
import ImageIO
import Models
import Tensor
import Testing

@testable import Training

@Suite struct GroupPatternTests {
    @Test func chestPatternKeysPatientsAndSeries() throws {
        let pattern = try GroupPattern("^((?:NORMAL2-)?IM-[0-9]+|person[0-9]+)[-_]")
        #expect(pattern.key(forPath: "/d/bacterial/person1000_bacteria_2931.png") == "person1000")
        #expect(pattern.key(forPath: "viral/person1000_virus_1681.png") == "person1000")
        #expect(pattern.key(forPath: "normal/IM-0115-0001.png") == "IM-0115")
        #expect(pattern.key(forPath: "normal/NORMAL2-IM-0771-0001.png") == "NORMAL2-IM-0771")
        #expect(pattern.key(forPath: "normal/scan.png") == nil)
        #expect(throws: GroupPattern.InvalidPattern.self) { try GroupPattern("person[0-9]+") }
        #expect(throws: GroupPattern.InvalidPattern.self) { try GroupPattern("(a)(b)") }
    }

    /// Ten images per patient: every patient's images land on one side, and adding images later (a
    /// patient's new scan, new patients) moves no earlier image across the split.
    @Test func patientStaysOnOneSideAsImagesArrive() throws {
        let pattern = try GroupPattern("^(person[0-9]+)_")
        func paths(_ patients: Range<Int>, _ scans: Range<Int>) -> [String] {
            patients.flatMap { p in scans.map { "person\(p)_scan\($0).png" } }
        }
        func sides(_ paths: [String]) -> [String: DataSplit] {
            let keys = paths.map { pattern.key(forPath: $0) }
            let hashes = paths.map(fnv1aHex)  // a stand-in content hash, distinct per file
            let groups = NearDuplicates.groups(count: paths.count, pairs: [], keys: keys)
            return Dictionary(
                uniqueKeysWithValues: zip(paths, DataSplit.assign(contentHashes: hashes, groups: groups, keys: keys, validationFraction: 0.2)))
        }
        let before = sides(paths(0..<60, 0..<10))
        for p in 0..<60 {
            #expect(Set((0..<10).map { before["person\(p)_scan\($0).png"]! }).count == 1, "person\(p) straddles the split")
        }
        let validationPatients = (0..<60).filter { before["person\($0)_scan0.png"] == .validation }.count
        #expect(validationPatients > 3 && validationPatients < 25, "\(validationPatients) of 60 patients in validation (expected ~12)")
        let after = sides(paths(0..<80, 0..<12))
        for (path, side) in before { #expect(after[path] == side, "\(path) moved from \(side)") }
        for p in 0..<60 { #expect(after["person\(p)_scan11.png"] == before["person\(p)_scan0.png"], "a new scan joins its patient's side") }
    }

    @Test func loaderReportsGroups() throws {
        let dir = try TemporaryDirectory()
        let data = ClassifierTrainingTests.shapes(count: 30, seed: 5)
        for i in 0..<data.count {
            let name = data.classes[data.labels[i]]
            try FileManager.default.createDirectory(atPath: dir.file(name), withIntermediateDirectories: true)
            try writePNG(data, index: i, to: dir.file("\(name)/person\(i / 6)_\(i).png"))
        }
        let folder = try ImageFolder(root: dir.path)
        let (train, validation, summary) = DatasetLoader.load(
            folder, size: 24, validationFraction: 0.3, groupPattern: try GroupPattern("^(person[0-9]+)_"))
        #expect(summary.groupPattern == "^(person[0-9]+)_")
        #expect(summary.groups == 5 && summary.largestGroup == 6)
        let trainPatients = Set(train.paths.map { ($0 as NSString).lastPathComponent.split(separator: "_")[0] })
        let validationPatients = Set(validation.paths.map { ($0 as NSString).lastPathComponent.split(separator: "_")[0] })
        #expect(trainPatients.isDisjoint(with: validationPatients))
    }

    func writePNG(_ data: LabeledImages, index i: Int, to path: String) throws {
        let s = data.size
        let pixels = data.pixels[(i * s * s)..<((i + 1) * s * s)].map { UInt16(min(max(($0 + 1) * 127.5, 0), 255)) }
        try PNGEncoder.write(GrayImage(width: s, height: s, bitDepth: 8, samples: pixels), to: path)
    }
}

/// 64-bit FNV-1a of a string as 16 hex digits.
func fnv1aHex(_ text: String) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return String(format: "%016llx", hash)
}

@Suite struct MixingPolicyTests {
    @Test func symmetricGivesEveryClassSyntheticImages() {
        var policy = MixingPolicy()
        policy.syntheticShare = 0.5
        #expect(policy.syntheticCounts(realCounts: [100, 40, 0]) == [50, 110, 0], "target 150: the largest gets 50, an empty class none")
        policy.maxSyntheticPerReal = 1
        #expect(policy.syntheticCounts(realCounts: [100, 40, 10]) == [50, 40, 10])
        #expect(MixingPolicy.topUp.syntheticCounts(realCounts: [100, 40, 10]) == [0, 60, 90], "top-up leaves the largest all-real")
        #expect(policy.syntheticDrawProbability! == 0.5 / 1.5)
    }

    @Test func realExposureIsConstant() {
        var policy = MixingPolicy()
        policy.syntheticShare = 1
        policy.realOnlyFinalFraction = 0.2
        // Mixing phase draws real with probability 1/2, the final 20% always: 0.2 + 0.8 · 0.5 = 0.6 real.
        #expect(policy.steps(realOnlySteps: 600) == 1000)
        #expect(MixingPolicy.topUp.steps(realOnlySteps: 600) == 600)
    }

    /// The sampler draws the same synthetic share in every class (no label cue), real images as often as
    /// the real-only run, and nothing synthetic in the final phase.
    @Test func samplerDrawsTheSameSyntheticShareInEveryClass() {
        let real = ClassifierTrainingTests.shapes(count: 90, seed: 1)
        var synthetic = LabeledImages(size: real.size, classes: real.classes)
        for i in 0..<60 { synthetic.append(real.pixels[(i * 576)..<((i + 1) * 576)], label: i < 50 ? 0 : 1 + i % 2, path: "synthetic") }
        var policy = MixingPolicy()
        policy.syntheticShare = 0.5
        var sampler = MixedSampler(real: real, synthetic: synthetic, mixing: policy, balanced: true)
        var rng = RandomGenerator(seed: 3)
        var draws = [[Int]](repeating: [0, 0], count: 3)  // [class][real, synthetic]
        for _ in 0..<3000 {
            for d in sampler.draw(16, mixing: true, rng: &rng) { draws[sampler.label(d)][d.synthetic ? 1 : 0] += 1 }
        }
        for c in 0..<3 {
            let share = Double(draws[c][1]) / Double(draws[c][0] + draws[c][1])
            #expect(abs(share - 1.0 / 3) < 0.02, "class \(c): synthetic share \(share) (pool sizes differ 50/5/5, the share must not)")
        }
        let final = (0..<100).flatMap { _ in sampler.draw(16, mixing: false, rng: &rng) }
        #expect(final.allSatisfy { !$0.synthetic })
    }

    @Test func unbalancedSamplingKeepsTheShareEqualToo() {
        let real = ClassifierTrainingTests.shapes(count: 90, seed: 1)
        var synthetic = LabeledImages(size: real.size, classes: real.classes)
        for i in 0..<40 { synthetic.append(real.pixels[(i * 576)..<((i + 1) * 576)], label: i < 30 ? 0 : 1 + i % 2, path: "synthetic") }
        var sampler = MixedSampler(real: real, synthetic: synthetic, mixing: MixingPolicy(), balanced: false)
        var rng = RandomGenerator(seed: 4)
        var draws = [[Int]](repeating: [0, 0], count: 3)
        for _ in 0..<3000 {
            for d in sampler.draw(16, mixing: true, rng: &rng) { draws[sampler.label(d)][d.synthetic ? 1 : 0] += 1 }
        }
        for c in 0..<3 {
            let share = Double(draws[c][1]) / Double(draws[c][0] + draws[c][1])
            #expect(abs(share - 1.0 / 3) < 0.02, "class \(c): synthetic share \(share)")
        }
    }

    /// A class without synthetic images would make "synthetic" mean "not this class": the run is real only.
    @Test func aClassWithoutSyntheticImagesMeansNoMixing() {
        let real = ClassifierTrainingTests.shapes(count: 48, seed: 1)
        var settings = ClassifierTrainingSettings()
        settings.epochs = 1
        settings.batchSize = 16
        let trainer = ClassifierTrainer(model: Classifier(ClassifierTrainingTests.tinyConfiguration, seed: 1), settings: settings)
        let onlyTwoClasses = real.subset(real.labels.indices.filter { real.labels[$0] != 2 })
        let trace = trainer.train(on: real, synthetic: onlyTwoClasses, mixing: MixingPolicy())
        #expect(trace.losses.count == settings.realOnlySteps(images: real.count))
        #expect(trace.note?.contains("bar") == true, "\(trace.note ?? "no note")")
        // The experiment's row says so in its "vs real-only" cell, before the paired test's verdict.
        let outcome = Experiment.judge(trainer, real, images: real.count, steps: trace.losses.count)
        let name = "real+synthetic (symmetric)"
        let mixed = Experiment.row(name, [outcome], classes: real.classes, baseline: [outcome], evaluation: real)
        #expect(mixed.comparisonText == mixed.pairedTest?.verdict)
        let row = Experiment.row(name, [outcome], classes: real.classes, baseline: [outcome], evaluation: real, notes: ["seed 1: \(trace.note!)"])
        #expect(row.comparisonText.hasPrefix("**not mixed as asked** (seed 1: no synthetic images for bar"), "\(row.comparisonText)")
    }

    @Test func trainerAddsStepsForSyntheticDraws() {
        let real = ClassifierTrainingTests.shapes(count: 48, seed: 1)
        var settings = ClassifierTrainingSettings()
        settings.epochs = 2
        settings.batchSize = 16
        settings.augmentation = .none
        let trainer = ClassifierTrainer(model: Classifier(ClassifierTrainingTests.tinyConfiguration, seed: 1), settings: settings)
        var policy = MixingPolicy()
        policy.syntheticShare = 1
        policy.realOnlyFinalFraction = 0.2
        let trace = trainer.train(on: real, synthetic: real.subset(Array(0..<12)), mixing: policy)
        #expect(trace.losses.count == policy.steps(realOnlySteps: 6) && trace.losses.count == 10)
    }

    /// Synthetic images whose labels are all wrong (every shape labeled as the next class) make up 3/4 of
    /// the draws: at loss weight 1 they teach the wrong labels; at 0.05 the real quarter dominates the
    /// gradient and held-out accuracy on the true labels stays high. Fails if the weight is not applied.
    @Test func syntheticLossWeightLimitsWhatSyntheticImagesTeach() {
        let real = ClassifierTrainingTests.shapes(count: 96, seed: 1)
        let test = ClassifierTrainingTests.shapes(count: 60, seed: 2)
        var mislabeled = real
        mislabeled.labels = real.labels.map { ($0 + 1) % 3 }
        var settings = ClassifierTrainingSettings()
        settings.epochs = 12
        settings.batchSize = 16
        settings.learningRate = 3e-3
        func accuracy(weight: Double) -> Double {
            var policy = MixingPolicy()
            policy.syntheticShare = 3
            policy.realOnlyFinalFraction = 0
            policy.syntheticLossWeight = weight
            let trainer = ClassifierTrainer(model: Classifier(ClassifierTrainingTests.tinyConfiguration, seed: 7), settings: settings)
            trainer.train(on: real, synthetic: mislabeled, mixing: policy)
            return trainer.evaluate(test).accuracy
        }
        let equal = accuracy(weight: 1), small = accuracy(weight: 0.05)
        print("mislabeled synthetic at 3/4 of draws: held-out accuracy \(equal) at loss weight 1, \(small) at 0.05")
        #expect(small > 0.75, "weight 0.05: \(small)")
        #expect(equal < small - 0.3, "weight 1: \(equal), weight 0.05: \(small)")
    }

    /// Reports written before `synthetic_loss_weight` existed still decode, with weight 1.
    @Test func olderPolicyJSONDecodesWithDefaults() throws {
        let json = #"{"kind":"symmetric","synthetic_share":0.25,"real_only_final_fraction":0.2,"acceptance_threshold":0.5}"#
        let policy = try JSONDecoder().decode(MixingPolicy.self, from: Data(json.utf8))
        #expect(policy.syntheticShare == 0.25 && policy.syntheticLossWeight == 1 && policy.maxSyntheticPerReal == nil)
    }
}

@Suite struct AcceptanceFilterTests {
    /// A generator trained with the labels of two classes swapped produces "vertical" images when asked
    /// for "horizontal" ones: a judge trained on the true labels must reject those, and accept the
    /// samples of the class whose label was left alone.
    @Test func dropsSamplesOfTheWrongClass() {
        let real = GANTrainingTests.shapes16(count: 150, seed: 1)
        var settings = ClassifierTrainingSettings()
        settings.epochs = 15
        settings.batchSize = 16
        settings.learningRate = 3e-3
        settings.augmentation = .none
        let judge = ClassifierTrainer(model: Classifier(ClassifierTrainingTests.tinyConfiguration, seed: 4), settings: settings)
        judge.train(on: real)
        var swapped = real
        swapped.labels = real.labels.map { $0 == 0 ? 1 : ($0 == 1 ? 0 : $0) }
        let gan = GANTrainer(classes: real.classes, imageSize: 16, settings: GANTrainingTests.tinySettings())
        gan.train(on: swapped, steps: 300)
        let wrong = SyntheticDrawing.draw(
            label: 1, count: 20, gan: gan, realOfClass: swapped.rows(ofClass: 1), seed: 5,
            acceptance: AcceptanceJudge(classifier: judge, classes: real.classes, threshold: 0.5))
        let right = SyntheticDrawing.draw(
            label: 2, count: 20, gan: gan, realOfClass: swapped.rows(ofClass: 2), seed: 5,
            acceptance: AcceptanceJudge(classifier: judge, classes: real.classes, threshold: 0.5))
        #expect(
            right.accepted.count == 20 && right.acceptanceRate > 0.7, "disk samples: \(right.accepted.count) accepted, rate \(right.acceptanceRate)")
        #expect(right.accepted.allSatisfy { ($0.score ?? 0) >= 0.5 })
        #expect(wrong.acceptanceRate < 0.3, "samples of the wrong class passed: rate \(wrong.acceptanceRate)")
        #expect(wrong.belowThreshold > 20)
        let unfiltered = SyntheticDrawing.draw(label: 1, count: 20, gan: gan, realOfClass: swapped.rows(ofClass: 1), seed: 5)
        #expect(unfiltered.accepted.count == 20 && unfiltered.accepted.allSatisfy { $0.score == nil }, "without a judge nothing is scored or dropped")
        print("acceptance: right class \(right.acceptanceRate), wrong class \(wrong.acceptanceRate)")
    }
}

@Suite struct PairedComparisonTests {
    @Test func exactMcNemarMatchesHandComputedValues() {
        // b = 10, c = 2: 2 · (C(12,0) + C(12,1) + C(12,2)) / 2¹² = 2 · 79 / 4096.
        #expect(abs(PairedComparison.exactMcNemar(10, 2) - 158.0 / 4096) < 1e-12)
        #expect(abs(PairedComparison.exactMcNemar(0, 6) - 2.0 / 64) < 1e-12)
        #expect(PairedComparison.exactMcNemar(5, 5) == 1)
        #expect(PairedComparison.exactMcNemar(0, 0) == 1)
        // Large counts stay finite and symmetric: b = 300, c = 250; exact rational arithmetic
        // (Python: 2 · Σ_{i ≤ 250} comb(550, i) / 2^550 with fractions) gives 0.036578745549…
        let p = PairedComparison.exactMcNemar(300, 250)
        #expect(abs(p - PairedComparison.exactMcNemar(250, 300)) < 1e-15)
        #expect(abs(p - 0.036578745549102704) < 1e-9, "p = \(p)")
    }

    @Test func holmCorrection() {
        // Sorted p: 0.01 ≤ 0.05/4 ✓, 0.02 > 0.05/3 → stop: only the first is rejected (uncorrected, three would be).
        #expect(PairedComparison.holmRejections([0.04, 0.01, 0.02, 0.5]) == [false, true, false, false])
        #expect(PairedComparison.holmRejections([0.001, 0.01, 0.02]) == [true, true, true])
        #expect(PairedComparison.holmRejections([]) == [])
    }

    @Test func seedsArePooledPerImageByMajority() {
        // Image 0: first right in 2 of 3 seeds, second in 0 → discordant for the first.
        // Image 1: first 1 of 3, second 3 of 3 → discordant for the second. Image 2: both majority right.
        let first = [[true, false, true], [true, true, true], [false, false, true]]
        let second = [[false, true, true], [false, true, true], [false, true, true]]
        let test = PairedComparison(first: first, second: second)
        #expect(test.onlyFirst == 1 && test.onlySecond == 1 && test.images == 3)
        let one = PairedComparison(first: [[true, true, false, true]], second: [[false, true, true, false]])
        #expect(one.onlyFirst == 2 && one.onlySecond == 1)
        #expect(PairedComparison(onlyFirst: 30, onlySecond: 8, images: 500).secondWorse)
        #expect(PairedComparison(onlyFirst: 8, onlySecond: 30, images: 500).secondBetter)
    }
}

@Suite struct SyntheticQualityTests {
    /// cohortd's report and `cohort experiment` both call SyntheticQuality.fcd: it is the Fréchet distance
    /// between the fixed network's features of the real *validation* images and of the samples, per class.
    @Test func fcdUsesValidationFeaturesOfTheFixedNetwork() {
        let train = ClassifierTrainingTests.shapes(count: 60, seed: 1)
        let validation = ClassifierTrainingTests.shapes(count: 30, seed: 2)
        let synthetic = ClassifierTrainingTests.shapes(count: 30, seed: 3)
        var settings = ClassifierTrainingSettings()
        settings.epochs = 2
        settings.batchSize = 16
        let network = ClassifierTrainer(model: Classifier(ClassifierTrainingTests.tinyConfiguration, seed: 1), settings: settings)
        network.train(on: train)
        let fcd = SyntheticQuality.fcd(featureNetwork: network, realValidation: validation, synthetic: synthetic)
        for (c, name) in validation.classes.enumerated() {
            let real = validation.subset(validation.labels.indices.filter { validation.labels[$0] == c })
            let samples = synthetic.subset(synthetic.labels.indices.filter { synthetic.labels[$0] == c })
            let direct = FrechetDistance.between(network.features(real), network.features(samples))
            #expect(fcd[name] == direct, "\(name): \(fcd[name] ?? -1) vs \(direct)")
        }
        let same = SyntheticQuality.fcd(featureNetwork: network, realValidation: validation, synthetic: validation)
        #expect(same.values.allSatisfy { $0 < 1e-3 }, "identical sets have FCD ≈ 0: \(same)")
        // Feature diversity: the real set against itself is 1; one image repeated is 0 (mode collapse).
        let selfRatio = SyntheticQuality.featureDiversity(featureNetwork: network, realValidation: validation, synthetic: validation)
        #expect(selfRatio.count == 3 && selfRatio.values.allSatisfy { abs($0 - 1) < 1e-9 })
        var collapsed = LabeledImages(size: validation.size, classes: validation.classes)
        for c in 0..<3 {
            let first = validation.labels.firstIndex(of: c)!
            for _ in 0..<5 { collapsed.append(validation.pixels[(first * 576)..<((first + 1) * 576)], label: c, path: "synthetic") }
        }
        let repeated = SyntheticQuality.featureDiversity(featureNetwork: network, realValidation: validation, synthetic: collapsed)
        #expect(repeated.values.allSatisfy { $0 < 1e-3 }, "\(repeated)")
    }
}
