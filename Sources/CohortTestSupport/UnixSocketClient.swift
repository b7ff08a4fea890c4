// A line client for tests that must send raw bytes (malformed or oversized frames) to cohortd's control
// socket: CohortControlClient's transport with string conveniences.
import CohortControlClient
import Foundation

/// `@unchecked Sendable`: one thread may send while another reads (separate directions of one socket; only
/// reading keeps a buffer). Two threads must not read at once.
public final class UnixSocketClient: @unchecked Sendable {
    private let socket: UnixLineSocket

    /// Connects to `path`; nil when nothing listens there.
    public init?(path: String) {
        guard let socket = try? UnixLineSocket(path: path, timeoutSeconds: 10) else { return nil }
        self.socket = socket
    }

    public func send(_ text: String) { socket.send(Array(text.utf8)) }

    public func send(_ bytes: [UInt8]) { socket.send(bytes) }

    /// The next line (without "\n"), or nil on end of stream or timeout.
    public func readLine() -> String? { socket.readLine().map { String(decoding: $0, as: UTF8.self) } }

    /// Sends one request line and returns the parsed reply object.
    public func request(_ json: String) -> [String: Any]? {
        send(json + "\n")
        guard let line = readLine() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }
}
