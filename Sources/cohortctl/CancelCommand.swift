import ArgumentParser
import CohortControl

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel the running job.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { connection.show(try connection.call { try $0.cancel() }) { "cancelled job \($0.cancelled)" } }
}
