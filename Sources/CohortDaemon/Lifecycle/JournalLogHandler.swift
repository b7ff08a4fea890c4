// swift-log output that journald understands: when stderr is the journal (JOURNAL_STREAM is set),
// each line starts with a `<N>` syslog priority and carries no timestamp (journald adds its own);
// otherwise lines carry an ISO 8601 time and the level, for a terminal or a file.
import Foundation
import Logging

public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    private let label: String
    private let journal: Bool

    public init(label: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.label = label
        journal = environment["JOURNAL_STREAM"] != nil
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// sd-daemon(3) priorities.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        let extra = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line: String
        if journal {
            line = "<\(Self.priority(event.level))>\(event.message)\(extra)\n"
        } else {
            let time = ISO8601DateFormatter().string(from: Date())
            line = "\(time) \(event.level) \(label): \(event.message)\(extra)\n"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
