// The only owner of libinotifytools. The library keeps process-global state, so one dedicated thread
// makes every call: it adds recursive watches, reads events with a short timeout, settles files,
// rescans on queue overflow and, when the kernel runs out of watches, degrades to periodic rescans
// instead of failing. Consumers get `FileWatchEvent`s through a callback (called on that thread).
import CInotifyTools
import Foundation

/// Watches directory trees for image files arriving, changing and leaving.
public final class FileWatcher: @unchecked Sendable {
    /// Tuning knobs, all in seconds.
    public struct Settings: Sendable {
        /// How long size and mtime must stay unchanged before a file counts as arrived.
        public var settleInterval: Double = 2
        /// Full rescan period while degraded (out of watches, or a root missing).
        public var degradedRescanInterval: Double = 30
        public init() {}
    }

    private let roots: [String]
    private let settings: Settings
    private let emit: @Sendable (FileWatchEvent) -> Void
    private let lock = NSLock()
    private var stopRequested = false
    private var rescanRequested: Set<String> = []
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// Watches `roots` (absolute directory paths). `emit` is called on the watcher's thread; it must not block long.
    public init(roots: [String], settings: Settings = Settings(), emit: @escaping @Sendable (FileWatchEvent) -> Void) {
        self.roots = roots.map { $0.hasSuffix("/") && $0.count > 1 ? String($0.dropLast()) : $0 }
        self.settings = settings
        self.emit = emit
    }

    /// Starts the watcher thread: it adds the watches, then scans every root (the reconciliation scan).
    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "cohort-filewatch"
        self.thread = thread
        thread.start()
    }

    /// Asks for a full rescan of every root (or of `root`) on the watcher thread.
    public func requestRescan(root: String? = nil) {
        lock.withLock { for r in roots where root == nil || root == r { rescanRequested.insert(r) } }
    }

    /// Stops the thread and waits for it (at most about one event-timeout, 1 s).
    public func stop() {
        let started = lock.withLock { () -> Bool in
            stopRequested = true
            return thread != nil
        }
        if started { finished.wait() }
    }

    // MARK: The watcher thread

    private static let eventMask = Int32(
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE
            | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)

    private var tracker = SettleTracker(interval: 2)
    private var degradedReason: String?
    private var lastDegradedScan = 0.0
    private var unwatchedRoots: Set<String> = []
    /// Directories moved away, by inotify cookie, until their IN_MOVED_TO arrives (a rename inside the
    /// tree) or a second passes (moved out of the tree: their watches are dropped).
    private var movesOut: [UInt32: (path: String, time: Double)] = [:]

    private func run() {
        defer { inotifytools_cleanup(); finished.signal() }
        tracker = SettleTracker(interval: settings.settleInterval)
        guard inotifytools_initialize() != 0 else {
            setDegraded("inotify unavailable (\(String(cString: strerror(inotifytools_error())))): periodic rescans only")
            return runWithoutInotify()
        }
        for root in roots { addWatches(root: root) }
        for root in roots { scan(root: root, under: root) }
        while !lock.withLock({ stopRequested }) {
            if let event = inotifytools_next_event(1) { handle(event) }
            tick()
        }
    }

    /// Without inotify at all: rescans on a timer until stopped.
    private func runWithoutInotify() {
        for root in roots { scan(root: root, under: root) }
        while !lock.withLock({ stopRequested }) {
            Thread.sleep(forTimeInterval: 0.5)
            tick()
        }
    }

    private func now() -> Double { ProcessInfo.processInfo.systemUptime }

    /// Periodic work between events: requested rescans, degraded rescans, settled files.
    private func tick() {
        for (cookie, move) in movesOut where now() - move.time > 1 {
            movesOut[cookie] = nil
            inotifytools_remove_watch_by_filename(move.path + "/")
        }
        let requested = lock.withLock { () -> Set<String> in
            defer { rescanRequested = [] }; return rescanRequested
        }
        for root in requested.sorted() {
            if unwatchedRoots.contains(root) { addWatches(root: root) }
            scan(root: root, under: root)
        }
        if degradedReason != nil, now() - lastDegradedScan >= settings.degradedRescanInterval {
            lastDegradedScan = now()
            for root in roots {
                addWatches(root: root)
                scan(root: root, under: root)
            }
            if unwatchedRoots.isEmpty && inotifytools_get_num_watches() > 0 { setDegraded(nil) }
        }
        for file in tracker.settled(now: now(), stat: { DirectoryScan.stat($0).flatMap { $0.1 == .regular ? $0.0 : nil } }) {
            emit(.settled(path: file.path, root: file.root, stamp: file.stamp))
        }
    }

    private func setDegraded(_ reason: String?) {
        guard reason != degradedReason else { return }
        degradedReason = reason
        lastDegradedScan = now()
        emit(.degraded(reason: reason))
    }

    /// Adds recursive watches under `path`; running out of watches (ENOSPC) or a missing root degrades.
    private func addWatches(root: String, path: String? = nil) {
        let target = path ?? root
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory), isDirectory.boolValue else {
            if path == nil {
                unwatchedRoots.insert(root)
                setDegraded("watched root \(root) does not exist or is not a directory: rescanning every \(Int(settings.degradedRescanInterval)) s")
            }
            return
        }
        var watched = inotifytools_watch_recursively(target, FileWatcher.eventMask) != 0
        if !watched && inotifytools_error() == ENAMETOOLONG {
            // A folder nested past PATH_MAX makes the library give up on the whole tree. Watch the rest:
            // exclude the folders holding too-long paths (the scans report those paths as unusable).
            watched = watchExcludingTooDeep(target)
        }
        if !watched {
            let code = inotifytools_error()
            unwatchedRoots.insert(root)
            if code == ENOSPC {
                setDegraded(
                    "out of inotify watches (fs.inotify.max_user_watches=\(inotifytools_get_max_user_watches())) under \(target): rescanning every \(Int(settings.degradedRescanInterval)) s"
                )
            } else {
                setDegraded("cannot watch \(target): \(String(cString: strerror(code))): rescanning every \(Int(settings.degradedRescanInterval)) s")
            }
        } else if path == nil {
            unwatchedRoots.remove(root)
        }
    }

    /// Watches `target` recursively except the folders that hold paths longer than PATH_MAX; true when
    /// the library accepted it. (Excluding only the too-long paths themselves is not enough: the library
    /// fails while listing their parent.) Files directly in an excluded folder are still found by full
    /// scans — at start, on overflow and on `rescan` — but not as they arrive.
    private func watchExcludingTooDeep(_ target: String) -> Bool {
        let tooLong = DirectoryScan.scan(under: target).unusable.filter { $0.value == DirectoryScan.tooLongReason }.keys
        let parents = Set(tooLong.map { ($0 as NSString).deletingLastPathComponent })
        let excluded = parents.sorted().map { strdup($0) }
        defer { excluded.forEach { free($0) } }
        var list: [UnsafePointer<CChar>?] = excluded.map { UnsafePointer($0) } + [nil]
        return list.withUnsafeMutableBufferPointer { inotifytools_watch_recursively_with_exclude(target, FileWatcher.eventMask, $0.baseAddress) != 0 }
    }

    /// Scans `directory` (part of `root`): every file goes to the settle tracker; a full-root scan also
    /// reports the inventory so the consumer can drop what disappeared.
    private func scan(root: String, under directory: String) {
        let listing = DirectoryScan.scan(under: directory)
        let t = now()
        for path in listing.files.keys { tracker.touch(path, root: root, now: t) }
        for (path, reason) in listing.unusable.sorted(by: { $0.key < $1.key }) { emit(.unusable(path: path, root: root, reason: reason)) }
        if directory == root {
            emit(.ignored(root: root, paths: listing.ignored.sorted(), reason: DirectoryScan.ignoredReason))
            emit(.inventory(root: root, paths: Set(listing.files.keys).union(listing.unusable.keys)))
        }
    }

    private func root(of path: String) -> String? {
        roots.first { path == $0 || path.hasPrefix($0 + "/") }
    }

    private func handle(_ event: UnsafeMutablePointer<inotify_event>) {
        let mask = Int32(bitPattern: event.pointee.mask)
        if mask & Int32(IN_Q_OVERFLOW) != 0 {
            // The kernel dropped events: only a full rescan can tell what happened.
            emit(.overflowed)
            for root in roots { scan(root: root, under: root) }
            return
        }
        guard let directoryC = inotifytools_filename_from_wd(event.pointee.wd) else { return }
        var directory = String(cString: directoryC)
        if directory.hasSuffix("/") && directory.count > 1 { directory.removeLast() }
        let nameBytes = Array(UnsafeRawBufferPointer(start: cohort_inotify_event_name(event), count: strlen(cohort_inotify_event_name(event))))
        let valid = String(validating: nameBytes, as: UTF8.self)
        let name = valid ?? DirectoryScan.displayName(nameBytes)
        let path = name.isEmpty ? directory : directory + "/" + name
        guard let root = root(of: path) else { return }
        if !name.isEmpty && DirectoryScan.isIgnored(name: name) { return }
        let isDirectory = mask & Int32(IN_ISDIR) != 0
        if valid == nil || path.utf8.count >= DirectoryScan.pathMax {
            // Not a name the rest of the system can open: say why once it arrives, forget it when it goes.
            if mask & Int32(IN_DELETE | IN_MOVED_FROM) != 0 {
                emit(isDirectory ? .removedTree(path: path, root: root) : .removed(path: path, root: root))
            } else if mask & Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) != 0 {
                emit(.unusable(path: path, root: root, reason: valid == nil ? DirectoryScan.notUTF8Reason : DirectoryScan.tooLongReason))
            }
            return
        }

        if mask & Int32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            // A watched directory vanished or moved: watches under it are stale. The root itself going
            // away degrades until it comes back; a subdirectory is handled by its parent's event.
            if path == root {
                inotifytools_remove_watch_by_wd(event.pointee.wd)
                tracker.forget(under: root)
                emit(.removedTree(path: root, root: root))
                addWatches(root: root)
            }
            return
        }
        if isDirectory {
            if mask & Int32(IN_MOVED_TO) != 0, let from = movesOut.removeValue(forKey: event.pointee.cookie) {
                // A directory renamed inside the tree: its watches (and its subdirectories') keep working
                // under the new name once the library's names are rewritten, as inotifywait does.
                inotifytools_replace_filename(from.path + "/", path + "/")
                scan(root: root, under: path)
            } else if mask & Int32(IN_CREATE | IN_MOVED_TO) != 0 {
                // Watch first, then scan: files created between the two are seen by one or the other.
                addWatches(root: root, path: path)
                scan(root: root, under: path)
            } else if mask & Int32(IN_DELETE | IN_MOVED_FROM) != 0 {
                tracker.forget(under: path)
                emit(.removedTree(path: path, root: root))
                if mask & Int32(IN_MOVED_FROM) != 0 { movesOut[event.pointee.cookie] = (path, now()) }
            }
            return
        }
        if mask & Int32(IN_DELETE | IN_MOVED_FROM) != 0 {
            tracker.forget(path)
            emit(.removed(path: path, root: root))
        } else if mask & Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) != 0 {
            // IN_CREATE covers hard links, which never write; a file still being written keeps changing
            // its size or mtime and so does not settle early. A link, FIFO or device is reported at once.
            if case .other(let what)? = DirectoryScan.stat(path)?.1 {
                emit(.unusable(path: path, root: root, reason: DirectoryScan.notRegularReason(what)))
                return
            }
            tracker.touch(path, root: root, now: now())
        } else if mask & Int32(IN_ATTRIB) != 0 {
            // `touch` or a metadata change of a file already known: re-check it once it settles.
            if DirectoryScan.stat(path)?.1 == .regular { tracker.touch(path, root: root, now: now()) }
        }
    }
}
