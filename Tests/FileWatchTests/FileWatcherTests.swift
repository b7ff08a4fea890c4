// The watcher on a real file system with real inotify: existing files, copies, moves in and out, new
// directories, renamed directories, deletions, and a missing root reported as degraded.
import CohortTestSupport
import Foundation
import Testing

@testable import FileWatch

/// Collects events from the watcher thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [FileWatchEvent] = []
    func append(_ event: FileWatchEvent) { lock.withLock { events.append(event) } }
    var all: [FileWatchEvent] { lock.withLock { events } }

    var settled: Set<String> {
        Set(all.compactMap { if case .settled(let path, _, _) = $0 { return path } else { return nil } })
    }
    var removed: Set<String> {
        Set(all.compactMap { if case .removed(let path, _) = $0 { return path } else { return nil } })
    }
    var removedTrees: Set<String> {
        Set(all.compactMap { if case .removedTree(let path, _) = $0 { return path } else { return nil } })
    }

    func wait(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }
}

@Suite(.serialized) struct FileWatcherTests {
    static func settings() -> FileWatcher.Settings {
        var s = FileWatcher.Settings()
        s.settleInterval = 0.3
        s.degradedRescanInterval = 1
        return s
    }

    @Test func seesExistingNewMovedAndDeletedFiles() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("watched")
        try dir.write("watched/a/old.png", [1])
        try dir.write("outside/moved.png", [2])
        try dir.write("outside/tree/deep/x.png", [3])
        let log = EventLog()
        let watcher = FileWatcher(roots: [root], settings: Self.settings()) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        #expect(log.wait { log.settled.contains(root + "/a/old.png") }, "the start-up scan finds existing files")
        #expect(
            log.all.contains {
                if case .inventory(let r, let paths) = $0 { return r == root && paths == [root + "/a/old.png"] }; return false
            })

        try dir.write("watched/a/new.png", [4])
        try FileManager.default.moveItem(atPath: dir.file("outside/moved.png"), toPath: root + "/a/moved.png")
        try FileManager.default.createDirectory(atPath: root + "/b/sub", withIntermediateDirectories: true)
        try dir.write("watched/b/sub/inner.png", [5])
        try FileManager.default.moveItem(atPath: dir.file("outside/tree"), toPath: root + "/c")
        try dir.write("watched/a/.hidden.png", [6])
        #expect(
            log.wait {
                log.settled.isSuperset(of: [root + "/a/new.png", root + "/a/moved.png", root + "/b/sub/inner.png", root + "/c/deep/x.png"])
            }, "copies, moves in, new directories and moved-in trees: \(log.settled.sorted())")
        #expect(!log.settled.contains(root + "/a/.hidden.png"), "hidden files are ignored")

        try FileManager.default.removeItem(atPath: root + "/a/new.png")
        try FileManager.default.moveItem(atPath: root + "/a/moved.png", toPath: dir.file("outside/moved-back.png"))
        #expect(log.wait { log.removed.isSuperset(of: [root + "/a/new.png", root + "/a/moved.png"]) })

        // A directory renamed inside the tree: the old path goes, the new one arrives, and its watches
        // keep working under the new name.
        try FileManager.default.moveItem(atPath: root + "/b", toPath: root + "/renamed")
        #expect(log.wait { log.removedTrees.contains(root + "/b") && log.settled.contains(root + "/renamed/sub/inner.png") })
        try dir.write("watched/renamed/sub/later.png", [7])
        #expect(log.wait { log.settled.contains(root + "/renamed/sub/later.png") }, "watches follow a renamed directory")
    }

    /// Hidden files, partial downloads and backups are never ingested, but a full scan names them with the
    /// reason (before, they vanished without a word: the torture suite's bad-input scenario found them silent).
    @Test func aFullScanNamesWhatItSkipsByName() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("watched")
        for name in ["a/.hidden.png", "a/scan.png.part", "a/scan.png~", "a/kept.png", ".git/HEAD"] { try dir.write("watched/" + name, [1]) }
        let log = EventLog()
        let watcher = FileWatcher(roots: [root], settings: Self.settings()) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        #expect(log.wait { log.settled.contains(root + "/a/kept.png") })
        let ignored = log.all.compactMap {
            if case .ignored(let r, let paths, let reason) = $0, r == root { return (paths, reason) } else { return nil }
        }
        #expect(ignored.first?.0 == [root + "/.git", root + "/a/.hidden.png", root + "/a/scan.png.part", root + "/a/scan.png~"])
        #expect(ignored.first?.1.contains("hidden") == true)
        #expect(!log.settled.contains(root + "/a/.hidden.png"))
    }

    @Test func aSlowWriteSettlesOnlyAfterItStops() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("watched")
        try FileManager.default.createDirectory(atPath: root + "/a", withIntermediateDirectories: true)
        let log = EventLog()
        var settings = Self.settings()
        settings.settleInterval = 1.0
        let watcher = FileWatcher(roots: [root], settings: settings) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        _ = log.wait { !log.all.isEmpty }
        let path = root + "/a/slow.png"
        FileManager.default.createFile(atPath: path, contents: Data([0]))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        for i in 0..<6 {
            handle.seekToEndOfFile()
            handle.write(Data([UInt8(i)]))
            Thread.sleep(forTimeInterval: 0.3)
            #expect(!log.settled.contains(path), "still being written after \(i + 1) chunks")
        }
        try handle.close()
        #expect(log.wait { log.settled.contains(path) })
        let stamp = log.all.compactMap { if case .settled(let p, _, let s) = $0, p == path { return s } else { return nil } }.first
        #expect(stamp?.size == 7, "settled with its final size")
    }

    @Test func aMissingRootIsDegradedThenRecovers() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("later")
        let log = EventLog()
        let watcher = FileWatcher(roots: [root], settings: Self.settings()) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        #expect(
            log.wait {
                log.all.contains {
                    if case .degraded(let r?) = $0 { return r.contains("does not exist") }; return false
                }
            })
        try dir.write("later/a/1.png", [1])
        #expect(log.wait { log.settled.contains(root + "/a/1.png") }, "periodic rescans find files while degraded")
        #expect(log.wait { log.all.contains(.degraded(reason: nil)) }, "healthy again once the root exists and is watched")
        try dir.write("later/a/2.png", [2])
        #expect(log.wait { log.settled.contains(root + "/a/2.png") })
    }

    /// Creates `name` (raw bytes, not necessarily UTF-8) in `directory` with one byte of content.
    func createRaw(_ directory: String, _ name: [UInt8]) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY)
        #expect(fd >= 0)
        defer { close(fd) }
        let file = (name + [0]).withUnsafeBufferPointer {
            openat(fd, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
        }
        #expect(file >= 0)
        _ = write(file, [UInt8(7)], 1)
        close(file)
    }

    /// A name that is not valid UTF-8 is reported with a reason — from the start-up scan and from inotify —
    /// and listed in the inventory; before, it was silently never seen (its repaired String named no file).
    @Test func aNonUTF8NameIsReportedNotSkipped() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("watched")
        try dir.write("watched/a/ok.png", [1])
        try createRaw(root + "/a", Array("scan-".utf8) + [0xFF, 0xFE] + Array(".png".utf8))  // Latin-1 bytes, invalid UTF-8
        let log = EventLog()
        let watcher = FileWatcher(roots: [root], settings: Self.settings()) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        func unusable() -> [String: String] {
            Dictionary(log.all.compactMap { if case .unusable(let path, _, let reason) = $0 { return (path, reason) } else { return nil } }) { a, _ in
                a
            }
        }
        let first = root + "/a/scan-\\xFF\\xFE.png"
        #expect(log.wait { unusable()[first]?.contains("not valid UTF-8") == true }, "\(log.all)")
        #expect(log.wait { log.settled.contains(root + "/a/ok.png") })
        #expect(
            log.all.contains {
                if case .inventory(_, let paths) = $0 { return paths.contains(first) }; return false
            })
        try createRaw(root + "/a", Array("later-".utf8) + [0xC3] + Array(".png".utf8))  // a truncated 2-byte sequence
        #expect(log.wait { unusable()[root + "/a/later-\\xC3.png"] != nil }, "from inotify: \(unusable().keys.sorted())")
    }

    /// A folder nested deeper than PATH_MAX: files in it are reported as unusable, and watching of the rest
    /// of the root keeps working (before, the whole root degraded to periodic rescans for good).
    @Test func aTreeDeeperThanPathMaxIsReportedAndTheRestWatched() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("watched")
        try dir.write("watched/a/ok.png", [1])
        // 40 levels of 120-byte names: about 4,800 bytes, past PATH_MAX; made with mkdirat from open folders.
        var fd = open(root, O_RDONLY | O_DIRECTORY)
        let component = String(repeating: "d", count: 120)
        for _ in 0..<40 {
            #expect(mkdirat(fd, component, 0o755) == 0)
            let next = openat(fd, component, O_RDONLY | O_DIRECTORY)
            close(fd)
            fd = next
        }
        let file = openat(fd, "deep.png", O_WRONLY | O_CREAT, 0o644)
        close(file)
        close(fd)
        let log = EventLog()
        let watcher = FileWatcher(roots: [root], settings: Self.settings()) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        #expect(log.wait { log.settled.contains(root + "/a/ok.png") }, "\(log.all.map { "\($0)".prefix(300) })")
        #expect(
            log.wait {
                log.all.contains {
                    if case .unusable(_, _, let reason) = $0 { return reason.contains("PATH_MAX") }; return false
                }
            },
            "the too-deep part is reported: \(log.all.filter { if case .settled = $0 { return false }; return true })")
        #expect(
            !log.all.contains {
                if case .degraded(let r?) = $0 { return !r.isEmpty }; return false
            }, "not degraded: \(log.all)")
        try dir.write("watched/a/new.png", [2])
        #expect(log.wait { log.settled.contains(root + "/a/new.png") }, "the rest of the root is still watched")
    }

    /// Symbolic links, FIFOs and sockets get a reason instead of being skipped without a word — found by
    /// the start-up scan and, for ones created later, by inotify.
    @Test func linksAndFIFOsAreReportedWithAReason() throws {
        let dir = try TemporaryDirectory()
        let root = dir.file("watched")
        try dir.write("watched/a/ok.png", [1])
        #expect(symlink(root + "/a/ok.png", root + "/a/link.png") == 0)
        #expect(mkfifo(root + "/a/pipe.png", 0o644) == 0)
        let log = EventLog()
        let watcher = FileWatcher(roots: [root], settings: Self.settings()) { log.append($0) }
        watcher.start()
        defer { watcher.stop() }
        func reason(_ path: String) -> String? {
            log.all.lazy.compactMap { if case .unusable(let p, _, let r) = $0, p == path { return r } else { return nil } }.first
        }
        #expect(
            log.wait {
                reason(root + "/a/link.png")?.hasPrefix("a symbolic link") == true && reason(root + "/a/pipe.png")?.hasPrefix("a FIFO") == true
            },
            "\(log.all)")
        #expect(log.wait { log.settled.contains(root + "/a/ok.png") })
        #expect(!log.settled.contains(root + "/a/link.png"))
        #expect(symlink("/etc/passwd", root + "/a/later.png") == 0)
        #expect(log.wait { reason(root + "/a/later.png")?.hasPrefix("a symbolic link") == true }, "from inotify")
    }
}
