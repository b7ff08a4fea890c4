import ArgumentParser
import CohortControl

struct RescanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rescan", abstract: "Rescan every watched folder.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("rescan")) { result in
            if case .object(let fields) = result {
                return fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.text)" }.joined(separator: "\n")
            }
            return result.text
        }
    }
}
