// The control socket of a running cohortd: read-only and mutating commands, typed errors for malformed
// and mismatched frames, an oversized frame disconnects only that client, and 100 concurrent clients.
import CohortTestSupport
import Dispatch
import Foundation
import Testing

@Suite(.serialized) struct ControlSocketIntegrationTests {
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func commandsErrorsAndConcurrentClients() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        try h.phantoms(label: 0, count: 4, seed: 1, into: h.incoming + "/one_lesion")
        try h.phantoms(label: 1, count: 2, seed: 2, into: h.incoming + "/two_lesions")
        let daemon = try h.start()
        let socket = h.dir.file("cohortd.sock")
        #expect(daemon.wait(timeout: 60) { daemon.counts(h.dataset, "real") == ["one_lesion": 4, "two_lesions": 2] }, "\(daemon.log)")
        #expect(daemon.wait(timeout: 10) { UnixSocketClient(path: socket) != nil })
        var mode = stat()
        #expect(stat(socket, &mode) == 0 && mode.st_mode & 0o777 == 0o660, "socket mode 0660")

        let client = try #require(UnixSocketClient(path: socket))
        let version = client.request(#"{"v":1,"id":1,"cmd":"version"}"#)
        #expect(version?["ok"] as? Bool == true && version?["id"] as? Int == 1)
        let status = client.request(#"{"v":1,"id":2,"cmd":"status"}"#)
        let datasets = (status?["result"] as? [String: Any])?["datasets"] as? [[String: Any]]
        #expect(datasets?.first?["name"] as? String == "phantom")
        #expect(client.request(#"{"v":1,"id":3,"cmd":"pause"}"#)?["ok"] as? Bool == true, "root may pause")
        let paused = client.request(#"{"v":1,"id":4,"cmd":"status"}"#)?["result"] as? [String: Any]
        #expect(paused?["paused"] as? Bool == true)
        #expect(client.request(#"{"v":1,"id":5,"cmd":"resume"}"#)?["ok"] as? Bool == true)
        let queued = client.request(#"{"v":1,"id":6,"cmd":"train","args":{"kind":"gan","dataset":"nope"}}"#)
        #expect((queued?["error"] as? [String: Any])?["code"] as? String == "not_found")

        func errorCode(_ reply: [String: Any]?) -> String? { (reply?["error"] as? [String: Any])?["code"] as? String }
        #expect(errorCode(client.request("this is not json")) == "malformed_frame")
        #expect(errorCode(client.request(#"{"v":7,"id":8,"cmd":"status"}"#)) == "version_mismatch")
        #expect(errorCode(client.request(#"{"v":1,"id":9,"cmd":"launch"}"#)) == "unknown_command")
        #expect(client.request(#"{"v":1,"id":10,"cmd":"version"}"#)?["ok"] as? Bool == true, "errors keep the connection")

        // ... up to 16 protocol-level refusals in a row (a good request resets the count): the 16th answers
        // with the reason and closes, so a broken or hostile client stops costing the event loop.
        let noisy = try #require(UnixSocketClient(path: socket))
        for _ in 0..<15 { #expect(errorCode(noisy.request("garbage")) == "malformed_frame") }
        #expect(noisy.request(#"{"v":1,"id":1,"cmd":"version"}"#)?["ok"] as? Bool == true, "15 refusals keep the connection")
        for _ in 0..<15 { _ = noisy.request(#"{"v":1,"id":2,"cmd":"launch"}"#) }
        let last = noisy.request(#"{"v":1,"id":3,"cmd":"launch"}"#)?["error"] as? [String: Any]
        #expect((last?["message"] as? String)?.contains("16 refused requests in a row") == true, "\(String(describing: last))")
        #expect(noisy.readLine() == nil, "closed after the 16th refusal in a row")

        // An oversized frame: an error (when the client is still reading), then that client — only that
        // one — is disconnected.
        let big = try #require(UnixSocketClient(path: socket))
        big.send([UInt8](repeating: 0x61, count: (1 << 20) + 10))
        if let line = big.readLine() {
            #expect(errorCode(try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) == "frame_too_large")
            #expect(big.readLine() == nil, "disconnected")
        }
        #expect(client.request(#"{"v":1,"id":11,"cmd":"version"}"#)?["ok"] as? Bool == true, "other clients unaffected")

        // cohortctl against the running daemon: a table, --json unchanged, typed refusal, unreachable → 69.
        if let ctl = BuiltExecutable.path("cohortctl") {
            let table = try BuiltExecutable.run(ctl, ["status", "--socket", socket])
            #expect(table.status == 0 && table.stdout.contains("one_lesion") && table.stdout.contains("DEFICIT"), "\(table.stderr)")
            let json = try BuiltExecutable.run(ctl, ["version", "--json", "--socket", socket])
            #expect(json.status == 0 && json.stdout.contains("\"protocol\" : 1"))
            let refused = try BuiltExecutable.run(ctl, ["train", "gan", "--dataset", "nope", "--socket", socket])
            #expect(refused.status == 1 && refused.stderr.contains("not_found"))
            // The socket given before the subcommand, or in the environment, as systemctl and tailscale users expect.
            let before = try BuiltExecutable.run(ctl, ["--socket", socket, "status"])
            #expect(before.status == 0 && before.stdout.contains("one_lesion"), "\(before.stderr)")
            let equals = try BuiltExecutable.run(ctl, ["--timeout", "5", "--socket=\(socket)", "--json", "version"])
            #expect(equals.status == 0 && equals.stdout.contains("\"protocol\" : 1"), "\(equals.stderr)")
            let version = try BuiltExecutable.run(ctl, ["--version"])
            #expect(version.status == 0 && version.stdout.hasPrefix("cohortctl 0.") && version.stdout.contains("protocol v1"), "\(version.stdout)")
            let environment = try BuiltExecutable.run(ctl, ["status"], environment: ["COHORT_SOCKET": socket])
            #expect(environment.status == 0 && environment.stdout.contains("one_lesion"), "\(environment.stderr)")
            let away = try BuiltExecutable.run(ctl, ["status", "--socket", h.dir.file("nothing.sock")])
            #expect(away.status == 69 && away.stderr.contains("nothing.sock"))
        }

        // 100 concurrent clients, each with a status request.
        let answered = Counter()
        DispatchQueue.concurrentPerform(iterations: 100) { i in
            if let c = UnixSocketClient(path: socket), c.request(#"{"v":1,"id":\#(i),"cmd":"status"}"#)?["ok"] as? Bool == true {
                answered.increment()
            }
        }
        #expect(answered.value == 100)
        #expect(daemon.terminate().status == 0)
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket file is removed at shutdown")
    }

    /// The connection cap: with control.max_connections 3, a fourth client is told too_many_connections
    /// and closed; once one leaves, a new client is served (the cap counts open connections, not history).
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func connectionCapRefusesTheNewestClientWithAReason() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining + "\ncontrol:\n  max_connections: 3\n")
        let daemon = try h.start()
        let socket = h.dir.file("cohortd.sock")
        #expect(daemon.wait(timeout: 30) { FileManager.default.fileExists(atPath: socket) })
        var held: [UnixSocketClient] = []
        for id in 0..<3 {
            let client = try #require(UnixSocketClient(path: socket))
            #expect(client.request(#"{"v":1,"id":\#(id),"cmd":"version"}"#)?["ok"] as? Bool == true)
            held.append(client)
        }
        let extra = try #require(UnixSocketClient(path: socket))
        let refusal = extra.readLine().flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect((refusal?["error"] as? [String: Any])?["code"] as? String == "too_many_connections", "\(String(describing: refusal))")
        #expect(extra.readLine() == nil, "then the connection is closed")
        if let ctl = BuiltExecutable.path("cohortctl") {
            // cohortctl shows the daemon's reason, whether its request was sent before the close or not.
            for _ in 0..<5 {
                let refused = try BuiltExecutable.run(ctl, ["status", "--socket", socket])
                #expect(refused.status == 1 && refused.stderr.contains("too_many_connections"), "\(refused.stderr)")
            }
        }
        held.removeLast()  // one client leaves (its socket closes)
        #expect(
            daemon.wait(timeout: 10) {
                UnixSocketClient(path: socket)?.request(#"{"v":1,"id":9,"cmd":"status"}"#)?["ok"] as? Bool == true
            }, "a new client is served once one left")
        #expect(daemon.terminate().status == 0)
    }
}

extension ControlSocketIntegrationTests {
    /// With control.max_connections 4 the last slot is kept for administrators: three socket-group clients
    /// (uid 65534, subscribed so they stay) fill what others may use, a fourth is refused, root still gets in.
    @Test(
        .enabled(
            if: DaemonHarness.executable != nil && BuiltExecutable.path("cohortctl") != nil && getuid() == 0
                && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root, setpriv and a build of cohortd and cohortctl"))
    func theLastSlotsAreKeptForAdministrators() throws {
        let h = try DaemonHarness(
            extra: IngestIntegrationTests.noTraining + "\ncontrol:\n  max_connections: 4\n  socket_group: 4242\n  admin_group: 4343\n")
        let daemon = try h.start()
        let socket = h.dir.file("cohortd.sock")
        #expect(daemon.wait(timeout: 30) { UnixSocketClient(path: socket) != nil })
        chmod(h.dir.path, 0o755)
        let ctl = h.dir.file("cohortctl")
        try FileManager.default.copyItem(atPath: BuiltExecutable.path("cohortctl")!, toPath: ctl)
        let asMember = ["--reuid", "65534", "--regid", "65534", "--groups", "4242", ctl]
        var holders: [Process] = []
        defer { holders.forEach { $0.terminate() } }
        for _ in 0..<3 {
            let holder = Process()
            holder.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            holder.arguments = asMember + ["subscribe", "--socket", socket]
            holder.standardOutput = FileHandle.nullDevice
            try holder.run()
            holders.append(holder)
        }
        Thread.sleep(forTimeInterval: 1)
        #expect(holders.allSatisfy { $0.isRunning }, "the subscribers hold their connections")
        let member = try BuiltExecutable.run("/usr/bin/setpriv", asMember + ["status", "--socket", socket])
        #expect(member.status == 1 && member.stderr.contains("too_many_connections"), "a fourth group member: \(member.stderr)")
        let root = try BuiltExecutable.run(ctl, ["status", "--socket", socket])
        #expect(root.status == 0, "root takes the reserved slot: \(root.stderr)")
        holders.forEach { $0.terminate() }
        #expect(daemon.terminate().status == 0)
    }

    /// Twenty clients each pipeline 2,000 `status` requests in one write and never read the replies; an
    /// honest client's 20 status requests meanwhile are answered promptly (before: every queued status
    /// was computed on the single event loop, 7.8–16.8 s per request under a flood), and the flood costs
    /// a bounded number of catalog reads (the shared status cache), not one per request.
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func aPipelinedFloodDoesNotStallStatus() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        try h.phantoms(label: 0, count: 4, seed: 1, into: h.incoming + "/one_lesion")
        let daemon = try h.start()
        let socket = h.dir.file("cohortd.sock")
        #expect(daemon.wait(timeout: 60) { daemon.counts(h.dataset, "real") == ["one_lesion": 4] }, "\(daemon.log)")
        let flood = String(repeating: #"{"v":1,"id":1,"cmd":"status"}"# + "\n", count: 2_000)
        var flooders: [UnixSocketClient] = []
        for _ in 0..<20 {
            let client = try #require(UnixSocketClient(path: socket))
            client.send(flood)
            flooders.append(client)
        }
        let honest = try #require(UnixSocketClient(path: socket))
        let (p50, p99) = Self.statusLatencies(honest)
        let metrics = honest.request(#"{"v":1,"id":99,"cmd":"metrics"}"#)?["result"] as? String ?? ""
        let refreshes =
            metrics.split(separator: "\n").first { $0.hasPrefix("cohort_status_refreshes_total") }
            .flatMap { Double($0.split(separator: " ").last ?? "") } ?? -1
        print(
            String(
                format: "status under a 20 × 2,000-request pipelined flood: p50 %.1f ms, p99 %.1f ms; %.0f catalog reads", p50 * 1000, p99 * 1000,
                refreshes))
        // A liveness bound far above the 100 ms target (the build is a debug one, the cores shared): the
        // failure this guards against took seconds per request.
        #expect(p99 < 2, "status took \(p99) s under the flood")
        #expect(refreshes >= 1 && refreshes < 2_000, "status refreshes: \(refreshes)")
        flooders.removeAll()
        #expect(daemon.terminate().status == 0)
    }

    /// Median and largest of 20 `status` round trips on `client` (seconds); each must be answered.
    static func statusLatencies(_ client: UnixSocketClient) -> (p50: Double, p99: Double) {
        var latencies: [Double] = []
        for id in 0..<20 {
            let start = Date()
            let reply = client.request(#"{"v":1,"id":\#(id),"cmd":"status"}"#)
            latencies.append(Date().timeIntervalSince(start))
            #expect(reply?["ok"] as? Bool == true, "honest request \(id) not answered")
        }
        latencies.sort()
        return (latencies[latencies.count / 2], latencies.last!)
    }

    /// 20 clients pipelining requests the daemon answers at once on its event loop (`version`) and reading
    /// every reply. Before ControlTurns each connection re-queued its next frame as an event-loop task, and
    /// NIO runs every queued task before it polls the sockets again: the loop answered every pipelined frame
    /// of every flooder before it read the operator's request (torture suite, release build: 4.6–10.6 s
    /// per `status`). Now rounds of one frame per connection alternate with polls.
    @Test(.timeLimit(.minutes(3)))
    func pipelinedQuickRequestsDoNotStarveOthers() throws {
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        let daemon = try h.start()
        let socket = h.dir.file("cohortd.sock")
        #expect(daemon.wait(timeout: 60) { UnixSocketClient(path: socket) != nil }, "\(daemon.log)")
        let perClient = 20_000
        let flood = String(repeating: #"{"v":1,"id":1,"cmd":"version"}"# + "\n", count: perClient)
        let finished = Counter()
        var flooders: [UnixSocketClient] = []
        for _ in 0..<20 {
            let client = try #require(UnixSocketClient(path: socket))
            Thread {
                var n = 0; while n < perClient, client.readLine() != nil { n += 1 }; finished.increment()
            }.start()
            Thread { client.send(flood) }.start()
            flooders.append(client)
        }
        Thread.sleep(forTimeInterval: 0.3)
        let honest = try #require(UnixSocketClient(path: socket))
        let (p50, p99) = Self.statusLatencies(honest)
        print(
            String(
                format:
                    "status beside 20 clients pipelining 20,000 version requests each: p50 %.1f ms, p99 %.1f ms; %d of 20 floods answered by then",
                p50 * 1000, p99 * 1000, finished.value))
        // Before the fix every status waited for the whole backlog of quick frames (seconds even in a
        // release build); a debug build on 2 shared cores answers within a few rounds now.
        #expect(p99 < 0.5, "status took \(p99) s beside the flood")
        #expect(finished.value < 20, "the floods ended before the measurement: it measured nothing")
        flooders.removeAll()
        #expect(daemon.terminate().status == 0)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
