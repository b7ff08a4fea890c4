// Typed arguments (`"args"` of a request) of the commands that take any. Fields a command can do without
// are optional, so a request that omits them decodes and the daemon applies its default or refuses it
// with a message naming the field (`ControlArguments.decode`).
import Foundation

/// `jobs`: how many recent jobs (1…1000; default 20).
public struct JobsArguments: Codable, Sendable, Equatable {
    public var limit: Int?
    public init(limit: Int? = nil) { self.limit = limit }
}

/// `report`: the latest report of `dataset` (or of any), or the one whose time starts with `time`;
/// `full` adds report.json.
public struct ReportArguments: Codable, Sendable, Equatable {
    public var dataset: String?
    public var time: String?
    public var full: Bool?
    public init(dataset: String? = nil, time: String? = nil, full: Bool? = nil) {
        self.dataset = dataset
        self.time = time
        self.full = full
    }
}

/// What `train` queues.
public enum TrainKind: String, Codable, Sendable, CaseIterable {
    case gan, classifier
}

/// `train`: queue a GAN or classifier job for `dataset` now.
public struct TrainArguments: Codable, Sendable, Equatable {
    public var kind: TrainKind?
    public var dataset: String?
    public init(kind: TrainKind?, dataset: String?) {
        self.kind = kind
        self.dataset = dataset
    }
}

/// `generate`: `count` samples (1…10,000) of `className` from the current generator.
public struct GenerateArguments: Codable, Sendable, Equatable {
    public var dataset: String?
    public var className: String?
    public var count: Int?
    enum CodingKeys: String, CodingKey { case dataset, count, className = "class" }
    public init(dataset: String?, className: String?, count: Int?) {
        self.dataset = dataset
        self.className = className
        self.count = count
    }
}

/// `export`: a balanced ImageFolder of `dataset` written to `out` (absolute, must not exist), or with
/// `bundle` the hand-off bundle (data, split.csv, pixels, models, metadata, train_ddp.py).
public struct ExportArguments: Codable, Sendable, Equatable {
    public var dataset: String?
    public var out: String?
    public var trainOnly: Bool?
    public var bundle: Bool?
    enum CodingKeys: String, CodingKey { case dataset, out, bundle, trainOnly = "train_only" }
    public init(dataset: String?, out: String?, trainOnly: Bool? = nil, bundle: Bool? = nil) {
        self.dataset = dataset
        self.out = out
        self.trainOnly = trainOnly
        self.bundle = bundle
    }
}

/// `backup`: a consistent copy of the catalog written to `path` (absolute, must not exist).
public struct BackupArguments: Codable, Sendable, Equatable {
    public var path: String?
    public init(path: String?) { self.path = path }
}

public enum ControlArguments {
    /// `args` as `T`; an absent `args` is an empty object. A field of the wrong JSON type is refused as
    /// `invalid_arguments` with the field's name (never Swift's decoding-error text).
    public static func decode<T: Decodable>(_ type: T.Type, from args: [String: JSONValue]?, command: ControlCommand) throws(ControlError) -> T {
        do {
            let data = try JSONEncoder().encode(args ?? [:])
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw ControlError(
                .invalidArguments, "\(command.rawValue): " + FrameCodec.problem(error).replacingOccurrences(of: "the request", with: "args"),
                context: ["cmd": command.rawValue])
        }
    }

    /// `value` as a request's `args` object (nil fields left out).
    public static func encode<T: Encodable>(_ value: T) -> [String: JSONValue]? {
        guard case .object(let fields)? = try? JSONValue.encoding(value) else { return nil }
        return fields
    }
}

extension JSONValue {
    /// `value` as its JSON value (through JSONEncoder, so its coding keys apply; nil optionals are left out).
    public static func encoding<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }

    /// This value decoded as `T` (through its coding keys).
    public func decoded<T: Decodable>(as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(self))
    }
}
