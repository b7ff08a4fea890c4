// Splitting a byte stream into newline-delimited frames with a size limit, and decoding requests with
// typed errors — testable without a socket. A frame longer than the limit is an error as soon as the
// limit is passed (the peer is not allowed to make us buffer more); the connection then closes.
import Foundation

public struct FrameDecoder: Sendable {
    public let maxFrameBytes: Int
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` already searched for a newline (none there): a long frame arriving in pieces is
    /// scanned once, not once per piece (a client sending 1 MiB without a newline cost O(n²) before).
    private var scanned = 0

    public init(maxFrameBytes: Int = ControlProtocol.maxFrameBytes) { self.maxFrameBytes = maxFrameBytes }

    /// Bytes received but not yet part of a complete frame.
    public var pendingBytes: Int { buffer.count }

    /// Appends `bytes` and returns every complete frame (without the newline; a trailing "\r" is dropped).
    /// Throws `frameTooLarge` when a frame exceeds the limit.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) throws(ControlError) -> [[UInt8]] where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var start = 0
        var from = scanned
        while let newline = buffer[from...].firstIndex(of: 0x0A) {
            var frame = Array(buffer[start..<newline])
            if frame.last == 0x0D { frame.removeLast() }
            guard frame.count <= maxFrameBytes else { throw tooLarge() }
            if !frame.isEmpty { frames.append(frame) }
            start = newline + 1
            from = start
        }
        buffer.removeFirst(start)
        scanned = buffer.count
        if buffer.count > maxFrameBytes { throw tooLarge() }
        return frames
    }

    private func tooLarge() -> ControlError {
        ControlError(.frameTooLarge, "a frame exceeds \(maxFrameBytes) bytes", context: ["limit": String(maxFrameBytes)])
    }
}

public enum FrameCodec {
    /// One value as a frame: compact JSON plus "\n".
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value)) + [0x0A]
    }

    /// A request from a frame, or the error to answer with: malformed JSON or fields, or another version.
    public static func decodeRequest(_ frame: [UInt8]) -> Result<ControlRequest, ControlError> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(frame)) as? [String: Any] else {
            return .failure(ControlError(.malformedFrame, "not a JSON object"))
        }
        guard let version = object["v"] as? Int else {
            return .failure(ControlError(.malformedFrame, "missing protocol version \"v\""))
        }
        guard version == ControlProtocol.version else {
            return .failure(
                ControlError(
                    .versionMismatch, "client speaks protocol v\(version), daemon speaks v\(ControlProtocol.version)",
                    context: ["client": String(version), "daemon": String(ControlProtocol.version)]))
        }
        do {
            return .success(try JSONDecoder().decode(ControlRequest.self, from: Data(frame)))
        } catch {
            return .failure(ControlError(.malformedFrame, "expected {\"v\",\"id\",\"cmd\",\"args\"}: " + problem(error)))
        }
    }

    /// What is wrong with a request, in the protocol's words (field names, JSON types), not Swift's
    /// `DecodingError` description with its coding paths and debug text.
    static func problem(_ error: Error) -> String {
        func field(_ path: [CodingKey], _ key: CodingKey? = nil) -> String {
            let names = (path + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return names.isEmpty ? "the request" : "\"" + names.joined(separator: ".") + "\""
        }
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "\(field(context.codingPath, key)) is missing"
        case .typeMismatch(let type, let context)?: return "\(field(context.codingPath)) must be \(jsonType(type))"
        case .valueNotFound(let type, let context)?: return "\(field(context.codingPath)) must be \(jsonType(type)), not null"
        case .dataCorrupted(let context)?: return "\(field(context.codingPath)) is not valid"
        default: return "not a valid request"
        }
    }

    private static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "an object"
        }
    }
}
