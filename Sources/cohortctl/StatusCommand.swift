import ArgumentParser
import CohortControl

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Per dataset and class: real, synthetic, quarantined, target, deficit; the running job.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("status")) { s in
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
}
