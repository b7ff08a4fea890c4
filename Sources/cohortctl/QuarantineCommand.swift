import ArgumentParser
import CohortControl

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quarantine", abstract: "Refused files with their reasons.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("quarantine")) { files in
            Table.render([["FILE", "REASON"]] + files.items.map { [$0["path"]?.text ?? "", $0["reason"]?.text ?? ""] })
        }
    }
}
