// The configuration in force, and reloading it (SIGHUP, `cohortctl reload`). Settings the running
// services read afresh each time — balance, GAN and classifier schedules, control access, test roots —
// change at once; settings that shaped what was built at start (paths, the dataset list, watch roots,
// image sizes, threads, decode limits) are kept and named as needing a restart, so a reload never
// leaves the daemon half in one configuration and half in another.
import Foundation

/// What a reload did.
public struct ReloadOutcome: Sendable, Equatable {
    /// Keys whose new values are in force.
    public var applied: [String]
    /// Keys that changed in the file but keep their old values until a restart.
    public var needsRestart: [String]
}

extension DaemonConfiguration {
    /// `self` with the reloadable settings of `new` taken over, plus what changed and what must wait
    /// for a restart. Pure, so the rules are tested without a daemon.
    public func reloaded(from new: DaemonConfiguration) -> (DaemonConfiguration, ReloadOutcome) {
        var merged = self
        var applied: [String] = []
        var restart: [String] = []
        func take<T: Equatable>(_ key: String, _ path: WritableKeyPath<DaemonConfiguration, T>) {
            guard self[keyPath: path] != new[keyPath: path] else { return }
            merged[keyPath: path] = new[keyPath: path]
            applied.append(key)
        }
        func keep<T: Equatable>(_ key: String, _ path: KeyPath<DaemonConfiguration, T>) {
            if self[keyPath: path] != new[keyPath: path] { restart.append(key) }
        }
        take("balance", \.balance)
        take("gan", \.gan)
        take("classifier", \.classifier)
        if (control.adminGroup, control.adminGID) != (new.control.adminGroup, new.control.adminGID) {
            merged.control.adminGroup = new.control.adminGroup
            merged.control.adminGID = new.control.adminGID
            applied.append("control.admin_group")
        }
        take("control.idle_timeout_seconds", \.control.idleTimeoutSeconds)
        take("metrics", \.metrics)
        keep("state_directory", \.stateDirectory)
        keep("socket_path", \.socketPath)
        keep("control.socket_group", \.control.socketGID)
        keep("control.max_connections", \.control.maxConnections)
        keep("threads", \.threads)
        keep("settle_seconds", \.settleSeconds)
        keep("degraded_rescan_seconds", \.degradedRescanSeconds)
        keep("validation_fraction", \.validationFraction)
        keep("decode", \.decodeLimits)
        // A dataset's test root only matters to the next classifier job; anything else about the
        // dataset list is wired into the watcher and the router.
        let sameShape =
            datasets.map { [$0.name, $0.watchRoot, $0.outputRoot, String($0.imageSize), $0.classes.joined(separator: ",")] }
            == new.datasets.map { [$0.name, $0.watchRoot, $0.outputRoot, String($0.imageSize), $0.classes.joined(separator: ",")] }
        if sameShape {
            for (i, dataset) in new.datasets.enumerated() where datasets[i].testRoot != dataset.testRoot {
                merged.datasets[i].testRoot = dataset.testRoot
                applied.append("dataset.\(dataset.name).test_root")
            }
        } else {
            restart.append("datasets")
        }
        return (merged, ReloadOutcome(applied: applied, needsRestart: restart))
    }
}

/// The configuration in force, shared by the services; replaced whole on reload.
public final class LiveConfiguration: @unchecked Sendable {
    private let lock = NSLock()
    private var value: DaemonConfiguration

    public init(_ configuration: DaemonConfiguration) { value = configuration }

    public var current: DaemonConfiguration { lock.withLock { value } }

    /// Reads the file the configuration came from again and applies what can change live.
    /// Throws the file's ConfigurationError (nothing changes then).
    public func reload(environment: [String: String] = ProcessInfo.processInfo.environment) async throws(ConfigurationError) -> ReloadOutcome {
        let old = current
        guard let source = old.source else {
            throw ConfigurationError(file: "(built in)", key: "", problem: "this configuration has no file to reload")
        }
        let fresh = try await DaemonConfiguration.load(path: source, environment: environment)
        return lock.withLock {
            let (merged, outcome) = value.reloaded(from: fresh)
            value = merged
            return outcome
        }
    }
}
