import ArgumentParser
import CohortControl

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Queue a GAN or classifier job now.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "gan or classifier") var kind: String
    @Option(help: "Dataset.") var dataset: String

    func run() throws {
        connection.show(try connection.call("train", args: ["kind": .string(kind), "dataset": .string(dataset)])) { r in
            "queued job \(r["job"]?.text ?? "?")"
        }
    }
}
