// Reloading the configuration on SIGHUP (systemd's ExecReload) or `cohortctl reload`: tells systemd
// RELOADING=1, re-reads the file, applies what can change live (LiveConfiguration), tells systemd
// READY=1 again, and reports what was applied and what waits for a restart. An invalid file changes
// nothing: the error is logged and returned, and the daemon goes on with the configuration it has.
import CohortControl
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

final class ConfigurationReloader: Service, @unchecked Sendable {
    private let live: LiveConfiguration
    private let notifier: SystemdNotifier
    private let state: DaemonState
    private let logger: Logger
    /// One reload at a time (a SIGHUP during a socket-driven reload waits its turn).
    private let gate = DispatchSemaphore(value: 1)

    init(live: LiveConfiguration, notifier: SystemdNotifier, state: DaemonState, logger: Logger) {
        self.live = live
        self.notifier = notifier
        self.state = state
        self.logger = logger
    }

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            _ = await reload(trigger: "SIGHUP")
        }
    }

    func reload(trigger: String) async -> Result<ReloadOutcome, ConfigurationError> {
        await gate.waitAsync()
        defer { gate.signal() }
        notifier.notify("RELOADING=1\nMONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())\nSTATUS=reloading the configuration")
        let result: Result<ReloadOutcome, ConfigurationError>
        do {
            let outcome = try await live.reload()
            result = .success(outcome)
            let restart = outcome.needsRestart.isEmpty ? "" : "; needs a restart: [\(outcome.needsRestart.joined(separator: ", "))]"
            logger.notice("configuration reloaded (\(trigger)): applied [\(outcome.applied.joined(separator: ", "))]\(restart)")
            state.events.publish(.reloaded(.success(applied: outcome.applied, needsRestart: outcome.needsRestart)))
        } catch {
            result = .failure(error)
            logger.error("configuration not reloaded (\(trigger)); keeping the current one: \(error)")
            state.events.publish(.reloaded(.failure("\(error)")))
        }
        notifier.notify("READY=1\nSTATUS=" + state.activity)
        return result
    }
}
