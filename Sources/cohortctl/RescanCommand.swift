import ArgumentParser

struct RescanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rescan", abstract: "Rescan every watched folder.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { try connection.runSimple("rescan") }
}
