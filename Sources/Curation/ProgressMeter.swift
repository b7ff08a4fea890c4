// Progress of long work for people watching it (`cohort experiment`, `audit`, `export`): phase, step/total,
// rate and ETA. On a terminal one line is rewritten in place a few times a second; otherwise (a log file, a
// pipe, CI) a plain line every 15 s and at the end, so logs stay readable.
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where progress lines go: standard error, rewritten in place on a terminal.
public final class ProgressPrinter: @unchecked Sendable {
    /// Whether lines are rewritten in place (standard error is a terminal).
    public let terminal: Bool
    /// Seconds between lines: 0.25 on a terminal, 15 otherwise.
    public var interval: TimeInterval { terminal ? 0.25 : 15 }
    private let lock = NSLock()
    private let write: (String) -> Void

    public init(terminal: Bool = isatty(STDERR_FILENO) == 1, write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.terminal = terminal
        self.write = write
    }

    /// Shows `line`; `final` ends an in-place line with a newline.
    public func show(_ line: String, final: Bool) {
        lock.withLock { write(terminal ? "\r\u{1B}[K" + line + (final ? "\n" : "") : line + "\n") }
    }
}

/// Counts steps of one phase and shows step/total, rate and ETA through a printer at its interval.
public final class ProgressMeter: @unchecked Sendable {
    public let phase: String
    public let total: Int
    private let printer: ProgressPrinter
    private let start = Date()
    private let lock = NSLock()
    private var lastLine = Date.distantPast
    private var done = 0

    public init(phase: String, total: Int, printer: ProgressPrinter) {
        self.phase = phase
        self.total = total
        self.printer = printer
    }

    /// Records that `step` steps are done (from any thread).
    public func update(_ step: Int, detail: String = "") {
        emit(
            lock.withLock { () -> (String, Bool)? in
                done = max(done, step)
                return lineLocked(detail: detail)
            })
    }

    /// One more step done (from any thread; the count is taken under the lock, so none is lost).
    public func advance(detail: String = "") {
        emit(
            lock.withLock { () -> (String, Bool)? in
                done += 1
                return lineLocked(detail: detail)
            })
    }

    /// The line to show now, if one is due (the lock held): at the printer's interval, and the last step once.
    private func lineLocked(detail: String) -> (String, Bool)? {
        let now = Date()
        let finished = done >= total
        guard finished || now.timeIntervalSince(lastLine) >= printer.interval else { return nil }
        guard !finished || lastLine != .distantFuture else { return nil }
        lastLine = finished ? .distantFuture : now
        return (Self.format(phase: phase, step: done, total: total, elapsed: now.timeIntervalSince(start), detail: detail), finished)
    }

    private func emit(_ line: (String, Bool)?) {
        if let (text, final) = line { printer.show(text, final: final) }
    }

    /// "phase 120/3000 (1.4 steps/s, ETA 34:15) detail".
    public static func format(phase: String, step: Int, total: Int, elapsed: TimeInterval, detail: String) -> String {
        let rate = Double(step) / max(elapsed, 1e-9)
        let remaining = rate > 0 ? Double(total - step) / rate : 0
        let eta = String(format: "%d:%02d", Int(remaining) / 60, Int(remaining) % 60)
        return String(format: "%@ %d/%d (%.1f steps/s, ETA %@)", phase, step, total, rate, eta) + (detail.isEmpty ? "" : " " + detail)
    }
}
