import ArgumentParser
import CohortControl

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Re-read the configuration file (like `systemctl reload cohortd`); says what applied and what needs a restart.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call { try $0.reload() }) { r in
            var lines = ["applied: " + (r.applied.isEmpty ? "nothing changed" : r.applied.joined(separator: ", "))]
            if !r.needsRestart.isEmpty { lines.append("needs a restart (kept for now): " + r.needsRestart.joined(separator: ", ")) }
            return lines.joined(separator: "\n")
        }
    }
}
