import ArgumentParser
import CohortControl

struct PauseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause training (the running job stops at its next checkpoint).")
    @OptionGroup var connection: ConnectionOptions

    func run() throws { connection.show(try connection.call { try $0.pause() }) { $0.paused ? "training paused" : "training resumed" } }
}
