// A short GAN run on generated shapes learns class-conditional samples that a classifier trained on
// real images separates well above chance; checkpoints resume exactly and grow with new classes; the
// generate command marks its output as synthetic.
import CohortTestSupport
import ContentHash
import Foundation
import ImageIO
import Models
import NN
import Tensor
import Testing

@testable import Training

@Suite(.serialized) struct GANTrainingTests {
    static func tinySettings() -> GANTrainingSettings {
        var s = GANTrainingSettings()
        s.batchSize = 24
        s.learningRate = 1e-3
        s.emaDecay = 0.99  // lags the live weights by ~100 steps: sampling must re-estimate batch-norm statistics
        s.generatorChannels = 32
        s.discriminatorChannels = 8
        s.latentDimension = 16
        s.embeddingDimension = 8
        s.seed = 5
        return s
    }

    /// 16×16 images in [-1, 1] whose classes differ by a drawn shape that stays distinct at this size:
    /// a vertical bar, a horizontal bar, a large disk — each at a random position, with noise.
    static func shapes16(count: Int, seed: UInt64) -> LabeledImages {
        var rng = RandomGenerator(seed: seed)
        var data = LabeledImages(size: 16, classes: ["vertical", "horizontal", "disk"])
        for i in 0..<count {
            let label = i % 3
            let (cx, cy) = (rng.uniform(5, 11), rng.uniform(5, 11))
            var image = [Float](repeating: -0.8, count: 256)
            for y in 0..<16 {
                for x in 0..<16 {
                    let (dx, dy) = (abs(Float(x) - cx), abs(Float(y) - cy))
                    let inside = label == 0 ? dx <= 1.5 && dy <= 6 : label == 1 ? dy <= 1.5 && dx <= 6 : dx * dx + dy * dy <= 16
                    image[y * 16 + x] = (inside ? 0.8 : -0.8) + rng.normal(mean: 0, std: 0.1)
                }
            }
            data.append(image[...], label: label, path: "shape-\(i)")
        }
        return data
    }

    @Test func samplesAreClassConditional() {
        let real = Self.shapes16(count: 150, seed: 1)
        let gan = GANTrainer(classes: real.classes, imageSize: 16, settings: Self.tinySettings())
        var losses: [GANTrainingStep.Losses] = []
        gan.train(on: real, steps: 300, progress: { _, l in losses.append(l) })
        var settings = ClassifierTrainingSettings()
        settings.epochs = 20
        settings.batchSize = 16
        settings.learningRate = 3e-3
        settings.augmentation = .none
        var configuration = ClassifierTrainingTests.tinyConfiguration
        configuration.dropout = 0
        let judge = ClassifierTrainer(model: Classifier(configuration, seed: 3), settings: settings)
        judge.train(on: real)
        let realAccuracy = judge.evaluate(Self.shapes16(count: 60, seed: 2)).accuracy
        var synthetic = LabeledImages(size: 16, classes: real.classes)
        for label in 0..<3 {
            let images = gan.sample(label: label, count: 30, seed: UInt64(10 + label))
            for i in 0..<30 { synthetic.append(images.array[(i * 256)..<((i + 1) * 256)], label: label, path: "syn") }
        }
        let syntheticAccuracy = judge.evaluate(synthetic).accuracy
        print(
            "GAN shapes: D loss \(losses.first!.discriminator) → \(losses.suffix(20).map(\.discriminator).reduce(0, +) / 20); "
                + "judge accuracy on real \(realAccuracy), on synthetic \(syntheticAccuracy)")
        #expect(realAccuracy > 0.85, "the judge itself failed: \(realAccuracy)")
        #expect(syntheticAccuracy > 0.6, "synthetic samples are not class-conditional: accuracy \(syntheticAccuracy) (chance 0.33)")
    }

    /// The 128×128 variant: one more up-block in the generator and one more down-block in the
    /// discriminator than at 64; it trains, checkpoints with its size, and samples at 128.
    @Test func the128PixelVariantTrainsAndSamples() throws {
        var settings = Self.tinySettings()
        settings.batchSize = 4
        let at64 = GANTrainer(classes: ["a", "b"], imageSize: 64, settings: settings)
        let at128 = GANTrainer(classes: ["a", "b"], imageSize: 128, settings: settings)
        #expect(at128.generator.configuration.upBlocks == at64.generator.configuration.upBlocks + 1)
        #expect(at128.discriminator.store.entries.count > at64.discriminator.store.entries.count, "one more down-block")
        let real = ClassifierTrainingTests.shapes(count: 8, seed: 3, size: 128)
        let trainer = GANTrainer(classes: real.classes, imageSize: 128, settings: settings)
        let before = trainer.generator.store.values.array
        #expect(trainer.train(on: real, steps: 2) == 2)
        #expect(trainer.generator.store.values.array != before, "the generator learnt something")
        let dir = try TemporaryDirectory()
        try GANCheckpoint.save(trainer, to: dir.file("gan128.safetensors"))
        let resumed = try GANCheckpoint.resume(from: dir.file("gan128.safetensors"))
        #expect(resumed.generator.configuration.imageSize == 128)
        let sample = resumed.sample(label: 0, count: 2, seed: 1)
        #expect(sample.shape == [2, 128, 128, 1])
        #expect((0..<sample.count).allSatisfy { sample[$0].isFinite && abs(sample[$0]) <= 1 })
    }

    /// Standing statistics are computed once per iteration and never depend on what was sampled before:
    /// a trainer that sampled other classes and seeds first gives the same images as a fresh twin, and after
    /// one more training step it re-estimates them (it matches a twin trained as far, not its own stale state).
    @Test func standingStatisticsAreCachedPerIteration() {
        let real = ClassifierTrainingTests.shapes(count: 12, seed: 2, size: 16)
        func trained(_ steps: Int) -> GANTrainer {
            let gan = GANTrainer(classes: real.classes, imageSize: 16, settings: Self.tinySettings())
            gan.train(on: real, steps: steps)
            return gan
        }
        let busy = trained(3)
        _ = busy.sample(label: 0, count: 5, seed: 11)
        _ = busy.sample(label: 2, count: 64, seed: 12)
        #expect(busy.sample(label: 1, count: 4, seed: 13).array == trained(3).sample(label: 1, count: 4, seed: 13).array)
        #expect(busy.standingStatisticsComputations == 1, "three draws at one iteration, one estimate")
        busy.train(on: real, steps: 1)
        #expect(busy.sample(label: 1, count: 4, seed: 13).array == trained(4).sample(label: 1, count: 4, seed: 13).array)
        #expect(busy.standingStatisticsComputations == 2)
    }

    @Test func checkpointResumesExactlyAndGrowsClasses() throws {
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        let path = dir.file("gan.safetensors")
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: Self.tinySettings())
        first.train(on: real, steps: 3)
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 2)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.iteration == 3)
        resumed.train(on: real, steps: 2)
        let same = resumed.generator.store.values.array == first.generator.store.values.array
        #expect(same, "resumed run diverged from the uninterrupted one")
        #expect(resumed.ema.values.array == first.ema.values.array, "EMA weights diverged")
        #expect(resumed.discriminator.store.values.array == first.discriminator.store.values.array, "discriminator diverged")

        let grown = try GANCheckpoint.resume(from: path, classes: real.classes + ["ring"])
        #expect(grown.classes.count == 4 && grown.generator.store.entry(named: "embed.weight")?.shape == [4, 8])
        let before = try SafeTensorsFile.read(path)["generator.embed.weight"]!.floats
        let kept = Array(grown.generator.store.values(named: "embed.weight")!.prefix(24)) == before
        #expect(kept, "learnt embedding rows were not kept")
        #expect(throws: SafeTensorsError.self) { try GANCheckpoint.resume(from: path, classes: ["square", "disk", "bar"]) }
    }

    /// Class-conditional batch norm: trains, resumes exactly, and a class added later gets identity rows
    /// (γ = 1, β = 0) in every conditional layer, live and EMA, with the learnt rows kept.
    @Test func conditionalBatchNormResumesExactlyAndGrowsClasses() throws {
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        var settings = Self.tinySettings()
        settings.conditionalBatchNorm = true
        let path = dir.file("gan.safetensors")
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        first.train(on: real, steps: 3)
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 2)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.generator.configuration.conditionalNorm)
        resumed.train(on: real, steps: 2)
        #expect(resumed.generator.store.values.array == first.generator.store.values.array, "resumed run diverged")
        #expect(resumed.ema.values.array == first.ema.values.array, "EMA weights diverged")

        let grown = try GANCheckpoint.resume(from: path, classes: real.classes + ["ring"])
        let saved = try SafeTensorsFile.read(path)
        for entry in grown.generator.store.entries where entry.name.hasSuffix(".gamma.weight") || entry.name.hasSuffix(".beta.weight") {
            let channels = entry.shape[1]
            #expect(entry.shape[0] == 4)
            let values = grown.generator.store.values(named: entry.name)!
            let ema = Array(UnsafeBufferPointer(start: grown.ema.values.data + entry.offset, count: entry.count))
            let identity: Float = entry.name.hasSuffix(".gamma.weight") ? 1 : 0
            #expect(values[(3 * channels)...].allSatisfy { $0 == identity } && ema[(3 * channels)...].allSatisfy { $0 == identity }, "\(entry.name)")
            #expect(Array(values.prefix(3 * channels)) == saved["generator.\(entry.name)"]!.floats, "\(entry.name): learnt rows kept")
        }
        grown.train(on: real, steps: 1)
        let sample = grown.sample(label: 3, count: 2, seed: 1)
        #expect((0..<sample.count).allSatisfy { sample[$0].isFinite })
    }

    @Test func spectralNormalizationTrainsAndResumesExactly() throws {
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        var settings = Self.tinySettings()
        settings.spectralNormalization = true
        let path = dir.file("gan.safetensors")
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        let rawBefore = first.discriminator.store.values.array
        first.train(
            on: real, steps: 3,
            progress: { _, losses in
                #expect(losses.discriminator.isFinite && losses.generator.isFinite)
            })
        #expect(first.step.spectralNorm?.sigmas.allSatisfy { $0 > 0 && $0.isFinite } == true)
        #expect(first.discriminator.store.values.array != rawBefore, "D learns")
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 2)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.settings.spectralNormalization == true && resumed.step.spectralNorm != nil)
        resumed.train(on: real, steps: 2)
        #expect(resumed.discriminator.store.values.array == first.discriminator.store.values.array, "resumed SN run diverged")
        #expect(resumed.generator.store.values.array == first.generator.store.values.array)

        // Settings saved before the option existed decode without it: such GANs resume without SN.
        var legacy = try JSONSerialization.jsonObject(with: JSONEncoder().encode(settings)) as! [String: Any]
        legacy.removeValue(forKey: "spectralNormalization")
        let decoded = try JSONDecoder().decode(GANTrainingSettings.self, from: JSONSerialization.data(withJSONObject: legacy))
        #expect(decoded.spectralNormalization == nil)
        #expect(GANTrainer(classes: ["a", "b"], imageSize: 16, settings: decoded).step.spectralNorm == nil)
    }

    @Test func generateCommandMarksSamples() throws {
        let cohort = try #require(BuiltExecutable.path("cohort"))
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        let gan = GANTrainer(classes: real.classes, imageSize: 16, settings: Self.tinySettings())
        gan.train(on: real, steps: 2)
        try GANCheckpoint.save(gan, to: dir.file("gan.safetensors"))
        let result = try BuiltExecutable.run(
            cohort,
            [
                "generate", "--checkpoint", dir.file("gan.safetensors"), "--class", "square",
                "--count", "5", "--out", dir.file("out"), "--seed", "42"
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.file("out")).sorted()
        #expect(files.count == 5)
        let decoded = try ImageDecoder().decode(path: dir.file("out/\(files[0])"))
        #expect(decoded.image.width == 16 && decoded.image.bitDepth == 8)
        #expect(decoded.textValue("synthetic") == "true" && decoded.textValue("class") == "square" && decoded.textValue("seed") == "42")
        #expect(decoded.textValue("checkpoint_sha256") == (try SHA256Hasher.hex(ofFile: dir.file("gan.safetensors"))))
        #expect(decoded.textValue("time") != nil)
        let refused = try BuiltExecutable.run(
            cohort,
            [
                "generate", "--checkpoint", dir.file("gan.safetensors"), "--class", "ring",
                "--count", "1", "--out", dir.file("out2")
            ])
        #expect(refused.status != 0 && refused.stderr.contains("not in the checkpoint"))
    }
}

/// The GAN options of issue 13 besides conditional batch norm: LeCam regularization, the two time-scale
/// rule and β1, and √n class sampling.
@Suite struct GANOptionTests {
    /// The penalty's gradient against central differences, and the anchors' moving average.
    @Test func leCamGradientMatchesFiniteDifferences() {
        var lecam = LeCamRegularizer(weight: 0.3)
        lecam.anchorReal = 0.4
        lecam.anchorFake = -0.2
        let real: [Float] = [0.9, -0.5, 0.1], fake: [Float] = [-0.8, 0.7, 0.2, 0.5]
        var dReal = [Float](repeating: 0, count: 3), dFake = [Float](repeating: 0, count: 4)
        _ = lecam.addPenalty(real: real, realCount: 3, fake: fake, fakeCount: 4, dReal: &dReal, dFake: &dFake)
        func penalty(_ r: [Float], _ f: [Float]) -> Double {
            var a = [Float](repeating: 0, count: 3), b = [Float](repeating: 0, count: 4)
            return Double(lecam.addPenalty(real: r, realCount: 3, fake: f, fakeCount: 4, dReal: &a, dFake: &b))
        }
        let h: Float = 1e-3
        for i in 0..<3 {
            var (up, down) = (real, real)
            up[i] += h; down[i] -= h
            #expect(abs((penalty(up, fake) - penalty(down, fake)) / Double(2 * h) - Double(dReal[i])) < 1e-3, "real \(i)")
        }
        for j in 0..<4 {
            var (up, down) = (fake, fake)
            up[j] += h; down[j] -= h
            #expect(abs((penalty(real, up) - penalty(real, down)) / Double(2 * h) - Double(dFake[j])) < 1e-3, "fake \(j)")
        }
        #expect(dReal[1] == 0 && dFake[1] == 0, "only outputs past the other side's anchor are pulled")
        lecam.updateAnchors(real: real, realCount: 3, fake: fake, fakeCount: 4)
        #expect(abs(lecam.anchorReal - (0.99 * 0.4 + 0.01 * 0.5 / 3)) < 1e-7 && abs(lecam.anchorFake - (0.99 * -0.2 + 0.01 * 0.15)) < 1e-7)
        // Bias correction: from zero, one batch makes the anchors that batch's means.
        var fresh = LeCamRegularizer(weight: 0.3)
        fresh.updateAnchors(real: real, realCount: 3, fake: fake, fakeCount: 4)
        #expect(abs(fresh.correctedAnchors.real - 0.5 / 3) < 1e-5 && abs(fresh.correctedAnchors.fake - 0.15) < 1e-5)
    }

    @Test func optionsTrainAndResumeExactly() throws {
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        var settings = GANTrainingTests.tinySettings()
        settings.lecamWeight = 0.01
        settings.discriminatorLearningRate = 4e-3
        settings.beta1 = 0
        settings.classSampling = .squareRoot
        let path = dir.file("gan.safetensors")
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        #expect(first.step.discriminatorOptimizer.learningRate == 4e-3 && first.step.generatorOptimizer.learningRate == 1e-3)
        first.train(on: real, steps: 3)
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 2)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.step.lecam != nil && resumed.step.lecam?.anchorReal != 0, "the anchors come back from the checkpoint")
        resumed.train(on: real, steps: 2)
        #expect(resumed.generator.store.values.array == first.generator.store.values.array, "resumed run diverged")
        #expect(resumed.discriminator.store.values.array == first.discriminator.store.values.array)
        #expect(resumed.step.lecam == first.step.lecam, "LeCam anchors continue exactly")
    }

    /// The ramp's λ: 0 before start, linear to 1 at end, 1 after; a trainer sets it in both networks at every
    /// step and after a resume, which continues exactly; the cache key mentions the ramp only when it is set.
    @Test func transitionalConditioningRampsAndResumesExactly() throws {
        let ramp = ConditioningRamp(start: 2, end: 6)
        #expect([0, 1, 2, 3, 4, 5, 6, 9].map { ramp.weight(at: $0) } == [0, 0, 0, 0.25, 0.5, 0.75, 1, 1])
        #expect(ConditioningRamp(start: 4, end: 4).weight(at: 3) == 0 && ConditioningRamp(start: 4, end: 4).weight(at: 4) == 1)

        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        var settings = GANTrainingTests.tinySettings()
        settings.transitionalConditioning = ramp
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        #expect(first.generator.conditioningWeight == 0 && first.discriminator.conditioningWeight == 0, "unconditional at the start")
        var seen: [Float] = []
        first.train(on: real, steps: 4, progress: { _, _ in seen.append(first.discriminator.conditioningWeight) })
        #expect(seen == [0, 0, 0.25, 0.5], "λ after each step is the next step's")
        let path = dir.file("gan.safetensors")
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 3)
        #expect(first.generator.conditioningWeight == 1 && first.discriminator.conditioningWeight == 1)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.settings.transitionalConditioning == ramp && resumed.generator.conditioningWeight == 0.5)
        resumed.train(on: real, steps: 3)
        #expect(resumed.generator.store.values.array == first.generator.store.values.array, "resumed run diverged")
        #expect(resumed.discriminator.store.values.array == first.discriminator.store.values.array)

        #expect(!Experiment.ganKey(GANTrainingSettings()).contains("transitionalConditioning"), "old cache entries stay valid")
        #expect(Experiment.ganKey(settings).contains("transitionalConditioning: Optional(2-6)"))
        #expect(Experiment.ganOptions(settings) == ", transitional conditioning from step 2 to 6")
    }

    /// A discriminator without batch norm: the setting builds it, a checkpoint brings it back and the run
    /// continues exactly; old settings (nil) keep batch norm, and the cache key names the option only when set.
    @Test func discriminatorWithoutBatchNormResumesExactly() throws {
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        var settings = GANTrainingTests.tinySettings()
        settings.discriminatorBatchNorm = false
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        #expect(!first.discriminator.configuration.batchNorm && first.discriminator.store.bufferCount == 0)
        #expect(GANTrainer(classes: real.classes, imageSize: 16, settings: GANTrainingTests.tinySettings()).discriminator.configuration.batchNorm)
        first.train(on: real, steps: 2)
        let path = dir.file("gan.safetensors")
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 2)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.settings.discriminatorBatchNorm == false && !resumed.discriminator.configuration.batchNorm)
        resumed.train(on: real, steps: 2)
        #expect(resumed.generator.store.values.array == first.generator.store.values.array, "resumed run diverged")
        #expect(resumed.discriminator.store.values.array == first.discriminator.store.values.array)
        #expect(!Experiment.ganKey(GANTrainingSettings()).contains("discriminatorBatchNorm"), "old cache entries stay valid")
        #expect(Experiment.ganKey(settings).contains("discriminatorBatchNorm: Optional(false)"))
        #expect(Experiment.ganOptions(settings) == ", no batch norm in D")
    }

    /// Mode seeking: the fake batch's halves share their labels, the term enters G's loss (and only G's
    /// update), and a checkpoint resumes exactly; the cache key names the option only when set.
    @Test func modeSeekingPairsLabelsAndResumesExactly() throws {
        var draws = [2, 0, 1, 1, 0, 2].makeIterator()
        #expect(GANTrainer.pairedHalves(6) { draws.next()! } == [2, 0, 1, 2, 0, 1])
        let dir = try TemporaryDirectory()
        let real = ClassifierTrainingTests.shapes(count: 30, seed: 1, size: 16)
        var settings = GANTrainingTests.tinySettings()
        settings.modeSeekingWeight = 1
        let first = GANTrainer(classes: real.classes, imageSize: 16, settings: settings)
        let plain = GANTrainer(classes: real.classes, imageSize: 16, settings: GANTrainingTests.tinySettings())
        #expect(first.step.modeSeekingWeight == 1 && plain.step.modeSeekingWeight == 0)
        var withTerm: [Float] = [], without: [Float] = []
        first.train(on: real, steps: 2, progress: { withTerm.append($1.generator) })
        plain.train(on: real, steps: 2, progress: { without.append($1.generator) })
        #expect(withTerm.allSatisfy { $0.isFinite } && withTerm != without, "the term is part of G's loss")
        let path = dir.file("gan.safetensors")
        try GANCheckpoint.save(first, to: path)
        first.train(on: real, steps: 2)
        let resumed = try GANCheckpoint.resume(from: path)
        #expect(resumed.settings.modeSeekingWeight == 1 && resumed.step.modeSeekingWeight == 1)
        resumed.train(on: real, steps: 2)
        #expect(resumed.generator.store.values.array == first.generator.store.values.array, "resumed run diverged")
        #expect(resumed.discriminator.store.values.array == first.discriminator.store.values.array)
        #expect(!Experiment.ganKey(GANTrainingSettings()).contains("modeSeekingWeight"), "old cache entries stay valid")
        #expect(Experiment.ganKey(settings).contains("modeSeekingWeight: Optional(1.0)"))
        #expect(Experiment.ganOptions(settings) == ", mode seeking 1.0")
    }

    /// Classes drawn ∝ √n: 100, 25 and 0 images → 2 : 1 : never (uniform: 1 : 1).
    @Test func squareRootClassSampling() {
        var rng = RandomGenerator(seed: 9)
        let draw = ClassDraw(counts: [100, 25, 0], sampling: .squareRoot)
        var counts = [0, 0, 0]
        for _ in 0..<30_000 { counts[draw.draw(&rng)] += 1 }
        #expect(counts[2] == 0)
        #expect(abs(Double(counts[0]) / Double(counts[1]) - 2) < 0.08, "\(counts)")
        let uniform = ClassDraw(counts: [100, 25, 0], sampling: .uniform)
        var flat = [0, 0, 0]
        for _ in 0..<30_000 { flat[uniform.draw(&rng)] += 1 }
        #expect(flat[2] == 0 && abs(Double(flat[0]) / Double(flat[1]) - 1) < 0.05, "\(flat)")
    }
}
