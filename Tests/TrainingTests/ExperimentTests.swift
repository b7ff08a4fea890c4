// The whole experiment on tiny generated data: three rows, real images only in evaluation, FCD and
// near-copy counts per class, timings, and a Markdown table that says whether synthetic data helped.
import CohortTestSupport
import Foundation
import ImageIO
import Models
import Testing

@testable import Training

@Suite struct ExperimentTests {
    @Test func tinyExperimentEndToEnd() throws {
        let dir = try TemporaryDirectory()
        let data = GANTrainingTests.shapes16(count: 120, seed: 1)
        for i in 0..<data.count {
            let name = data.classes[data.labels[i]]
            try FileManager.default.createDirectory(atPath: dir.file("train/\(name)"), withIntermediateDirectories: true)
            let pixels = data.pixels[(i * 256)..<((i + 1) * 256)].map { UInt16(min(max(($0 + 1) * 127.5, 0), 255)) }
            try PNGEncoder.write(GrayImage(width: 16, height: 16, bitDepth: 8, samples: pixels), to: dir.file("train/\(name)/\(i).png"))
        }
        var configuration = ExperimentConfiguration(data: dir.file("train"))
        configuration.imageSize = 16
        configuration.ganSteps = 600
        configuration.gan = GANTrainingTests.tinySettings()
        configuration.classifier.epochs = 15
        configuration.classifier.batchSize = 16
        configuration.classifier.learningRate = 3e-3
        configuration.classifier.augmentation = .none
        configuration.classifierConfiguration = ClassifierTrainingTests.tinyConfiguration
        configuration.scarce = ("disk", 0.5)
        configuration.seeds = [1, 2]
        configuration.compareTopUp = true
        configuration.cache = ExperimentCache(directory: dir.file("cache"))
        let result = try Experiment.run(configuration)
        #expect(result.rows.map(\.training) == ["real", "synthetic", "real+synthetic (symmetric)", "real+synthetic (top-up)"])
        #expect(result.trainCounts["disk"]! < result.trainCounts["vertical"]!, "scarce class was not reduced")
        #expect(result.evaluationCounts.values.reduce(0, +) > 10)
        let real = result.rows[0]
        #expect(real.accuracy.values.count == 2 && real.accuracy.mean > 0.8, "real-only accuracy \(real.accuracy)")
        // The generator is class-conditional: a classifier trained on its samples alone beats chance (1/3)
        // on real images, and the real-only classifier recognises most samples as their class (the acceptance
        // rate over every drawn sample — more images than the 30 of the tiny validation split, so a firmer test).
        #expect(result.rows[1].accuracy.mean > 1.0 / 3, "synthetic-only accuracy \(result.rows[1].accuracy) is at chance")
        let acceptance = result.acceptance.values.reduce(0, +) / Double(result.acceptance.count)
        #expect(acceptance > 0.6, "the real-only classifier accepted only \(acceptance) of the samples: \(result.acceptance)")
        #expect(result.cas.count == 3)
        #expect(result.syntheticPerClass.values.allSatisfy { $0 > 0 }, "the symmetric policy gives every class samples: \(result.syntheticPerClass)")
        let symmetric = result.rows[2]
        #expect(symmetric.steps > real.steps, "synthetic draws add steps (real exposure constant)")
        #expect(symmetric.pairedTest?.images == result.evaluationCounts.values.reduce(0, +))
        #expect(symmetric.pairedTestByClass?.count == 3)
        // Confusions summed over the two seeds: every validation image counted once per seed, the diagonal
        // agreeing with the accuracy.
        let evaluated = result.evaluationCounts.values.reduce(0, +)
        let confusion = try #require(real.confusion)
        #expect(confusion.count == 3 && confusion.joined().reduce(0, +) == 2 * evaluated)
        let diagonal = (0..<3).reduce(0) { $0 + confusion[$1][$1] }
        #expect(abs(Double(diagonal) / Double(2 * evaluated) - real.accuracy.mean) < 1e-9)
        #expect(result.fcd.count == 3 && result.fcd.values.allSatisfy { $0 >= 0 })
        #expect(result.validationCurve.map(\.epoch) == (1...15).map(Double.init), "one validation point per epoch")
        #expect(result.nearCopies.count == 3 && result.acceptance.count == 3 && result.featureDiversity.count == 3)
        #expect(
            ["load", "gan", "classifier_real_s1", "classifier_real_s2", "classifier_synthetic_s1", "classifier_symmetric_s2", "fcd"]
                .allSatisfy { result.seconds[$0] != nil }, "\(result.seconds.keys.sorted())")
        let table = Experiment.markdown(result, command: "cohort experiment --data tiny")
        #expect(table.contains("| real+synthetic (symmetric) |") && table.contains("not Inception FID") && table.contains("exact McNemar"))
        #expect(table.contains("Errors on the validation images"))
        print(table)

        // A policy A/B on a warm cache retrains neither the GAN nor the real-only baselines, and gets them back exactly.
        // The synthetic-only classifier (CAS) does not depend on the mixing either; further shares are variants.
        configuration.compareTopUp = false
        configuration.mixing.syntheticShare = 1
        configuration.compareShares = [0.25, 1]
        configuration.compareWarmStart = true
        configuration.seeds = [1]
        let again = try Experiment.run(configuration)
        #expect(again.cachedPhases == ["gan", "classifier_real_s1", "classifier_synthetic_s1"])
        #expect(again.rows[0].accuracy.values == [real.accuracy.values[0]])
        #expect(again.rows[1].accuracy.values == result.rows[1].accuracy.values && again.cas == result.cas)
        #expect(
            again.rows.map(\.training) == [
                "real", "synthetic", "real+synthetic (symmetric)", "real+synthetic (symmetric, f = 0.25)", "synthetic → real (warm start)"
            ])
        #expect(again.rows[3].steps < again.rows[2].steps, "a smaller share adds fewer synthetic draws")
        #expect(again.seconds["classifier_symmetric-f0.25_s1"] != nil)
        // The warm start reuses the cached synthetic-only classifier as its starting point and then sees exactly
        // the real-only run's images and steps; it is tested against real-only like every mixed variant.
        let warmStart = again.rows[4]
        #expect(warmStart.steps == real.steps && warmStart.images == real.images && warmStart.pairedTest != nil)
        #expect(again.seconds["classifier_warm-start_s1"] != nil && again.seconds["classifier_synthetic_s1"] == nil)

        // Checkpoint selection: a GAN of its own (another cache entry), the first seed's real-only classifier
        // (from the cache) as the judge, one evaluation every 200 steps; the kept step is the one the
        // one-standard-error rule picks, and a warm run finds the same GAN and the same trace.
        configuration.compareShares = []
        configuration.ganSelectEvery = 200
        let selected = try Experiment.run(configuration)
        let points = try #require(selected.ganSelection)
        #expect(points.map(\.step) == [200, 400, 600] && points.allSatisfy { (0...1).contains($0.score) && $0.recall.count == 3 })
        var choice = GeneratorSelection.Choice()
        for point in points { _ = choice.offer(point) }
        #expect(selected.ganStep == choice.chosen?.step, "the checkpoint the one-standard-error rule keeps")
        #expect(points.allSatisfy { $0.standardError.map { (0..<0.5).contains($0) } ?? false })
        #expect(!selected.cachedPhases.contains("gan") && selected.cachedPhases.contains("classifier_real_s1"))
        #expect(Experiment.markdown(selected, command: "cohort experiment").contains("GAN checkpoint selection"))
        let warm = try Experiment.run(configuration)
        #expect(warm.cachedPhases.contains("gan") && warm.ganSelection == points && warm.ganStep == selected.ganStep)
    }

    @Test func errorsAreListedLargestFirst() {
        let confusion = [[50, 3, 0], [7, 40, 3], [0, 0, 9]]
        #expect(
            Experiment.errorsText(confusion, classes: ["a", "b", "c"]) == "b → a 7, a → b 3, b → c 3 (13 in all)")
        #expect(Experiment.errorsText([[4, 0], [0, 5]], classes: ["a", "b"]) == "none")
        #expect(Experiment.summedConfusion([[[1, 2], [3, 4]], [[10, 20], [30, 40]]]) == [[11, 22], [33, 44]])
    }
}
