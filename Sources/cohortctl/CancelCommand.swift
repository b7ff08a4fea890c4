import ArgumentParser

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel the running job.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { try connection.runSimple("cancel") }
}
