// The control protocol's messages: newline-delimited JSON over a Unix stream socket, versioned.
// Request:  {"v":1,"id":7,"cmd":"status","args":{...}}
// Response: {"v":1,"id":7,"ok":true,"result":{...}}   or   {"v":1,"id":7,"ok":false,"error":{"code","message","context"}}
// Event (subscribe): {"v":1,"event":"progress","data":{...}}
import Foundation

public enum ControlProtocol {
    /// The protocol version this build speaks.
    public static let version = 1
    /// Cohort's release, shared by cohortd and cohortctl (`--version`).
    public static let release = "0.5.0"
    /// Largest frame (one JSON line, without its newline) either side accepts: 1 MiB.
    public static let maxFrameBytes = 1 << 20
}

/// One request from a client.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var v: Int
    public var id: Int
    public var cmd: String
    public var args: [String: JSONValue]?

    public init(id: Int, cmd: String, args: [String: JSONValue]? = nil, v: Int = ControlProtocol.version) {
        self.v = v
        self.id = id
        self.cmd = cmd
        self.args = args
    }

    /// A request for a known command.
    public init(id: Int, command: ControlCommand, args: [String: JSONValue]? = nil) {
        self.init(id: id, cmd: command.rawValue, args: args)
    }

    /// The command, or nil when `cmd` names none this build knows (answered with `unknown_command`).
    public var command: ControlCommand? { ControlCommand(rawValue: cmd) }
}

/// A typed error: a stable code for programs, a message for people, context (file, class, key…).
public struct ControlError: Codable, Sendable, Equatable, Error, CustomStringConvertible {
    public enum Code: String, Codable, Sendable {
        case malformedFrame = "malformed_frame"
        case frameTooLarge = "frame_too_large"
        case versionMismatch = "version_mismatch"
        case unknownCommand = "unknown_command"
        case invalidArguments = "invalid_arguments"
        case permissionDenied = "permission_denied"
        case notFound = "not_found"
        case conflict
        /// The control socket already serves `control.max_connections` clients.
        case tooManyConnections = "too_many_connections"
        case `internal`
    }
    public var code: Code
    public var message: String
    public var context: [String: String]?

    public init(_ code: Code, _ message: String, context: [String: String]? = nil) {
        self.code = code
        self.message = message
        self.context = context
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// The answer to one request (same `id`).
public struct ControlResponse: Codable, Sendable, Equatable {
    public var v: Int
    public var id: Int?
    public var ok: Bool
    public var result: JSONValue?
    public var error: ControlError?

    public static func success(id: Int, _ result: JSONValue) -> ControlResponse {
        ControlResponse(v: ControlProtocol.version, id: id, ok: true, result: result, error: nil)
    }

    public static func failure(id: Int?, _ error: ControlError) -> ControlResponse {
        ControlResponse(v: ControlProtocol.version, id: id, ok: false, result: nil, error: error)
    }
}

/// A pushed event on a `subscribe` stream.
public struct ControlEvent: Codable, Sendable, Equatable {
    public var v: Int
    public var event: String
    public var data: JSONValue
    public init(event: String, data: JSONValue) {
        v = ControlProtocol.version
        self.event = event
        self.data = data
    }
}
