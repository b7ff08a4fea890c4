// Writes `<state>/status.json` atomically every couple of seconds, and logs a one-line summary when
// it changes, so an operator (or `make demo`) can follow the daemon without the control socket; with
// `metrics.textfile_path`, also the Prometheus exposition for node_exporter's textfile collector.
import AtomicFile
import Catalog
import CohortControl
import Foundation
import Logging
import ServiceLifecycle

final class StatusWriter: Service, @unchecked Sendable {
    private let catalog: CatalogDatabase
    private let live: LiveConfiguration
    /// The configuration in force (reloads take effect at the next read).
    private var configuration: DaemonConfiguration { live.current }
    private let state: DaemonState
    private let logger: Logger
    private var lastLine = ""
    private var lastTextfile = Date.distantPast

    init(catalog: CatalogDatabase, live: LiveConfiguration, state: DaemonState, logger: Logger) {
        self.catalog = catalog
        self.live = live
        self.state = state
        self.logger = logger
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            write()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
        }
        write()
    }

    func write() {
        do {
            let snapshot = try StatusSnapshot.capture(catalog: catalog, configuration: configuration, state: state)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try AtomicFile.write(Array(try encoder.encode(snapshot)), to: configuration.stateDirectory + "/status.json")
            let line = snapshot.datasets.map { d in
                "\(d.name): " + d.classes.map { "\($0.className) \($0.real)+\($0.synthetic)/\($0.target)" }.joined(separator: " ")
            }.joined(separator: "; ")
            if line != lastLine {
                lastLine = line
                logger.info("status — \(line)")
            }
            writeTextfile(snapshot)
        } catch {
            logger.warning("status snapshot failed: \(error)")
        }
    }

    /// The metrics exposition, atomically (temp file, fsync, rename: the collector never reads half a file).
    private func writeTextfile(_ snapshot: StatusSnapshot) {
        let settings = configuration.metrics
        guard let path = settings.textfilePath, Date().timeIntervalSince(lastTextfile) >= settings.textfileIntervalSeconds else { return }
        lastTextfile = Date()
        do {
            try AtomicFile.write(Array(DaemonMetrics.exposition(status: snapshot).utf8), to: path)
        } catch {
            logger.warning("metrics textfile \(path) not written: \(error)")
        }
    }
}
