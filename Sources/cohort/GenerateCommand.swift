// `cohort generate --checkpoint C --class NAME --count N --out DIR [--seed S]`.
import ArgumentParser
import ContentHash
import Foundation
import Training

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic samples of one class from a GAN checkpoint (EMA generator), marked as synthetic.")

    @Option(help: "GAN checkpoint (.safetensors) written by Cohort.")
    var checkpoint: String

    @Option(name: .customLong("class"), help: "Class name, as in the checkpoint.")
    var className: String

    @Option(help: "Number of samples.")
    var count: Int

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Seed; the same seed and checkpoint give the same images.")
    var seed: UInt64 = 1

    func run() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        let trainer = try GANCheckpoint.resume(from: checkpoint)
        guard let label = trainer.classes.firstIndex(of: className) else {
            throw ValidationError("class \(className) is not in the checkpoint (classes: \(trainer.classes.joined(separator: ", ")))")
        }
        let hash = try SHA256Hasher.hex(ofFile: checkpoint)
        var written: [String] = []
        var index = 0
        while index < count {
            let batch = min(64, count - index)
            let images = trainer.sample(label: label, count: batch, seed: seed &+ UInt64(index))
            written += try SyntheticSamples.write(images, className: className, seed: seed &+ UInt64(index), checkpointSHA256: hash, to: out)
            index += batch
        }
        print("wrote \(written.count) synthetic \(className) samples to \(out) (checkpoint sha256 \(hash.prefix(12))…)")
    }
}
