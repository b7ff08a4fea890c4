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
    private let fd: Int32
    private var pending: [UInt8] = []
    private var nextID = 1

    /// The socket cohortctl uses: `explicit`, else $COHORT_SOCKET, else /run/cohort/cohortd.sock.
    public static func defaultSocket(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        explicit ?? environment["COHORT_SOCKET"] ?? "/run/cohort/cohortd.sock"
    }

    public init(socketPath: String, timeoutSeconds: Int = 30) throws(ControlClientError) {
        self.socketPath = socketPath
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw .unavailable(socket: socketPath, reason: "path too long for a Unix socket")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 {
            let code = errno
            close(fd)
            switch code {
            case ENOENT: throw .unavailable(socket: socketPath, reason: "no such socket (is cohortd running? `systemctl status cohortd`)")
            case ECONNREFUSED: throw .unavailable(socket: socketPath, reason: "connection refused (cohortd is not running; a stale socket file remains)")
            case EACCES, EPERM: throw .unavailable(socket: socketPath, reason: "permission denied (join the 'cohort' group or use sudo)")
            default: throw .unavailable(socket: socketPath, reason: String(cString: strerror(code)))
            }
        }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `cmd` with `args`; returns the result or throws the daemon's typed error.
    public func request(_ cmd: String, args: [String: JSONValue]? = nil) throws(ControlClientError) -> JSONValue {
        let id = nextID
        nextID += 1
        guard let frame = try? FrameCodec.encode(ControlRequest(id: id, cmd: cmd, args: args)) else {
            throw .protocolFailure("cannot encode the request")
        }
        var offset = 0
        while offset < frame.count {
            let n = frame[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw .protocolFailure("connection closed while sending") }
            offset += n
        }
        guard let line = readLine() else { throw .protocolFailure("no reply (connection closed or timed out)") }
        guard let response = try? JSONDecoder().decode(ControlResponse.self, from: Data(line)) else {
            throw .protocolFailure("unreadable reply")
        }
        if let error = response.error { throw .refused(error) }
        return response.result ?? .null
    }

    private func readLine() -> [UInt8]? {
        while true {
            if let newline = pending.firstIndex(of: 0x0A) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            pending += chunk[..<n]
        }
    }
}
