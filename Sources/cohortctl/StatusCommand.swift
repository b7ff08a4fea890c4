import ArgumentParser
import CohortControl
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Per dataset and class: real, synthetic, quarantined, target, deficit; the running job.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Keep watching: redraw with a progress bar on a terminal, one line per change otherwise.") var watch = false
    @Option(help: "Seconds between polls with --watch.") var interval = 1.0

    func run() throws {
        guard watch else {
            connection.show(try connection.call("status")) { Self.render($0) }
            return
        }
        let client = try connection.client()
        let terminal = isatty(STDOUT_FILENO) == 1 && !connection.json
        var last = ""
        while true {
            let status = try connection.call("status", on: client)
            if connection.json {
                connection.show(status) { _ in "" }
            } else if terminal {
                // Home, clear, redraw: the table plus a bar for the running job.
                var text = Self.render(status)
                if let job = status["job"], job != .null { text += "\n\n" + ProgressLine.render(job, width: 30) }
                print("\u{1B}[H\u{1B}[2J" + text)
            } else {
                let line = status["job"].flatMap { $0 == .null ? nil : ProgressLine.render($0, width: nil) }
                    ?? (status["paused"] == .bool(true) ? "training paused" : "idle") + " · queued jobs \(status["queued_jobs"]?.text ?? "0")"
                if line != last { print(ISO8601DateFormatter().string(from: Date()) + " " + line) }
                last = line
            }
            fflush(nil)
            Thread.sleep(forTimeInterval: max(0.1, interval))
        }
    }

    static func render(_ s: JSONValue) -> String {
        var lines = ["cohortd \(s["version"]?.text ?? "?") · pid \(s["pid"]?.text ?? "?") · up \(s["uptime_seconds"]?.text ?? "?") s"
                     + (s["paused"] == .bool(true) ? " · TRAINING PAUSED" : "")]
        if case .object(let degraded)? = s["degraded"], !degraded.isEmpty {
            for (k, v) in degraded { lines.append("DEGRADED \(k): \(v.text)") }
        }
        for d in s["datasets"]?.items ?? [] {
            lines.append("\n\(d["name"]?.text ?? "") (\(d["watch_root"]?.text ?? ""))")
            var rows = [["CLASS", "REAL", "SYNTHETIC", "QUARANTINED", "DUPLICATES", "TARGET", "DEFICIT"]]
            for c in d["classes"]?.items ?? [] {
                rows.append(["class", "real", "synthetic", "quarantined", "duplicates", "target", "deficit"].map { c[$0]?.text ?? "" })
            }
            lines.append(Table.render(rows))
            if let report = d["latest_report"], report != .null { lines.append("latest report: \(report.text)/report.html") }
        }
        if let job = s["job"], job != .null {
            lines.append("\nrunning: \(job["kind"]?.text ?? "") job \(job["job_id"]?.text ?? "") on \(job["dataset"]?.text ?? "") — \(job["phase"]?.text ?? "") \(job["step"]?.text ?? "")/\(job["total_steps"]?.text ?? "") \(job["detail"]?.text ?? "")")
        }
        lines.append("queued jobs: \(s["queued_jobs"]?.text ?? "0")")
        return lines.joined(separator: "\n")
    }
}
