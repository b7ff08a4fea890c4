import ArgumentParser
import CohortControl

struct ReloadCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Re-read the configuration file (like `systemctl reload cohortd`); says what applied and what needs a restart.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("reload")) { r in
            let applied = r["applied"]?.items.map(\.text) ?? []
            let restart = r["needs_restart"]?.items.map(\.text) ?? []
            var lines = ["applied: " + (applied.isEmpty ? "nothing changed" : applied.joined(separator: ", "))]
            if !restart.isEmpty { lines.append("needs a restart (kept for now): " + restart.joined(separator: ", ")) }
            return lines.joined(separator: "\n")
        }
    }
}
