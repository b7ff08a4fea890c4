// The hand-off to PyTorch: `cohort split` writes the experiment's split and the exact model-size pixels, and
// bench/train_ddp.py trains Cohort's classifier from them under `torchrun` (2 CPU processes, gloo), starting
// from a Cohort classifier's weights loaded strictly. The torchrun part needs PyTorch (a reference and
// hand-off tool, never a run-time dependency) and is skipped, saying so, where `import torch` fails.
import CohortTestSupport
import Curation
import Foundation
import ImageIO
import Models
import Tensor
import Testing

@testable import Training

@Suite(.serialized) struct SplitHandOffTests {
    /// Phantom scans: `counts` per class under `dir/phantoms/<class>/`.
    static func phantoms(_ dir: TemporaryDirectory, counts: [Int]) throws -> String {
        let root = dir.file("phantoms")
        var rng = RandomGenerator(seed: 3)
        for (label, count) in counts.enumerated() {
            let folder = root + "/" + PhantomScans.classes[label]
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for i in 0..<count { try PNGEncoder.write(PhantomScans.image(label: label, size: 64, rng: &rng), to: "\(folder)/p-\(i).png") }
        }
        return root
    }

    @Test func splitIsTheExperimentsSplitWithItsPixels() throws {
        let dir = try TemporaryDirectory()
        let root = try Self.phantoms(dir, counts: [12, 8, 6])
        let cohort = try #require(BuiltExecutable.path("cohort"))
        let run = try BuiltExecutable.run(cohort, ["split", "--data", root, "--out", dir.file("split.csv"), "--pixels", dir.file("split.f32")])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try String(contentsOfFile: dir.file("split.csv"), encoding: .utf8).split(separator: "\n").dropFirst().map {
            $0.split(separator: ",").map(String.init)
        }
        // The same split and pixels as the experiment's loader.
        let (train, validation, _) = DatasetLoader.load(try ImageFolder(root: root), size: 64, validationFraction: 0.2)
        #expect(rows.count == train.count + validation.count)
        #expect(rows.filter { $0[2] == "validation" }.map { root + "/" + $0[0] } == validation.paths)
        #expect(rows.filter { $0[2] == "train" }.map { root + "/" + $0[0] } == train.paths)
        #expect(rows.allSatisfy { $0[0].hasPrefix($0[1] + "/") }, "class column = the file's class folder")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir.file("split.f32")))
        let pixels = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(pixels == train.pixels + validation.pixels, "float32 [rows, 64, 64] in row order")
    }

    @Test(.timeLimit(.minutes(5)))
    func torchrunTrainsFromTheSplitStartingFromCohortsWeights() throws {
        let probe = try BuiltExecutable.run("/usr/bin/env", ["python3", "-c", "import torch, torch.distributed; print(torch.__version__)"])
        guard probe.status == 0,
            let torchrun = ["/usr/local/bin/torchrun", "/usr/bin/torchrun", NSHomeDirectory() + "/.local/bin/torchrun"]
                .first(where: FileManager.default.isExecutableFile) ?? Self.which("torchrun")
        else {
            print(
                "SplitHandOffTests: skipped the torchrun hand-off — PyTorch is not installed here (python3 -m pip install torch==2.13.0 installs the CPU wheel)"
            )
            return
        }
        let dir = try TemporaryDirectory()
        let root = try Self.phantoms(dir, counts: [12, 8, 6])
        let cohort = try #require(BuiltExecutable.path("cohort"))
        let split = try BuiltExecutable.run(cohort, ["split", "--data", root, "--out", dir.file("split.csv"), "--pixels", dir.file("split.f32")])
        #expect(split.status == 0, "\(split.stderr)")
        // A Cohort classifier's weights (half width, 3 classes) for --init, loaded strictly by PyTorch.
        var configuration = Classifier.Configuration(classes: 3).scaled(width: 0.5, depth: 0.5)
        configuration.classes = 3
        let trainer = ClassifierTrainer(model: Classifier(configuration, seed: 1), settings: ClassifierTrainingSettings())
        try trainer.saveEvaluationWeights(to: dir.file("cohort-classifier.safetensors"), classes: PhantomScans.classes)
        let script = SharedData.repositoryRoot + "/bench/train_ddp.py"
        let run = try BuiltExecutable.run(
            torchrun,
            [
                "--standalone", "--nproc-per-node=2", script, "--split", dir.file("split.csv"),
                "--pixels", dir.file("split.f32"), "--width", "0.5", "--depth", "0.5",
                "--batch-size", "8", "--epochs", "2", "--max-steps", "3", "--threads", "1",
                "--init", dir.file("cohort-classifier.safetensors"), "--json", dir.file("ddp.json")
            ])
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir.file("ddp.json")))) as? [String: Any]
        #expect(result?["processes"] as? Int == 2)
        #expect(result?["steps"] as? Int == 3)
        let accuracy = (result?["validation"] as? [String: Any])?["accuracy"] as? Double
        #expect(accuracy.map { (0...1).contains($0) } == true, "a validation accuracy was reported: \(String(describing: result))")
    }

    static func which(_ name: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
            .first(where: FileManager.default.isExecutableFile)
    }
}
