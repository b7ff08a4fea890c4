import ArgumentParser
import CohortControl

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Queue COUNT samples of one class from the current generator (written under the state directory, outside the balanced set).")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Dataset.") var dataset: String
    @Option(name: .customLong("class"), help: "Class folder name.") var className: String
    @Option(help: "How many samples (1–10000).") var count: Int

    func run() throws {
        let arguments = GenerateArguments(dataset: dataset, className: className, count: count)
        connection.show(try connection.call { try $0.generate(arguments) }) { r in
            "queued job \(r.job): \(count) × \(className) → \(r.directory)"
        }
    }
}
