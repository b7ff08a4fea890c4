// A tiny classifier learns generated "scans" whose classes differ by a drawn shape: the loss falls
// below a bound and held-out accuracy is far above chance. Tiny model, tiny data: seconds, not minutes.
import CohortTestSupport
import Curation
import Foundation
import ImageIO
import Models
import Tensor
import Testing

@testable import Training

@Suite struct ClassifierTrainingTests {
    /// 24×24 images in [-1, 1]: class 0 a disk, class 1 a square, class 2 a horizontal bar, each at a
    /// random position and size with noise.
    static func shapes(count: Int, seed: UInt64, size s: Int = 24) -> LabeledImages {
        var rng = RandomGenerator(seed: seed)
        let k = Float(s) / 24
        var data = LabeledImages(size: s, classes: ["disk", "square", "bar"])
        for i in 0..<count {
            let label = i % 3
            let (cx, cy) = (rng.uniform(8, 16) * k, rng.uniform(8, 16) * k)
            let r = rng.uniform(4, 6.5) * k
            var image = [Float](repeating: -0.8, count: s * s)
            for y in 0..<s {
                for x in 0..<s {
                    let (dx, dy) = (Float(x) - cx, Float(y) - cy)
                    let inside: Bool
                    switch label {
                    case 0: inside = dx * dx + dy * dy <= r * r
                    case 1: inside = abs(dx) <= r * 0.8 && abs(dy) <= r * 0.8
                    default: inside = abs(dx) <= r * 1.3 && abs(dy) <= r * 0.3
                    }
                    image[y * s + x] = (inside ? 0.7 : -0.8) + rng.normal(mean: 0, std: 0.1)
                }
            }
            data.append(image[...], label: label, path: "shape-\(i)")
        }
        return data
    }

    static let tinyConfiguration = Classifier.Configuration(
        classes: 3, stemChannels: 8,
        stages: [
            .init(fused: true, expansion: 1, channels: 8, stride: 1, blocks: 1),
            .init(fused: true, expansion: 2, channels: 16, stride: 2, blocks: 1),
            .init(fused: false, expansion: 2, channels: 24, stride: 2, blocks: 1)
        ],
        headChannels: 32, dropout: 0.1)

    @Test func lossFallsAndShapesAreSeparated() {
        let train = Self.shapes(count: 96, seed: 1)
        let test = Self.shapes(count: 60, seed: 2)
        var settings = ClassifierTrainingSettings()
        settings.epochs = 25
        settings.batchSize = 16
        settings.learningRate = 3e-3
        settings.augmentation.rotationDegrees = 5
        let trainer = ClassifierTrainer(model: Classifier(Self.tinyConfiguration, seed: 7), settings: settings)
        let trace = trainer.train(on: train)
        let early = trace.losses.prefix(6).reduce(0, +) / 6
        let late = trace.losses.suffix(6).reduce(0, +) / 6
        let metrics = trainer.evaluate(test)
        print("shapes: loss \(early) → \(late), held-out accuracy \(metrics.accuracy), macro-F1 \(metrics.macroF1)")
        // Chance is 1/3 and the loss of a uniform guess is ln 3 ≈ 1.10 (label smoothing puts the floor near 0.2).
        #expect(late < 0.6, "training loss stayed at \(late)")
        #expect(metrics.accuracy > 0.8, "held-out accuracy \(metrics.accuracy)")
    }

    @Test func augmentationKeepsRangeAndIsIdentityWhenOff() {
        var rng = RandomGenerator(seed: 3)
        let batch = Tensor(shape: [2, 16, 16, 1])
        for i in 0..<batch.count { batch[i] = rng.uniform(-1, 1) }
        let before = batch.array
        RadiographAugmentation.none.apply(to: batch, rng: &rng)
        #expect(zip(batch.array, before).allSatisfy { abs($0 - $1) < 1e-5 })
        RadiographAugmentation().apply(to: batch, rng: &rng)
        #expect(batch.array.allSatisfy { (-1...1).contains($0) })
        #expect(batch.array != before)
    }

    @Test func loaderDropsExactDuplicatesAndSplitsByGroup() throws {
        let dir = try TemporaryDirectory()
        for (i, cls) in [(0, "a"), (1, "a"), (2, "b"), (3, "b"), (4, "b")] {
            try FileManager.default.createDirectory(atPath: "\(dir.path)/\(cls)", withIntermediateDirectories: true)
            try ImageIO.PNGEncoder.write(BlobScans.scan(seed: i), to: "\(dir.path)/\(cls)/\(i).png")
        }
        try ImageIO.PNGEncoder.write(BlobScans.scan(seed: 0), to: "\(dir.path)/a/0-copy.png")
        try ImageIO.PNGEncoder.write(BlobScans.scan(seed: 2, mirrored: true), to: "\(dir.path)/b/2-mirror.png")
        let folder = try ImageFolder(root: dir.path)
        let (train, validation, summary) = DatasetLoader.load(folder, size: 32, validationFraction: 0.5)
        #expect(summary.files == 7 && summary.exactDuplicatesDropped == 1 && summary.nearDuplicateGroups >= 2)
        #expect(train.count + validation.count == 6)
        // The mirrored copy is on the same side as its original.
        let trainPaths = Set(train.paths)
        #expect(trainPaths.contains("\(dir.path)/b/2.png") == trainPaths.contains("\(dir.path)/b/2-mirror.png"))
    }
}
