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

    func run() throws {
        let arguments = ExportArguments(dataset: dataset, out: out, trainOnly: trainOnly)
        connection.show(try connection.call { try $0.export(arguments) }) { r in
            "exported \(r.real) real and \(r.synthetic) synthetic images to \(r.out) (\(r.hardLinks) hard links, \(r.copies) copies)"
        }
    }
}
