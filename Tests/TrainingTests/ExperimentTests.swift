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
        configuration.ganSteps = 400
        configuration.gan = GANTrainingTests.tinySettings()
        configuration.classifier.epochs = 15
        configuration.classifier.batchSize = 16
        configuration.classifier.learningRate = 3e-3
        configuration.classifier.augmentation = .none
        configuration.classifierConfiguration = ClassifierTrainingTests.tinyConfiguration
        configuration.scarce = ("disk", 0.5)
        let result = try Experiment.run(configuration)
        #expect(result.rows.map(\.training) == ["real", "synthetic", "real+synthetic"])
        #expect(result.trainCounts["disk"]! < result.trainCounts["vertical"]!, "scarce class was not reduced")
        #expect(result.evaluationCounts.values.reduce(0, +) > 10)
        let real = result.rows[0]
        #expect(real.accuracy > 0.8, "real-only accuracy \(real.accuracy)")
        #expect(result.rows[1].accuracy > 0.45, "synthetic-only accuracy \(result.rows[1].accuracy) is near chance")
        #expect(result.fcd.count == 3 && result.fcd.values.allSatisfy { $0 >= 0 })
        #expect(result.nearCopies.count == 3)
        #expect(["load", "gan", "generate", "classifier_real", "fcd"].allSatisfy { result.seconds[$0] != nil })
        let table = Experiment.markdown(result, command: "cohort experiment --data tiny")
        #expect(table.contains("| real+synthetic |") && table.contains("not comparable to Inception FID"))
        print(table)
    }
}
