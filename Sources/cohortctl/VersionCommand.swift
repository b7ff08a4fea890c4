import ArgumentParser
import CohortControl

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Daemon and protocol versions.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("version")) { result in
            if case .object(let fields) = result {
                return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: "\n")
            }
            return result.text
        }
    }
}
