import ArgumentParser
import CohortControl

struct RescanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rescan", abstract: "Rescan every watched folder.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { connection.show(try connection.call { try $0.rescan() }) { _ in "rescanning every watched folder" } }
}
