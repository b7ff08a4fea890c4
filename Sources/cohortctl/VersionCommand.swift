import ArgumentParser

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Daemon and protocol versions.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { try connection.runSimple("version") }
}
