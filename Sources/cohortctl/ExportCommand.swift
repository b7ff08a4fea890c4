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
        let args: [String: JSONValue] = ["dataset": .string(dataset), "out": .string(out), "train_only": .bool(trainOnly)]
        connection.show(try connection.call("export", args: args)) { r in
            "exported \(r["real"]?.text ?? "?") real and \(r["synthetic"]?.text ?? "?") synthetic images to \(r["out"]?.text ?? out)"
                + " (\(r["hard_links"]?.text ?? "?") hard links, \(r["copies"]?.text ?? "?") copies)"
        }
    }
}
