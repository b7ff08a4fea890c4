// A blocking client of cohortd's control socket (used by cohortctl and tests): one request, one reply,
// typed failures — the daemon is unreachable (and why), or it refused the request.
import CohortControl
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a request did not get a result.
public enum ControlClientError: Error, CustomStringConvertible {
    /// Nothing to talk to: the socket is missing, refuses connections, or may not be opened.
    case unavailable(socket: String, reason: String)
    /// The daemon answered with an error.
    case refused(ControlError)
    /// The daemon closed the connection or sent something that is not a reply.
    case protocolFailure(String)

    public var description: String {
        switch self {
        case .unavailable(let socket, let reason): return "cannot reach cohortd at \(socket): \(reason)"
        case .refused(let error):
            var text = "\(error.code.rawValue): \(error.message)"
            if let context = error.context, !context.isEmpty {
                text += " (" + context.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") + ")"
            }
            return text
        case .protocolFailure(let reason): return "cohortd: \(reason)"
        }
    }
}

public final class ControlClient {
    public let socketPath: String
    private let connection: UnixLineSocket
    private var nextID = 1

    /// The socket cohortctl uses: `explicit`, else $COHORT_SOCKET, else /run/cohort/cohortd.sock.
    public static func defaultSocket(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["COHORT_SOCKET"] ?? "/run/cohort/cohortd.sock"
    }

    public init(socketPath: String, timeoutSeconds: Int = 30) throws(ControlClientError) {
        self.socketPath = socketPath
        do {
            connection = try UnixLineSocket(path: socketPath, timeoutSeconds: timeoutSeconds)
        } catch {
            switch error.code {
            case ENOENT: throw .unavailable(socket: socketPath, reason: "no such socket (is cohortd running? `systemctl status cohortd`)")
            case ECONNREFUSED: throw .unavailable(socket: socketPath, reason: "connection refused (cohortd is not running; a stale socket file remains)")
            case EACCES, EPERM: throw .unavailable(socket: socketPath, reason: "permission denied (join the 'cohort' group or use sudo)")
            case ENAMETOOLONG: throw .unavailable(socket: socketPath, reason: "path too long for a Unix socket")
            default: throw .unavailable(socket: socketPath, reason: String(cString: strerror(error.code)))
            }
        }
    }

    /// Subscribes this connection to the daemon's event stream and hands each event to `handler` until it
    /// returns false or the daemon closes the connection. Open the client with `timeoutSeconds: 0` (no
    /// receive timeout): events may be minutes apart. Returns the subscription's first reply.
    @discardableResult
    public func subscribe(_ handler: (ControlEvent) -> Bool) throws(ControlClientError) -> JSONValue {
        let reply = try request("subscribe")
        while let line = connection.readLine() {
            guard let event = try? JSONDecoder().decode(ControlEvent.self, from: Data(line)) else {
                throw .protocolFailure("unreadable event")
            }
            if !handler(event) { break }
        }
        return reply
    }

    /// Sends `cmd` with `args`; returns the result or throws the daemon's typed error.
    public func request(_ cmd: String, args: [String: JSONValue]? = nil) throws(ControlClientError) -> JSONValue {
        let id = nextID
        nextID += 1
        guard let frame = try? FrameCodec.encode(ControlRequest(id: id, cmd: cmd, args: args)) else {
            throw .protocolFailure("cannot encode the request")
        }
        guard connection.send(frame) else {
            // The daemon may have said why before closing (too_many_connections): show that, not EPIPE.
            if let line = connection.readLine(), let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(line)),
               let error = response.error {
                throw .refused(error)
            }
            throw .protocolFailure("connection closed while sending")
        }
        guard let line = connection.readLine() else { throw .protocolFailure("no reply (connection closed or timed out)") }
        guard let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(line)) else {
            throw .protocolFailure("unreadable reply")
        }
        if let error = response.error { throw .refused(error) }
        return response.result ?? .null
    }
}
