// The status the control socket answers with, computed off the event loop and shared: a flood of `status`
// or `metrics` requests from any number of clients costs at most one catalog read per `maxAge`, and
// never runs on the socket's single event loop (where one client's pipelined flood once delayed every
// other client's status by 8–17 s). The live fields — paused, degraded, the running job, uptime — are
// read at answer time, so `pause` followed by `status` shows the pause at once.
import Catalog
import CohortControl
import Foundation

actor StatusCache {
    private let catalog: CatalogDatabase
    private let live: LiveConfiguration
    private let state: DaemonState
    /// Oldest catalog counts a reply may carry (seconds).
    let maxAge: TimeInterval
    private var latest: (snapshot: StatusSnapshot, at: Date)?
    private var refreshing: Task<StatusSnapshot, Error>?

    init(catalog: CatalogDatabase, live: LiveConfiguration, state: DaemonState, maxAge: TimeInterval = 0.25) {
        self.catalog = catalog
        self.live = live
        self.state = state
        self.maxAge = maxAge
    }

    /// The status: catalog counts at most `maxAge` old (one refresh shared by every caller waiting for
    /// it), live fields as of now.
    func snapshot() async throws -> StatusSnapshot {
        if let latest, Date().timeIntervalSince(latest.at) <= maxAge { return overlaid(latest.snapshot) }
        if let refreshing { return overlaid(try await refreshing.value) }
        let (catalog, configuration, state) = (self.catalog, live.current, self.state)
        let task = Task.detached { try StatusSnapshot.capture(catalog: catalog, configuration: configuration, state: state) }
        refreshing = task
        defer { refreshing = nil }
        DaemonMetrics.countStatusRefresh()  // cohort_status_refreshes_total: catalog reads, however many clients ask
        let fresh = try await task.value
        latest = (fresh, Date())
        return overlaid(fresh)
    }

    private func overlaid(_ snapshot: StatusSnapshot) -> StatusSnapshot {
        var s = snapshot
        s.paused = state.paused
        s.degraded = state.degraded
        s.job = state.progress
        s.uptimeSeconds = Date().timeIntervalSince(state.startedAt)
        return s
    }
}
