import ArgumentParser
import CohortControl

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "The latest classifier report (paths and headline).")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Dataset.") var dataset: String?

    func run() throws {
        connection.show(try connection.call("report", args: dataset.map { ["dataset": .string($0)] })) { r in
            "\(r["html"]?.text ?? "")\n\(r["summary"]?.text ?? "")"
        }
    }
}
