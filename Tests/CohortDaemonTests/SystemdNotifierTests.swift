// sd_notify without libsystemd: the datagram reaches a listening $NOTIFY_SOCKET, path or abstract.
import CohortTestSupport
import Foundation
import Testing

@testable import CohortDaemon

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SystemdNotifierTests {
    /// A bound datagram socket at `path` (leading "@": abstract).
    static func listener(_ path: String) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func receive(_ fd: Int32) -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
    }

    @Test func notifiesAPathAndAnAbstractSocket() throws {
        let dir = try TemporaryDirectory()
        for path in [dir.file("notify"), "@cohort-test-\(getpid())"] {
            let fd = Self.listener(path)
            defer { close(fd) }
            let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
            #expect(notifier.notify("READY=1\nSTATUS=idle"))
            #expect(Self.receive(fd) == "READY=1\nSTATUS=idle")
        }
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"), "no NOTIFY_SOCKET: nothing sent")
    }

    @Test func watchdogIntervalComesFromTheEnvironment() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == .seconds(30))
        #expect(
            SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]) == nil, "another process's watchdog")
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }
}
