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
        held.removeLast()  // one client leaves (its socket closes)
        #expect(daemon.wait(timeout: 10) {
            UnixSocketClient(path: socket)?.request(#"{"v":1,"id":9,"cmd":"status"}"#)?["ok"] as? Bool == true
        }, "a new client is served once one left")
        #expect(daemon.terminate().status == 0)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
