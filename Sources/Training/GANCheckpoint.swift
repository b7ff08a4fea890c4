// A GAN checkpoint: generator, discriminator and EMA generator weights with PyTorch names (prefixes
// `generator.`, `discriminator.`, `ema.`), both optimizers' state, the iteration, the random states and
// the configuration (class names, image size) in the metadata — everything a resumed run needs to
// continue exactly. Resuming with more classes adds embedding rows for the new ones and keeps the rest.
import Foundation
import Models
import NN
import Tensor

public enum GANCheckpoint {
    public static let format = "cohort-gan-1"

    /// Writes `trainer`'s state atomically to `path`.
    public static func save(_ trainer: GANTrainer, to path: String) throws {
        var file = SafeTensorsFile()
        Checkpoint.add(trainer.generator.store, optimizer: trainer.step.generatorOptimizer, prefix: "generator.", to: &file)
        Checkpoint.add(trainer.discriminator.store, optimizer: trainer.step.discriminatorOptimizer, prefix: "discriminator.", to: &file)
        for entry in trainer.generator.store.entries {
            let slab = entry.kind == .parameter ? trainer.ema.values : trainer.ema.buffers
            let values = Array(UnsafeBufferPointer(start: slab.data + entry.offset, count: entry.count))
            file.add(
                "ema.\(entry.name)",
                entry.kind == .counter
                    ? SafeTensor(shape: entry.shape, integers: values.map { Int64($0) }) : SafeTensor(shape: entry.shape, floats: values))
        }
        for (i, u) in (trainer.step.spectralNorm?.uVectors ?? []).enumerated() {
            file.add("discriminator.spectral_norm.u.\(i)", SafeTensor(shape: [u.count], floats: u))
        }
        let classesJSON = String(decoding: try JSONEncoder().encode(trainer.classes), as: UTF8.self)
        file.metadata["format"] = format
        file.metadata["classes"] = classesJSON
        file.metadata["image_size"] = String(trainer.generator.configuration.imageSize)
        file.metadata["settings"] = String(decoding: try JSONEncoder().encode(trainer.settings), as: UTF8.self)
        file.metadata["iteration"] = String(trainer.iteration)
        file.metadata["rng"] = trainer.rng.stateWords.map(String.init).joined(separator: ",")
        file.metadata["augment_rng"] = trainer.step.rng.stateWords.map(String.init).joined(separator: ",")
        if let lecam = trainer.step.lecam {
            file.metadata["lecam_anchors"] = "\(lecam.anchorReal.bitPattern),\(lecam.anchorFake.bitPattern),\(lecam.updates)"  // exact, as bits
        }
        try file.write(to: path)
    }

    /// Class names and image size recorded in a checkpoint.
    public static func configuration(of file: SafeTensorsFile, path: String) throws -> (classes: [String], imageSize: Int) {
        guard file.metadata["format"] == format, let json = file.metadata["classes"],
            let classes = try? JSONDecoder().decode([String].self, from: Data(json.utf8)),
            let size = file.metadata["image_size"].flatMap(Int.init)
        else { throw SafeTensorsError(file: path, reason: "not a Cohort GAN checkpoint (format \(file.metadata["format"] ?? "none"))") }
        return (classes, size)
    }

    /// Resumes a trainer from `path` with the settings it was trained with (batch size, learning rate,
    /// EMA decay, widths), so the run continues exactly. `classes` may add classes to the checkpoint's (new
    /// embedding rows start as the mean of the learnt ones); removing or reordering learnt classes is refused.
    public static func resume(from path: String, classes: [String]? = nil) throws -> GANTrainer {
        try resume(from: path) { saved in classes ?? saved }
    }

    /// Resumes with the checkpoint's classes followed by those of `present` it has not seen (in `present`'s
    /// order): how a daemon continues on a dataset that gained classes, reading the checkpoint once.
    public static func resume(from path: String, including present: [String]) throws -> GANTrainer {
        try resume(from: path) { saved in saved + present.filter { !saved.contains($0) } }
    }

    private static func resume(from path: String, classes choose: ([String]) -> [String]) throws -> GANTrainer {
        var file = try SafeTensorsFile.read(path)
        let (saved, size) = try configuration(of: file, path: path)
        guard let json = file.metadata["settings"],
            let settings = try? JSONDecoder().decode(GANTrainingSettings.self, from: Data(json.utf8))
        else { throw SafeTensorsError(file: path, reason: "checkpoint has no training settings") }
        let wanted = choose(saved)
        guard Array(wanted.prefix(saved.count)) == saved else {
            throw SafeTensorsError(file: path, reason: "checkpoint classes \(saved) must be a prefix of \(wanted)")
        }
        if wanted.count > saved.count {
            for prefix in ["generator.", "discriminator.", "ema."] { growEmbedding(&file, name: "\(prefix)embed.weight", to: wanted.count) }
            for state in ["exp_avg", "exp_avg_sq"] {
                for prefix in ["generator.", "discriminator."] {
                    growEmbedding(&file, name: "\(prefix)optimizer.\(state).embed.weight", to: wanted.count, zero: true)
                }
            }
            // Class-conditional batch norm: a new class's γ rows start at 1 and β rows at 0 (an ordinary
            // batch norm), their optimizer moments at 0.
            for name in file.tensors.keys.sorted() where name.hasSuffix(".gamma.weight") || name.hasSuffix(".beta.weight") {
                let isMoment = name.contains(".optimizer.")
                growRows(&file, name: name, to: wanted.count, fill: isMoment || name.hasSuffix(".beta.weight") ? 0 : 1)
            }
        }
        let trainer = GANTrainer(classes: wanted, imageSize: size, settings: settings)
        try Checkpoint.load(trainer.generator.store, optimizer: trainer.step.generatorOptimizer, prefix: "generator.", from: file, path: path)
        try Checkpoint.load(
            trainer.discriminator.store, optimizer: trainer.step.discriminatorOptimizer, prefix: "discriminator.", from: file, path: path)
        for entry in trainer.generator.store.entries {
            guard let tensor = file["ema.\(entry.name)"], tensor.shape == entry.shape else {
                throw SafeTensorsError(file: path, tensor: "ema.\(entry.name)", reason: "missing or mis-shaped")
            }
            let slab = entry.kind == .parameter ? trainer.ema.values : trainer.ema.buffers
            tensor.floats.withUnsafeBufferPointer { (slab.data + entry.offset).update(from: $0.baseAddress!, count: entry.count) }
        }
        if let norm = trainer.step.spectralNorm {
            // Saved u vectors continue the power iteration exactly; without them it restarts (15 steps).
            let current = norm.uVectors
            let saved = current.indices.compactMap { file["discriminator.spectral_norm.u.\($0)"]?.floats }
            if saved.count == current.count && zip(saved, current).allSatisfy({ $0.count == $1.count }) { norm.uVectors = saved }
        }
        if trainer.step.lecam != nil, let parts = file.metadata["lecam_anchors"]?.split(separator: ",").compactMap({ UInt32($0) }), parts.count == 3 {
            trainer.step.lecam!.anchorReal = Float(bitPattern: parts[0])
            trainer.step.lecam!.anchorFake = Float(bitPattern: parts[1])
            trainer.step.lecam!.updates = Int(parts[2])
        }
        trainer.restore(
            iteration: Int(file.metadata["iteration"] ?? "0") ?? 0,
            rng: words(file.metadata["rng"]), augmentRNG: words(file.metadata["augment_rng"]))
        return trainer
    }

    private static func words(_ text: String?) -> [UInt64]? {
        let values = text?.split(separator: ",").compactMap { UInt64($0) }
        return values?.count == 4 ? values : nil
    }

    /// Appends rows filled with `fill` to a [rows, dim] tensor.
    private static func growRows(_ file: inout SafeTensorsFile, name: String, to rows: Int, fill: Float) {
        guard let tensor = file[name], tensor.shape.count == 2, tensor.shape[0] < rows else { return }
        let (old, dim) = (tensor.shape[0], tensor.shape[1])
        file.add(name, SafeTensor(shape: [rows, dim], floats: tensor.floats + [Float](repeating: fill, count: (rows - old) * dim)))
    }

    /// Appends rows to a [rows, dim] tensor: the mean of the existing rows (or zeros).
    private static func growEmbedding(_ file: inout SafeTensorsFile, name: String, to rows: Int, zero: Bool = false) {
        guard let tensor = file[name], tensor.shape.count == 2, tensor.shape[0] < rows else { return }
        let (old, dim) = (tensor.shape[0], tensor.shape[1])
        var values = tensor.floats
        let mean = (0..<dim).map { d in (0..<old).reduce(Float(0)) { $0 + values[$1 * dim + d] } / Float(old) }
        for _ in old..<rows { values += zero ? [Float](repeating: 0, count: dim) : mean }
        file.add(name, SafeTensor(shape: [rows, dim], floats: values))
    }
}

extension GANTrainer {
    func restore(iteration: Int, rng: [UInt64]?, augmentRNG: [UInt64]?) {
        self.iterationValue = iteration
        if let rng { self.rng = RandomGenerator(state: rng) }
        if let augmentRNG { step.rng = RandomGenerator(state: augmentRNG) }
    }
}
