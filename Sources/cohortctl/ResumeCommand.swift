import ArgumentParser

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume training.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { try connection.runSimple("resume") }
}
