import ArgumentParser
import CohortControl

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Have cohortd write a balanced ImageFolder (real + synthetic, as hard links) to a new folder it may write to.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Dataset.") var dataset: String
    @Option(help: "Destination folder (absolute; must not exist; writable by cohortd).") var out: String
    @Flag(help: "Real images of the train split only.") var trainOnly = false
    @Flag(help: "A hand-off bundle: data, split.csv, pixels.f32, models, metadata.json, train_ddp.py for torchrun.") var bundle = false

    func run() throws {
        let arguments = ExportArguments(dataset: dataset, out: out, trainOnly: trainOnly ? true : nil, bundle: bundle ? true : nil)
        connection.show(try connection.call { try $0.export(arguments) }) { r in
            var lines = ["exported \(r.real) real and \(r.synthetic) synthetic images to \(r.out) (\(r.hardLinks) hard links, \(r.copies) copies)"]
            if let rows = r.rows {
                lines.append(
                    "bundle: split.csv and pixels.f32 with \(rows) images (\(r.validation ?? 0) validation); train with "
                        + "`cd \(r.out) && torchrun --standalone --nproc-per-node=2 train_ddp.py --split split.csv --pixels pixels.f32` (see metadata.json)"
                )
            }
            for missing in r.missing ?? [] { lines.append("  missing: \(missing)") }
            return lines.joined(separator: "\n")
        }
    }
}
