// cohortd: load the configuration, then run the daemon's services until SIGTERM/SIGINT.
// Exit statuses: 0 after a clean stop, 78 (EX_CONFIG) for an invalid configuration (nothing started),
// 73 (EX_CANTCREAT) when the state directory or catalog cannot be opened.
import BLAS
import Catalog
import CohortControl
import CohortDaemon
import Foundation
import Logging

BLASStartup.prepare { message in FileHandle.standardError.write(Data("cohortd: \(message)\n".utf8)) }
LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
let logger = Logger(label: "cohortd")

var configPath = ProcessInfo.processInfo.environment["COHORT_CONFIG"] ?? "/etc/cohort/cohortd.yaml"
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--config", "-c":
        guard let value = arguments.popFirst() else {
            FileHandle.standardError.write(Data("cohortd: --config needs a path\n".utf8))
            exit(64)
        }
        configPath = value
    case "--version":
        print("cohortd \(StatusSnapshot.daemonVersion)")
        exit(0)
    case "--help", "-h":
        print("usage: cohortd [--config PATH]   (default $COHORT_CONFIG, then /etc/cohort/cohortd.yaml)")
        exit(0)
    default:
        FileHandle.standardError.write(Data("cohortd: unknown argument '\(argument)' (try --help)\n".utf8))
        exit(64)
    }
}

let configuration: DaemonConfiguration
do {
    configuration = try await DaemonConfiguration.load(path: configPath)
} catch {
    FileHandle.standardError.write(Data("cohortd: invalid configuration: \(error)\n".utf8))
    exit(Daemon.ExitStatus.config)
}
do {
    try await Daemon.run(configuration: configuration, logger: logger)
} catch let error as CatalogError {
    logger.critical("\(error)")
    exit(Daemon.ExitStatus.cannotCreate)
} catch {
    logger.critical("cohortd failed: \(error)")
    exit(Daemon.ExitStatus.software)
}
