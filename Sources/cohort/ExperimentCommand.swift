// `cohort experiment --data DIR [--test DIR] [--image-size 64|128] [--scarce CLASS=FRACTION] [--json OUT] [--markdown OUT]`.
import ArgumentParser
import Foundation
import Training

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train the cGAN, then the classifier on real, synthetic and real+synthetic data; evaluate on real images.",
        discussion: """
            DIR and --test are ImageFolder trees (<class>/*.png|jpg). Without --test, evaluation uses the \
            validation part of the deterministic, near-duplicate-aware split. Never tune against a test set.
            """)

    @Option(help: "Training ImageFolder tree.")
    var data: String

    @Option(help: "Held-out test ImageFolder tree (same class folders).")
    var test: String?

    @Option(help: "Image size for the GAN and the classifier (64 or 128).")
    var imageSize = 64

    @Option(help: "Keep only a fraction of one class's training images, e.g. viral=0.1.")
    var scarce: String?

    @Option(help: "Cap the real+synthetic top-up at this many synthetic images per real image of a class (default: up to the largest class).")
    var maxSyntheticPerReal: Double?

    @Flag(inversion: .prefixedNo, help: "Spectral normalization of the discriminator (Miyato et al. 2018; on by default, --no-spectral-norm for A/B runs).")
    var spectralNorm = true

    @Option(help: "GAN training steps.")
    var ganSteps = 3000

    @Option(help: "Classifier epochs (of the real training set; every variant gets the same number of steps).")
    var epochs = 10

    @Option(help: "Seed for everything.")
    var seed: UInt64 = 1

    @Option(help: "Write the result as JSON here.")
    var json: String?

    @Option(help: "Write the result as a Markdown table here.")
    var markdown: String?

    func validate() throws {
        guard imageSize == 64 || imageSize == 128 else { throw ValidationError("--image-size must be 64 or 128") }
        if let scarce {
            let parts = scarce.split(separator: "=")
            guard parts.count == 2, let f = Double(parts[1]), f > 0, f <= 1 else {
                throw ValidationError("--scarce takes CLASS=FRACTION with 0 < FRACTION ≤ 1, e.g. viral=0.1")
            }
        }
    }

    func run() throws {
        var configuration = ExperimentConfiguration(data: data)
        configuration.test = test
        configuration.imageSize = imageSize
        configuration.ganSteps = ganSteps
        configuration.maxSyntheticPerReal = maxSyntheticPerReal
        configuration.gan.spectralNormalization = spectralNorm
        configuration.classifier.epochs = epochs
        configuration.seed = seed
        if let scarce {
            let parts = scarce.split(separator: "=")
            configuration.scarce = (String(parts[0]), Double(parts[1])!)
        }
        let result = try Experiment.run(configuration) { line in
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
        let command = "cohort experiment " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
        let table = Experiment.markdown(result, command: command)
        print(table)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(result).write(to: URL(fileURLWithPath: json), options: .atomic)
        }
        if let markdown { try table.write(toFile: markdown, atomically: true, encoding: .utf8) }
    }
}
