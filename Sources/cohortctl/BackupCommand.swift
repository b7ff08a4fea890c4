import ArgumentParser
import CohortControl

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Have cohortd write a consistent copy of its catalog (SQLite VACUUM INTO) while it runs.",
        discussion: "The copy needs no -wal file: restore it by stopping cohortd and putting it in place of <state>/catalog.sqlite "
            + "(removing catalog.sqlite-wal and -shm). PATH is written by cohortd's user and must not exist.")
    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Destination file (absolute; must not exist; in a folder cohortd may write to).") var path: String

    func run() throws {
        connection.show(try connection.call { try $0.backup(BackupArguments(path: path)) }) { r in
            "catalog copied to \(r.path) (\(r.bytes) bytes)"
        }
    }
}
