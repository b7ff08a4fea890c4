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
        #expect(log.all.contains { if case .inventory(let r, let paths) = $0 { return r == root && paths == [root + "/a/old.png"] }; return false })

        try dir.write("watched/a/new.png", [4])
        try FileManager.default.moveItem(atPath: dir.file("outside/moved.png"), toPath: root + "/a/moved.png")
        try FileManager.default.createDirectory(atPath: root + "/b/sub", withIntermediateDirectories: true)
        try dir.write("watched/b/sub/inner.png", [5])
        try FileManager.default.moveItem(atPath: dir.file("outside/tree"), toPath: root + "/c")
        try dir.write("watched/a/.hidden.png", [6])
        #expect(log.wait {
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
        #expect(log.wait { log.all.contains { if case .degraded(let r?) = $0 { return r.contains("does not exist") }; return false } })
        try dir.write("later/a/1.png", [1])
        #expect(log.wait { log.settled.contains(root + "/a/1.png") }, "periodic rescans find files while degraded")
        #expect(log.wait { log.all.contains(.degraded(reason: nil)) }, "healthy again once the root exists and is watched")
        try dir.write("later/a/2.png", [2])
        #expect(log.wait { log.settled.contains(root + "/a/2.png") })
    }
}
