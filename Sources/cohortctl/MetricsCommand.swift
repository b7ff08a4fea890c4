import ArgumentParser
import CohortControl

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Prometheus text exposition of cohortd's metrics.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call { try $0.metrics() }) { $0 }
    }
}
