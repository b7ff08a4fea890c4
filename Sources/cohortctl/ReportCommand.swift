import ArgumentParser
import CohortControl

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "A classifier report: the latest, or the one at --time; its HTML path and headline, or all of it with --full.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Dataset.") var dataset: String?
    @Option(help: "Report time (its folder name, or a prefix such as 2026-11-28T20).") var time: String?
    @Flag(help: "Include the whole report.json (use with --json).") var full = false

    func run() throws {
        var args: [String: JSONValue] = [:]
        if let dataset { args["dataset"] = .string(dataset) }
        if let time { args["time"] = .string(time) }
        if full { args["full"] = .bool(true) }
        connection.show(try connection.call("report", args: args)) { r in
            "\(r["dataset"]?.text ?? "") report \(r["time"]?.text ?? "")\nhtml: \(r["html"]?.text ?? "")\njson: \(r["json"]?.text ?? "")\n\(r["summary"]?.text ?? "")"
        }
    }
}
