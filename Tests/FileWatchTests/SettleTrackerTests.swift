// Settling without a file system: a file counts as arrived only after its size and mtime stay the
// same for the whole interval.
import Testing

@testable import FileWatch

@Suite struct SettleTrackerTests {
    @Test func aFileSettlesAfterTheIntervalWithoutChange() {
        var tracker = SettleTracker(interval: 2)
        var stamps = ["/a": FileStamp(size: 10, modified: 1)]
        tracker.touch("/a", root: "/", now: 0)
        #expect(tracker.settled(now: 0.5) { stamps[$0] }.isEmpty, "first look starts the clock")
        stamps["/a"] = FileStamp(size: 20, modified: 2)
        #expect(tracker.settled(now: 1.5) { stamps[$0] }.isEmpty, "it grew: the clock restarts")
        #expect(tracker.settled(now: 3.0) { stamps[$0] }.isEmpty, "1.5 s of quiet is not enough")
        let done = tracker.settled(now: 3.6) { stamps[$0] }
        #expect(done.map(\.path) == ["/a"])
        #expect(done.first?.stamp == FileStamp(size: 20, modified: 2))
        #expect(tracker.count == 0)
    }

    @Test func aTouchRestartsTheClockAndVanishedFilesAreDropped() {
        var tracker = SettleTracker(interval: 1)
        let stamps = ["/a": FileStamp(size: 1, modified: 1)]
        tracker.touch("/a", root: "/", now: 0)
        tracker.touch("/gone", root: "/", now: 0)
        _ = tracker.settled(now: 0.1) { stamps[$0] }
        #expect(tracker.count == 1, "a file that vanished before settling is forgotten")
        tracker.touch("/a", root: "/", now: 0.9)
        #expect(tracker.settled(now: 1.5) { stamps[$0] }.isEmpty)
        #expect(tracker.settled(now: 2.0) { stamps[$0] }.count == 1)
    }

    @Test func forgettingADirectoryDropsWhatIsUnderIt() {
        var tracker = SettleTracker(interval: 1)
        for path in ["/r/a/1", "/r/a/2", "/r/ab/3"] { tracker.touch(path, root: "/r", now: 0) }
        tracker.forget(under: "/r/a")
        #expect(tracker.count == 1, "/r/ab is a different folder")
    }
}
