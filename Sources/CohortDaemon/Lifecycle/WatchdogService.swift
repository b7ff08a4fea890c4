// systemd integration while running: STATUS= lines with the current activity, and WATCHDOG=1 pings
// that stop when the daemon's loops stop (the scheduler's heartbeat goes stale), so systemd restarts a
// hung daemon. STOPPING=1 when shutdown begins.
import Foundation
import ServiceLifecycle

final class WatchdogService: Service, @unchecked Sendable {
    private let notifier: SystemdNotifier
    private let state: DaemonState
    private let interval: Duration?

    init(notifier: SystemdNotifier, state: DaemonState) {
        self.notifier = notifier
        self.state = state
        interval = SystemdNotifier.watchdogInterval()
    }

    func run() async throws {
        let period: Duration = interval.map { $0 / 3 } ?? .seconds(5)
        var lastStatus = ""
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if interval != nil, Date().timeIntervalSince1970 - state.heartbeat < 30 { notifier.notify("WATCHDOG=1") }
            let status = state.activity
            if status != lastStatus {
                notifier.notify("STATUS=" + status)
                lastStatus = status
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
        }
        notifier.notify("STOPPING=1")
    }
}
