// `cohort export`: materializes a balanced ImageFolder — real images plus the published synthetic
// samples — as hard links (copies across file systems), for training elsewhere; with --bundle, the whole
// hand-off (split, exact pixels, models, metadata, the PyTorch DDP script: HandOffBundle). Nothing is moved.
import ArgumentParser
import Catalog
import Curation
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a balanced ImageFolder (<out>/<class>/…) of a dataset's real and synthetic images as hard links, or a hand-off bundle.",
        discussion: """
            With --bundle, OUT becomes a bundle for training elsewhere: data/ (the balanced ImageFolder), split.csv \
            (file,class,split,group,source,sha256), pixels.f32 (the exact model inputs), models/ (generator and \
            real-only classifier), metadata.json and train_ddp.py for `torchrun --standalone --nproc-per-node=2 \
            train_ddp.py --split split.csv --pixels pixels.f32 …` (gloo on CPU; NCCL on GPUs).
            """)

    @Option(help: "cohortd's state directory (holds catalog.sqlite).")
    var state = "/var/lib/cohort"

    @Option(help: "Dataset name.")
    var dataset: String

    @Option(help: "Destination folder; must not exist yet.")
    var out: String

    @Flag(help: "Real images of the train split only (keep the validation split out of a training set).")
    var trainOnly = false

    @Flag(help: "Write a hand-off bundle (balanced data, split, pixels, models, metadata, train_ddp.py).")
    var bundle = false

    @Option(help: "Model input side of the dataset (cohortd's dataset.<name>.image_size).")
    var imageSize = 64

    @Option(help: "Classifier epochs the bundle's commands train for.")
    var epochs = 40

    @Flag(help: "The recipe flips horizontally (brain MRI; never chest X-rays).")
    var horizontalFlip = false

    @Option(help: "Folder with train_ddp.py and torch_models.py (default: share/cohort beside this program, or the source tree's bench/).")
    var scripts: String?

    func validate() throws {
        if bundle && trainOnly { throw ValidationError("--train-only does not apply to a bundle (its split.csv marks the validation images)") }
    }

    func run() throws {
        let catalog = try CatalogDatabase(path: state + "/catalog.sqlite", readOnly: true)
        do {
            guard bundle else {
                let s = try BalancedExport.write(catalog: catalog, dataset: dataset, trainOnly: trainOnly, to: out)
                print(
                    "exported \(s.real) real and \(s.synthetic) synthetic images to \(out) (\(s.linked) hard links, \(s.copied) copies, \(s.rendered) DICOM sources as de-identified PNG)"
                )
                return
            }
            let layout = StateLayout(stateDirectory: state)
            let inputs = HandOffBundle.Inputs(
                dataset: dataset, imageSize: imageSize, generatorCheckpoint: try catalog.datasetState(dataset).checkpoint,
                classifierWeights: layout.classifierWeights(dataset),
                scriptsDirectory: scripts ?? HandOffBundle.scriptsDirectory(nearExecutable: CommandLine.arguments[0]),
                recipe: .init(epochs: epochs, batchSize: 32, width: 1, depth: 1, horizontalFlip: horizontalFlip), producer: "cohort")
            let printer = ProgressPrinter()
            var meter: ProgressMeter?
            let s = try HandOffBundle.write(catalog: catalog, inputs: inputs, to: out) { done, total in
                if meter == nil { meter = ProgressMeter(phase: "bundle images", total: total, printer: printer) }
                meter?.update(done)
            }
            print("bundle \(out): \(s.rows) images (\(s.train) train, \(s.validation) validation; \(s.export.synthetic) synthetic)")
            for line in s.missing { print("  missing: \(line)") }
            for path in s.unreadable { print("  unreadable, left out of split.csv: \(path)") }
            print(
                "train: cd \(out) && torchrun --standalone --nproc-per-node=2 train_ddp.py --split split.csv --pixels pixels.f32 --image-size \(imageSize)"
            )
        } catch let failure as BalancedExport.Failure {
            throw ValidationError("\(failure)")
        }
    }
}
