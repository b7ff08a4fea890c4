import ArgumentParser
import CohortControl
import CohortControlClient
import Foundation

struct SubscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscribe", abstract: "Print cohortd's live events (job progress, jobs, ingest batches, reloads) until interrupted.")
    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Stop after this many events (default: never).") var count: Int?

    func run() throws {
        let client = try connection.client(timeoutSeconds: 0)
        var seen = 0
        do {
            try client.subscribe { event in
                if connection.json {
                    print(String(decoding: (try? FrameCodec.encode(event)) ?? [], as: UTF8.self), terminator: "")
                } else {
                    print(Self.line(event))
                }
                fflush(nil)
                seen += 1
                return count.map { seen < $0 } ?? true
            }
        } catch {
            try connection.fail(error)
        }
    }

    static func line(_ event: ControlEvent) -> String {
        let time = ISO8601DateFormatter().string(from: Date())
        let d = event.data
        switch event.event {
        case "progress": return "\(time) progress  \(ProgressLine.render(d, width: nil))"
        case "job_started", "job_finished":
            return "\(time) \(event.event)  \(d["kind"]?.text ?? "") job \(d["job_id"]?.text ?? "") on \(d["dataset"]?.text ?? "") \(d["state"]?.text ?? "")"
                + (d["outcome"].map { $0 == .null ? "" : ": " + $0.text } ?? "")
        default:
            if case .object(let fields) = d {
                return "\(time) \(event.event)  " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text)" }.joined(separator: " ")
            }
            return "\(time) \(event.event)  \(d.text)"
        }
    }
}
