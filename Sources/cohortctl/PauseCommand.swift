import ArgumentParser

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause training (the running job stops at its next checkpoint).")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { try connection.runSimple("pause") }
}
