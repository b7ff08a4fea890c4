import ArgumentParser
import CohortControl

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Queue a GAN or classifier job now.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "gan or classifier") var kind: TrainKind
    @Option(help: "Dataset.") var dataset: String

    func run() throws {
        let arguments = TrainArguments(kind: kind, dataset: dataset)
        connection.show(try connection.call { try $0.train(arguments) }) { "queued job \($0.job)" }
    }
}

extension TrainKind: ExpressibleByArgument {}
