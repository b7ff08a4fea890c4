// Checkpoint selection: the neighbour-CAS rule against hand-worked cases, the selection loop keeping
// (and exactly restoring) the best-scoring checkpoint, and one evaluation of a real tiny GAN end to end.
import CohortTestSupport
import Foundation
import Models
import Testing

@testable import Training

@Suite struct GeneratorSelectionTests {
    /// Two classes on a line: samples of class 0 at 0, 1, 2 and of class 1 at 10, 11. Real points at 0.5 and
    /// 9 (class 0) and 10.5 (class 1): with k = 1 the point at 9 is nearest to a class-1 sample, so class 0's
    /// recall is 1/2 and class 1's 1; with k = 3 the point at 9 sees 10, 11 (class 1) and 2 — still class 1.
    /// A class with no samples can never be predicted (recall 0); one with no real points is NaN.
    @Test func neighbourVotesByHand() {
        let samples: [[Float]] = [[0], [1], [2], [10], [11]]
        let sampleLabels = [0, 0, 0, 1, 1]
        let real: [[Float]] = [[0.5], [9], [10.5]]
        let realLabels = [0, 0, 1]
        let k1 = NeighbourCAS.recall(real: real, realLabels: realLabels, samples: samples, sampleLabels: sampleLabels, classes: 3, k: 1)
        #expect(k1[0] == 0.5 && k1[1] == 1 && k1[2].isNaN)
        let k3 = NeighbourCAS.recall(real: real, realLabels: realLabels, samples: samples, sampleLabels: sampleLabels, classes: 3, k: 3)
        #expect(k3[0] == 0.5 && k3[1] == 1)
        // A 1–1–1 tie among three classes goes to the nearest neighbour's class.
        let tie = NeighbourCAS.recall(
            real: [[0]], realLabels: [2], samples: [[3], [1], [2]], sampleLabels: [0, 2, 1], classes: 3, k: 3)
        #expect(tie[2] == 1)
        // No samples of class 1: its real points are never right.
        let missing = NeighbourCAS.recall(real: [[10]], realLabels: [1], samples: [[0]], sampleLabels: [0], classes: 2, k: 5)
        #expect(missing[1] == 0 && missing[0].isNaN)
    }

    /// The one-standard-error rule on the trace of the first real run (scarce viral chest X-rays, transitional
    /// conditioning; docs/results.md): 81.0 ± 1.2% at step 1000 is the top, and the last checkpoint (79.9%) is
    /// within one standard error of it, so it is kept; a checkpoint 2 points under the top is not.
    @Test func keepsTheLatestWithinOneStandardErrorOfTheTop() {
        func point(_ step: Int, _ score: Double, _ se: Double) -> GeneratorSelection.Point {
            GeneratorSelection.Point(step: step, recall: [:], score: score, standardError: se)
        }
        var choice = GeneratorSelection.Choice()
        let offered = [point(500, 0.457, 0.015), point(1000, 0.810, 0.012), point(1500, 0.808, 0.012), point(2000, 0.797, 0.012)]
            .map { choice.offer($0) }
        #expect(offered == [true, true, true, false] && choice.chosen?.step == 1500 && choice.best?.step == 1000)
        #expect(choice.offer(point(3000, 0.799, 0.012)) && choice.chosen?.step == 3000, "79.9 ≥ 81.0 − 1.2")
        #expect(!choice.offer(point(3500, 0.789, 0.012)) && choice.chosen?.step == 3000)
        #expect(choice.offer(point(4000, 0.84, 0.01)) && choice.best?.step == 4000, "a new top is always kept")
        let logged = GeneratorSelection.Point(step: 1000, recall: ["viral": 0.7239, "bacterial": 0.819], score: 0.7714)
        #expect(logged.summary == "77.1% (bacterial 81.9%, viral 72.4%)")
    }

    /// Scores 0.2, 0.9, 0.5 at steps 2, 4, 6 (no standard error: the strict maximum): the trainer returned is at step 4 with exactly the weights of
    /// a run stopped there; when the last evaluation is best, the live trainer comes back and no snapshot is read.
    @Test func keepsTheBestCheckpointExactly() throws {
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        let settings = GANTrainingTests.tinySettings()
        let scores: [Int: Double] = [2: 0.2, 4: 0.9, 6: 0.5]
        func judge(_ gan: GANTrainer) -> GeneratorSelection.Point {
            GeneratorSelection.Point(step: gan.iteration, recall: ["disk": scores[gan.iteration]!], score: scores[gan.iteration]!)
        }
        let live = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        let chosen = try GeneratorSelection.trainSelecting(
            live, steps: 6, every: 2, snapshotPath: dir.file("best.safetensors"), train: { $0.train(on: real, steps: $1) }, evaluate: judge)
        #expect(chosen.points.map(\.step) == [2, 4, 6] && chosen.kept.step == 4)
        #expect(chosen.trainer !== live && chosen.trainer.iteration == 4 && live.iteration == 6)
        let reference = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        reference.train(on: real, steps: 4)
        #expect(chosen.trainer.generator.store.values.array == reference.generator.store.values.array, "the kept checkpoint is step 4's")
        #expect(chosen.trainer.ema.values.array == reference.ema.values.array, "with its moving average")

        let rising: [Int: Double] = [3: 0.1, 5: 0.4]
        let last = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        let kept = try GeneratorSelection.trainSelecting(
            last, steps: 5, every: 3, snapshotPath: dir.file("rising.safetensors"), train: { $0.train(on: real, steps: $1) },
            evaluate: { GeneratorSelection.Point(step: $0.iteration, recall: [:], score: rising[$0.iteration]!) })
        #expect(kept.trainer === last && kept.points.map(\.step) == [3, 5], "a chunk shorter than `every` ends the run")
    }

    /// One real evaluation: samples from a briefly trained tiny GAN, features from a tiny classifier; every
    /// class gets a recall in [0, 1], the score is their mean, the same checkpoint scores the same, and
    /// evaluating does not change what training does next (selection leaves the run it watches exact).
    @Test func evaluatesATinyGANDeterministically() {
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        let validation = ClassifierTrainingTests.shapes(count: 12, seed: 2, size: 16)
        let gan = GANTrainer(classes: real.classes, imageSize: 16, settings: GANTrainingTests.tinySettings())
        gan.train(on: real, steps: 4)
        let network = ClassifierTrainer(model: Classifier(ClassifierTrainingTests.tinyConfiguration, seed: 3), settings: ClassifierTrainingSettings())
        let selection = GeneratorSelection(featureNetwork: network, realValidation: validation, realTrain: real, samplesPerClass: 16, k: 3)
        let first = selection.evaluate(gan), second = selection.evaluate(gan)
        #expect(first == second)
        #expect(Set(first.recall.keys) == Set(real.classes) && first.recall.values.allSatisfy { (0...1).contains($0) })
        #expect(abs(first.score - first.recall.values.reduce(0, +) / 3) < 1e-12 && first.step == 4)
        let counts = validation.classCounts
        let variance = validation.classes.indices.reduce(0.0) { sum, c in
            let r = first.recall[validation.classes[c]]!
            return sum + r * (1 - r) / Double(counts[c])
        }
        #expect(abs(first.standardError! - variance.squareRoot() / 3) < 1e-12, "the binomial standard error of the mean recall")
        gan.train(on: real, steps: 2)
        let unwatched = GANTrainer(classes: real.classes, imageSize: 16, settings: GANTrainingTests.tinySettings())
        unwatched.train(on: real, steps: 6)
        #expect(gan.generator.store.values.array == unwatched.generator.store.values.array)
        #expect(gan.discriminator.store.values.array == unwatched.discriminator.store.values.array)
        #expect(gan.ema.values.array == unwatched.ema.values.array)
    }
}
