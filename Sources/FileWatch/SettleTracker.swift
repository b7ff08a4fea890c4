// Deciding when a file has finished arriving. Scanners and network copies write slowly and sometimes
// close and reopen a file; a file counts as settled once its size and mtime have not changed for the
// settle interval after the last sign of activity.

/// Pending files and the last time each changed. Pure bookkeeping: the caller supplies the clock and
/// the stat function, so it is tested without a file system.
public struct SettleTracker: Sendable {
    struct Pending: Sendable {
        var root: String
        var stamp: FileStamp?
        var changedAt: Double
    }

    /// Seconds a file must stay unchanged.
    public let interval: Double
    private var pending: [String: Pending] = [:]

    public init(interval: Double) { self.interval = interval }

    /// Number of files waiting to settle.
    public var count: Int { pending.count }

    /// Notes activity on `path` at time `now` (seconds, any monotonic origin); restarts its settle clock.
    public mutating func touch(_ path: String, root: String, now: Double) {
        pending[path] = Pending(root: root, stamp: pending[path]?.stamp, changedAt: now)
    }

    /// Forgets `path` (deleted before it settled).
    public mutating func forget(_ path: String) { pending[path] = nil }

    /// Forgets everything under the directory `prefix`.
    public mutating func forget(under prefix: String) {
        let folder = prefix.hasSuffix("/") ? prefix : prefix + "/"
        for path in pending.keys where path.hasPrefix(folder) { pending[path] = nil }
    }

    /// Re-stats every pending file and returns the ones that have settled (removing them). A file whose
    /// stat fails is dropped: it went away before settling.
    public mutating func settled(now: Double, stat: (String) -> FileStamp?) -> [(path: String, root: String, stamp: FileStamp)] {
        var done: [(path: String, root: String, stamp: FileStamp)] = []
        for (path, var entry) in pending {
            guard let current = stat(path) else { pending[path] = nil; continue }
            if entry.stamp != current {
                // First look, or it changed since the last look: the settle clock starts now.
                entry.stamp = current
                entry.changedAt = now
                pending[path] = entry
            }
            if now - entry.changedAt >= interval {
                done.append((path, entry.root, current))
                pending[path] = nil
            }
        }
        return done.sorted { $0.path < $1.path }
    }
}
