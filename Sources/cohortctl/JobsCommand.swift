import ArgumentParser
import CohortControl

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Recent jobs and their outcomes.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "How many.") var limit = 20

    func run() throws {
        connection.show(try connection.call("jobs", args: ["limit": .number(Double(limit))])) { jobs in
            var rows = [["ID", "DATASET", "KIND", "STATE", "STEP", "OUTCOME"]]
            for j in jobs.items {
                rows.append([j["id"]?.text ?? "", j["dataset"]?.text ?? "", j["kind"]?.text ?? "", j["state"]?.text ?? "",
                             "\(j["step"]?.text ?? "")/\(j["totalSteps"]?.text ?? "")", String((j["outcome"] ?? j["detail"] ?? .null).text.prefix(80))])
            }
            return Table.render(rows)
        }
    }
}
