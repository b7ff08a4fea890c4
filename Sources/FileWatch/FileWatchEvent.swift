// What the watcher tells its consumer. Events are hints, scans are truth (watchman's rule): a full
// inventory after every scan lets the consumer reconcile whatever the event stream missed.
import Foundation

/// Size and modification time of a file, the pair that decides whether it has settled and whether a
/// cataloged file changed.
public struct FileStamp: Sendable, Equatable, Hashable {
    /// Bytes.
    public var size: Int64
    /// Modification time, nanoseconds since the epoch.
    public var modified: Int64

    /// The stamp of an `lstat`/`fstat` result (modification time to the nanosecond).
    public init(_ info: stat) {
        self.init(size: Int64(info.st_size), modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
    }

    public init(size: Int64, modified: Int64) {
        self.size = size
        self.modified = modified
    }
}

/// One thing the watcher observed, in the order it observed it.
public enum FileWatchEvent: Sendable, Equatable {
    /// A file finished arriving (close-after-write, moved in or found by a scan) and its size and mtime
    /// stayed the same for the settle interval. `root` is the watched root it lies under.
    case settled(path: String, root: String, stamp: FileStamp)
    /// A file was deleted or moved out of the watched tree.
    case removed(path: String, root: String)
    /// A directory was deleted or moved away: everything under `path` is gone.
    case removedTree(path: String, root: String)
    /// A full scan of `root` finished: `paths` is every regular file present (settled or not). Anything the
    /// consumer knows under `root` that is not listed is gone.
    case inventory(root: String, paths: Set<String>)
    /// A file the watcher sees but cannot hand on — its name is not valid UTF-8 (`path` shows such bytes as
    /// `\xNN`) or its path is longer than PATH_MAX — with the reason. Full scans list it in the inventory.
    case unusable(path: String, root: String, reason: String)
    /// A full scan of `root` finished: `paths` are the entries it skipped by name — hidden files and folders,
    /// partial downloads, editor backups — sorted, and `reason` says why. inotify
    /// events for such names are dropped without a report (an rsync run makes thousands of them, gone in
    /// seconds); one that stays is named by the next full scan.
    case ignored(root: String, paths: [String], reason: String)
    /// The kernel's inotify queue overflowed: events were lost, and every root is being rescanned.
    case overflowed
    /// The watcher's health changed (for example: out of inotify watches, so it falls back to periodic
    /// rescans). `nil` means healthy again.
    case degraded(reason: String?)
}
