// A blocking client of cohortd's control socket (used by cohortctl and tests): one typed method per
// command (as tailscale's LocalAPI client has), one request and one reply at a time, typed failures —
// the daemon is unreachable (and why), it refused the request, or its reply is not what the protocol says.
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
            case ECONNREFUSED:
                throw .unavailable(socket: socketPath, reason: "connection refused (cohortd is not running; a stale socket file remains)")
            case EACCES, EPERM: throw .unavailable(socket: socketPath, reason: "permission denied (join the 'cohort' group or use sudo)")
            case ENAMETOOLONG: throw .unavailable(socket: socketPath, reason: "path too long for a Unix socket")
            default: throw .unavailable(socket: socketPath, reason: String(cString: strerror(error.code)))
            }
        }
    }

    // MARK: One method per command

    public func version() throws(ControlClientError) -> VersionReply { try call(.version) }
    public func status() throws(ControlClientError) -> StatusSnapshot { try call(.status) }
    public func datasets() throws(ControlClientError) -> [DatasetInfo] { try call(.datasets) }
    public func jobs(limit: Int? = nil) throws(ControlClientError) -> [JobSummary] { try call(.jobs, JobsArguments(limit: limit)) }
    public func quarantine() throws(ControlClientError) -> [QuarantinedFile] { try call(.quarantine) }
    public func report(_ arguments: ReportArguments = ReportArguments()) throws(ControlClientError) -> ReportReply { try call(.report, arguments) }
    /// Prometheus text exposition.
    public func metrics() throws(ControlClientError) -> String { try call(.metrics) }
    public func pause() throws(ControlClientError) -> PauseReply { try call(.pause) }
    public func resume() throws(ControlClientError) -> PauseReply { try call(.resume) }
    public func cancel() throws(ControlClientError) -> CancelReply { try call(.cancel) }
    public func rescan() throws(ControlClientError) -> RescanReply { try call(.rescan) }
    public func train(_ arguments: TrainArguments) throws(ControlClientError) -> QueuedJobReply { try call(.train, arguments) }
    public func generate(_ arguments: GenerateArguments) throws(ControlClientError) -> GenerateReply { try call(.generate, arguments) }
    public func export(_ arguments: ExportArguments) throws(ControlClientError) -> ExportReply { try call(.export, arguments) }
    public func reload() throws(ControlClientError) -> ReloadReply { try call(.reload) }
    public func backup(_ arguments: BackupArguments) throws(ControlClientError) -> BackupReply { try call(.backup, arguments) }

    /// Subscribes this connection to the daemon's event stream and hands each event to `handler` until it
    /// returns false or the daemon closes the connection. Open the client with `timeoutSeconds: 0` (no
    /// receive timeout): events may be minutes apart. Events of kinds this build does not know are
    /// skipped. Returns the subscription's first reply.
    @discardableResult
    public func subscribe(_ handler: (TypedControlEvent) -> Bool) throws(ControlClientError) -> SubscribeReply {
        let reply: SubscribeReply = try call(.subscribe)
        while let line = connection.readLine() {
            guard let event = try? JSONDecoder().decode(ControlEvent.self, from: Data(line)) else {
                throw .protocolFailure("unreadable event")
            }
            guard event.kind != nil else { continue }
            let typed: TypedControlEvent
            do { typed = try event.typed() } catch {
                throw .protocolFailure("event '\(event.event)' does not match protocol v\(ControlProtocol.version)")
            }
            if !handler(typed) { break }
        }
        return reply
    }

    // MARK: Requests

    /// Sends `command` without arguments and decodes its result as `R`.
    public func call<R: Decodable>(_ command: ControlCommand) throws(ControlClientError) -> R {
        try decode(try request(command.rawValue), as: R.self, command: command)
    }

    /// Sends `command` with typed `arguments` and decodes its result as `R`.
    public func call<A: Encodable, R: Decodable>(_ command: ControlCommand, _ arguments: A) throws(ControlClientError) -> R {
        try decode(try request(command.rawValue, args: ControlArguments.encode(arguments)), as: R.self, command: command)
    }

    private func decode<R: Decodable>(_ result: JSONValue, as type: R.Type, command: ControlCommand) throws(ControlClientError) -> R {
        do { return try result.decoded(as: R.self) } catch {
            throw .protocolFailure("the reply to '\(command.rawValue)' does not match protocol v\(ControlProtocol.version)")
        }
    }

    /// Sends `cmd` (any name, for tests of refusals) with raw `args`; returns the raw result or throws the
    /// daemon's typed error.
    public func request(_ cmd: String, args: [String: JSONValue]? = nil) throws(ControlClientError) -> JSONValue {
        let id = nextID
        nextID += 1
        guard let frame = try? FrameCodec.encode(ControlRequest(id: id, cmd: cmd, args: args)) else {
            throw .protocolFailure("cannot encode the request")
        }
        guard connection.send(frame) else {
            // The daemon may have said why before closing (too_many_connections): show that, not EPIPE.
            if let line = connection.readLine(), let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(line)),
                let error = response.error
            {
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
