import ArgumentParser
import CohortControl

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause training (the running job stops at its next checkpoint).")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("pause")) { result in
            if case .object(let fields) = result {
                return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: "\n")
            }
            return result.text
        }
    }
}
