import ArgumentParser
import CohortControl

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "quarantine", abstract: "Refused files with their reasons.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call { try $0.quarantine() }) { files in
            Table.render([["FILE", "REASON"]] + files.map { [$0.path, $0.reason] })
        }
    }
}
