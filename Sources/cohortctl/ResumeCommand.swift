import ArgumentParser
import CohortControl

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume training.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("resume")) { result in
            if case .object(let fields) = result {
                return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: "\n")
            }
            return result.text
        }
    }
}
