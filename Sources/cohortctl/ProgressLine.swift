// One line for a running job: kind, dataset, phase, step/total, the job's detail (losses), ETA; with a
// width, a progress bar for terminals.
import CohortControl
import Foundation

enum ProgressLine {
    static func render(_ job: JSONValue, width: Int?, now: Double = Date().timeIntervalSince1970) -> String {
        let step = job["step"]?.int ?? 0
        let total = job["total_steps"]?.int ?? 0
        let fraction = total > 0 ? min(1, Double(step) / Double(total)) : 0
        var text = "\(job["kind"]?.text ?? "") job \(job["job_id"]?.text ?? "") on \(job["dataset"]?.text ?? "") · \(job["phase"]?.text ?? "") \(step)/\(total)"
        if let width, width > 0 {
            let filled = Int((fraction * Double(width)).rounded())
            text += " [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
                + String(format: "%3.0f%%", fraction * 100)
        }
        if let detail = job["detail"]?.string, !detail.isEmpty { text += " · " + detail }
        // GAN jobs put their own rate-based ETA in the detail; others get one from the elapsed time.
        if !(job["detail"]?.string ?? "").contains("ETA"), let started = job["started_at"]?.number, step > 0, total > step {
            let elapsed = now - started
            text += " · ETA " + duration(elapsed / Double(step) * Double(total - step))
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}
