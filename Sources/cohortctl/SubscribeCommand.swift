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
                    print(String(decoding: (try? ControlEvent(event)).flatMap { try? FrameCodec.encode($0) } ?? [], as: UTF8.self), terminator: "")
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

    static func line(_ event: TypedControlEvent, time: String = ISO8601DateFormatter().string(from: Date())) -> String {
        let name = event.kind.rawValue
        switch event {
        case .progress(let job): return "\(time) progress  \(ProgressLine.render(job, width: nil))"
        case .jobStarted(let job), .jobFinished(let job):
            return "\(time) \(name)  \(job.kind.rawValue) job \(job.jobID) on \(job.dataset) \(job.state.rawValue)"
                + (job.outcome.map { ": " + $0 } ?? "")
        case .ingested(let i):
            return "\(time) \(name)  active=\(i.active) duplicates=\(i.duplicates) quarantined=\(i.quarantined) removed=\(i.removed)"
        case .degraded(let d): return "\(time) \(name)  component=\(d.component) reason=\(d.reason ?? "–")"
        case .reloaded(let r):
            if let error = r.error { return "\(time) \(name)  error=\(error)" }
            return
                "\(time) \(name)  applied=\((r.applied ?? []).joined(separator: ",")) needs_restart=\((r.needsRestart ?? []).joined(separator: ","))"
        }
    }
}
