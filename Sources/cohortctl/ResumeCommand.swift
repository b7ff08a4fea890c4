import ArgumentParser
import CohortControl

struct ResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume training.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { connection.show(try connection.call { try $0.resume() }) { $0.paused ? "training paused" : "training resumed" } }
}
