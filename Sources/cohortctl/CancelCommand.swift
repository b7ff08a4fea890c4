import ArgumentParser
import CohortControl

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel the running job.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("cancel")) { result in
            if case .object(let fields) = result {
                return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: "\n")
            }
            return result.text
        }
    }
}
