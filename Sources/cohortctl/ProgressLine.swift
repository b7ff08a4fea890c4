// One line for a running job: kind, dataset, phase, step/total, the job's detail (losses), ETA; with a
// width, a progress bar for terminals.
import CohortControl
import Foundation

enum ProgressLine {
    static func render(_ job: JobProgress, width: Int?, now: Double = Date().timeIntervalSince1970) -> String {
        let fraction = job.totalSteps > 0 ? min(1, Double(job.step) / Double(job.totalSteps)) : 0
        var text = "\(job.kind) job \(job.jobID) on \(job.dataset) · \(job.phase) \(job.step)/\(job.totalSteps)"
        if let width, width > 0 {
            let filled = Int((fraction * Double(width)).rounded())
            text +=
                " [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
                + String(format: "%3.0f%%", fraction * 100)
        }
        if !job.detail.isEmpty { text += " · " + job.detail }
        // Jobs that know their rate (GAN jobs) put their own ETA in the detail; others get one from the elapsed time.
        if !job.hasETA, job.step > 0, job.totalSteps > job.step {
            let elapsed = now - job.startedAt
            text += " · ETA " + duration(elapsed / Double(job.step) * Double(job.totalSteps - job.step))
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
