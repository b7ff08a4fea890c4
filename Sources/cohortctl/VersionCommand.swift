import ArgumentParser
import CohortControl

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Daemon and protocol versions.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call { try $0.version() }) { "cohortd \($0.daemon) (control protocol v\($0.protocolVersion))" }
    }
}
