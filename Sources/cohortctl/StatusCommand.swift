import ArgumentParser
import CohortControl
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Per dataset and class: real, synthetic, quarantined, target, deficit; the running job.")
    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Keep watching: redraw with a progress bar on a terminal, one line per change otherwise.") var watch = false
    @Option(help: "Seconds between polls with --watch.") var interval = 1.0

    func run() throws {
        guard watch else {
            connection.show(try connection.call { try $0.status() }) { Self.render($0) }
            return
        }
        let client = try connection.client()
        let terminal = isatty(STDOUT_FILENO) == 1 && !connection.json
        var last = ""
        while true {
            let status = try connection.call(on: client) { try $0.status() }
            if connection.json {
                connection.show(status) { _ in "" }
            } else if terminal {
                // Home, clear, redraw: the table plus a bar for the running job.
                var text = Self.render(status)
                if let job = status.job { text += "\n\n" + ProgressLine.render(job, width: 30) }
                print("\u{1B}[H\u{1B}[2J" + text)
            } else {
                let line =
                    status.job.map { ProgressLine.render($0, width: nil) }
                    ?? (status.paused ? "training paused" : "idle") + " · queued jobs \(status.queuedJobs)"
                if line != last { print(ISO8601DateFormatter().string(from: Date()) + " " + line) }
                last = line
            }
            fflush(nil)
            Thread.sleep(forTimeInterval: max(0.1, interval))
        }
    }

    static func render(_ s: StatusSnapshot) -> String {
        var lines = ["cohortd \(s.version) · pid \(s.pid) · up \(s.uptimeSeconds.cell) s" + (s.paused ? " · TRAINING PAUSED" : "")]
        for (component, reason) in s.degraded.sorted(by: { $0.key < $1.key }) { lines.append("DEGRADED \(component): \(reason)") }
        for d in s.datasets {
            lines.append("\n\(d.name) (\(d.watchRoot))")
            var rows = [["CLASS", "REAL", "SYNTHETIC", "QUARANTINED", "DUPLICATES", "TARGET", "DEFICIT"]]
            for c in d.classes {
                rows.append([c.className] + [c.real, c.synthetic, c.quarantined, c.duplicates, c.target, c.deficit].map { String($0) })
            }
            lines.append(Table.render(rows))
            if let report = d.latestReport { lines.append("latest report: \(report)/report.html") }
        }
        if let job = s.job {
            lines.append("\nrunning: \(job.kind) job \(job.jobID) on \(job.dataset) — \(job.phase) \(job.step)/\(job.totalSteps) \(job.detail)")
        }
        lines.append("queued jobs: \(s.queuedJobs)")
        return lines.joined(separator: "\n")
    }
}
