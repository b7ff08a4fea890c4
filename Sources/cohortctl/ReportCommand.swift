import ArgumentParser
import CohortControl

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "A classifier report: the latest, or the one at --time; its HTML path and headline, or all of it with --full.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Dataset.") var dataset: String?
    @Option(help: "Report time (its folder name, or a prefix such as 2026-11-28T20).") var time: String?
    @Flag(help: "Include the whole report.json (use with --json).") var full = false

    func run() throws {
        let arguments = ReportArguments(dataset: dataset, time: time, full: full ? true : nil)
        connection.show(try connection.call { try $0.report(arguments) }) { r in
            "\(r.dataset) report \(r.time)\nhtml: \(r.html)\njson: \(r.json)\n\(r.summary)"
        }
    }
}
