import ArgumentParser
import CohortControl

struct JobsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "Recent jobs and their outcomes.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "How many.") var limit = 20

    func run() throws {
        connection.show(try connection.call { try $0.jobs(limit: limit) }) { jobs in
            var rows = [["ID", "DATASET", "KIND", "STATE", "STEP", "OUTCOME"]]
            for j in jobs {
                rows.append([
                    j.id.map { String($0) } ?? "", j.dataset, j.kind.rawValue, j.state.rawValue, "\(j.step)/\(j.totalSteps)",
                    String((j.outcome ?? j.detail ?? "–").prefix(80))
                ])
            }
            return Table.render(rows)
        }
    }
}
