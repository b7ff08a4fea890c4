// The hand-off bundle (`cohort export --bundle`, `cohortctl export --bundle`): everything a team needs to
// train the same classifier elsewhere — on GPUs, on several machines — in the spirit of a MONAI bundle:
//
//   data/<class>/…        the balanced ImageFolder (hard links; copies across file systems)
//   split.csv             file,class,split,group,source,sha256 — Cohort's patient-grouped split, one row per image
//   pixels.f32            the model-size images Cohort trains on, float32 [rows, size, size] in [-1, 1], row order
//   models/               the latest generator and real-only classifier (safetensors, PyTorch names)
//   metadata.json         version, classes, image size, preprocessing, recipe, the report's figures, hashes
//   train_ddp.py, torch_models.py   the classifier and recipe in PyTorch, for `torchrun` (gloo on CPU, NCCL on GPUs)
//
// Real images come with their cached normalized pixels (the catalog's), synthetic samples are decoded from
// their PNGs as the classifier job reads them, so the bundle's pixels are exactly what Cohort trained on.
import AtomicFile
import ContentHash
import Foundation
import ImageIO

public enum HandOffBundle {
    /// What the caller knows besides the catalog: the model files, the scripts, the recipe.
    public struct Inputs: Sendable {
        public var dataset: String
        /// Model input side in pixels.
        public var imageSize: Int
        /// The latest generator checkpoint and real-only classifier weights (nil or missing: left out, said so).
        public var generatorCheckpoint: String?
        public var classifierWeights: String?
        /// Folder holding train_ddp.py and torch_models.py (nil: left out, said so in metadata.json).
        public var scriptsDirectory: String?
        /// The classifier recipe as Cohort runs it (written to metadata.json and into the commands).
        public var recipe: Recipe
        /// "cohort 0.5.0" or "cohortd 0.5.0".
        public var producer: String

        public init(
            dataset: String, imageSize: Int, generatorCheckpoint: String?, classifierWeights: String?, scriptsDirectory: String?,
            recipe: Recipe, producer: String
        ) {
            self.dataset = dataset
            self.imageSize = imageSize
            self.generatorCheckpoint = generatorCheckpoint
            self.classifierWeights = classifierWeights
            self.scriptsDirectory = scriptsDirectory
            self.recipe = recipe
            self.producer = producer
        }
    }

    /// The classifier recipe train_ddp.py reproduces.
    public struct Recipe: Codable, Sendable, Equatable {
        public var epochs: Int
        public var batchSize: Int
        public var width: Double
        public var depth: Double
        public var horizontalFlip: Bool
        public init(epochs: Int, batchSize: Int, width: Double, depth: Double, horizontalFlip: Bool) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.width = width
            self.depth = depth
            self.horizontalFlip = horizontalFlip
        }
        enum CodingKeys: String, CodingKey {
            case epochs, width, depth
            case batchSize = "batch_size", horizontalFlip = "horizontal_flip"
        }
    }

    public struct Summary: Sendable, Equatable {
        public var export: BalancedExport.Summary
        /// Rows of split.csv (and images in pixels.f32).
        public var rows: Int
        public var train: Int
        public var validation: Int
        /// Files that could not be read back for pixels (left out of split.csv, still in data/).
        public var unreadable: [String]
        /// What the bundle lacks and why (no generator yet, scripts not found…).
        public var missing: [String]
    }

    /// The scripts' names.
    public static let scripts = ["train_ddp.py", "torch_models.py"]

    /// Writes the bundle of `inputs.dataset` to `bundle`, which must not exist yet.
    /// `progress(done, total)` after each image's pixels are written.
    public static func write(catalog: CatalogDatabase, inputs: Inputs, to bundle: String, progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: bundle) else { throw BalancedExport.Failure.destinationExists(bundle) }
        try fm.createDirectory(atPath: bundle, withIntermediateDirectories: true)
        let (export, files) = try BalancedExport.writeFiles(catalog: catalog, dataset: inputs.dataset, trainOnly: false, to: bundle + "/data")
        let size = inputs.imageSize
        var csv = "file,class,split,group,source,sha256\n"
        var summary = Summary(export: export, rows: 0, train: 0, validation: 0, unreadable: [], missing: [])
        let pixelsPath = bundle + "/pixels.f32"
        let partial = pixelsPath + ".partial"
        guard fm.createFile(atPath: partial, contents: nil), let out = FileHandle(forWritingAtPath: partial) else {
            throw CatalogError(path: partial, reason: "cannot create the pixel file")
        }
        let decoder = ImageDecoder()
        // Every real image's cached pixels in one read (not one query per image).
        let cached = Dictionary(try catalog.activePixels(dataset: inputs.dataset, split: nil).map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        for (done, (file, relative)) in files.enumerated() {
            progress?(done + 1, files.count)
            guard let pixels = modelPixels(file, size: size, cached: file.synthetic ? nil : cached[file.path], decoder: decoder) else {
                summary.unreadable.append(file.path)
                continue
            }
            let hash = try file.contentHash ?? SHA256Hasher.hex(ofFile: file.path)
            let split = file.split ?? .train
            let group = file.group.map { "g\($0)" } ?? ""
            csv +=
                [csvField("data/" + relative), csvField(file.className), split.rawValue, group, file.synthetic ? "synthetic" : "real", hash]
                .joined(separator: ",") + "\n"
            pixels.withUnsafeBytes { out.write(Data($0)) }
            summary.rows += 1
            if split == .train { summary.train += 1 } else { summary.validation += 1 }
        }
        try out.synchronize()
        try out.close()
        guard rename(partial, pixelsPath) == 0 else { throw CatalogError(path: pixelsPath, reason: "cannot rename the pixel file into place") }
        try AtomicFile.write(Array(csv.utf8), to: bundle + "/split.csv")

        var models: [String: [String: String]] = [:]
        try fm.createDirectory(atPath: bundle + "/models", withIntermediateDirectories: true)
        for (name, source) in [("generator", inputs.generatorCheckpoint), ("classifier", inputs.classifierWeights)] {
            guard let source, fm.fileExists(atPath: source) else {
                summary.missing.append("models/\(name).safetensors: no \(name == "generator" ? "generator checkpoint" : "classifier report") yet")
                continue
            }
            let target = bundle + "/models/\(name).safetensors"
            if link(source, target) != 0 { try fm.copyItem(atPath: source, toPath: target) }
            models[name] = ["file": "models/\(name).safetensors", "sha256": try SHA256Hasher.hex(ofFile: target)]
        }
        var copiedScripts = false
        if let directory = inputs.scriptsDirectory, scripts.allSatisfy({ fm.fileExists(atPath: directory + "/" + $0) }) {
            for script in scripts { try fm.copyItem(atPath: directory + "/" + script, toPath: bundle + "/" + script) }
            copiedScripts = true
        } else {
            summary.missing.append("train_ddp.py, torch_models.py: not found (installed by `make install` under share/cohort; --scripts DIR)")
        }
        let classes = Array(Set(files.map(\.file.className))).sorted()
        let metadata = try self.metadata(catalog: catalog, inputs: inputs, classes: classes, summary: summary, models: models, scripts: copiedScripts)
        try AtomicFile.write(Array(metadata), to: bundle + "/metadata.json")
        AtomicFile.syncDirectory(bundle)
        return summary
    }

    /// The float32 model input of one file: a real image's cached pixels, else the file decoded as the
    /// classifier job decodes synthetic samples. nil when it cannot be read.
    static func modelPixels(_ file: BalancedFile, size: Int, cached: CatalogPixels?, decoder: ImageDecoder) -> [Float]? {
        if let cached, cached.side == size, cached.data.count == size * size {
            return cached.data.map { Float($0) / 127.5 - 1 }
        }
        guard let decoded = try? decoder.decode(path: file.path) else { return nil }
        return Preprocessor.modelInput(decoded.image, size: size)
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// metadata.json: what the bundle holds, how its pixels were made, the recipe, the latest report's figures
    /// and the commands that train from it.
    static func metadata(
        catalog: CatalogDatabase, inputs: Inputs, classes: [String], summary: Summary, models: [String: [String: String]],
        scripts: Bool
    ) throws -> Data {
        let recipe = inputs.recipe
        let flags =
            "--split split.csv --pixels pixels.f32 --image-size \(inputs.imageSize) --epochs \(recipe.epochs) --batch-size \(recipe.batchSize)"
            + " --width \(recipe.width) --depth \(recipe.depth)" + (recipe.horizontalFlip ? " --hflip" : "")
            + (models["classifier"] != nil ? " [--init models/classifier.safetensors]" : "") + " --json result.json"
        var report: Any = NSNull()
        if let latest = try catalog.reports(dataset: inputs.dataset).first,
            let data = FileManager.default.contents(atPath: latest.directory + "/report.json"),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            // The figures and the evidence behind them; the sample grid and per-image details stay in the report.
            var kept = json.filter {
                [
                    "created", "job_id", "variants", "paired_test", "paired_test_by_class", "fcd", "harmful_classes", "withheld_classes",
                    "mixing", "counts"
                ].contains($0.key)
            }
            kept["report"] = latest.directory + "/report.html"
            report = kept
        }
        let object: [String: Any] = [
            "format": "cohort-bundle", "version": 1, "producer": inputs.producer,
            "created": ISO8601DateFormatter().string(from: Date()), "dataset": inputs.dataset, "classes": classes,
            "image_size": inputs.imageSize,
            "preprocessing": [
                "luma": "8-bit grey (ITU-R 601-2 luma for colour files, 16-bit scaled to 8)",
                "resize": "shorter side to image_size with Pillow's bicubic filter (bit-exact), centre crop",
                "range": "value / 127.5 - 1, in [-1, 1]",
                "standardization": "per image at training and evaluation: clip to its 0.5th–99.5th percentile, then z-score (train_ddp.py)"
            ],
            "split": [
                "file": "split.csv", "pixels": "pixels.f32", "dtype": "float32", "shape": [summary.rows, inputs.imageSize, inputs.imageSize],
                "rows": summary.rows, "train": summary.train, "validation": summary.validation,
                "rule": "patient and near-duplicate groups kept whole on one side; synthetic samples are training data only"
            ],
            "data": ["folder": "data", "real": summary.export.real, "synthetic": summary.export.synthetic],
            "models": models, "recipe": try JSONSerialization.jsonObject(with: JSONEncoder().encode(recipe)),
            "report": report, "missing": summary.missing,
            "commands": scripts
                ? [
                    "cpu": "torchrun --standalone --nproc-per-node=2 train_ddp.py " + flags,
                    "gpu": "torchrun --standalone --nproc-per-node=8 train_ddp.py " + flags + "   # NCCL when CUDA is available",
                    "several machines": "torchrun --nnodes=2 --nproc-per-node=8 --rdzv-backend=c10d --rdzv-endpoint=HOST:29400 train_ddp.py " + flags
                ] : [:]
        ]
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    /// train_ddp.py and torch_models.py next to an installed or built executable: `<prefix>/share/cohort`
    /// for `<prefix>/bin/<tool>`, or the source tree's `bench/` for `.build/<config>/<tool>`.
    public static func scriptsDirectory(nearExecutable executable: String) -> String? {
        let bin = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            bin.appendingPathComponent("../share/cohort").standardized.path,
            bin.appendingPathComponent("../../bench").standardized.path,
            bin.appendingPathComponent("../../../bench").standardized.path
        ]
        return candidates.first { dir in scripts.allSatisfy { FileManager.default.fileExists(atPath: dir + "/" + $0) } }
    }
}
