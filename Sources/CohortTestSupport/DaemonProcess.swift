// Spawning the built `cohortd` for integration tests: start it on a config, poll its status.json and
// catalog until a condition holds, stop it with SIGTERM and see how it ended. Its log goes to a file
// that failing tests print.
import Foundation

public final class DaemonProcess: @unchecked Sendable {
    public let process = Process()
    public let logPath: String
    public let statePath: String

    /// Starts `cohortd --config configPath`; `statePath` is the configured state directory.
    public init(executable: String, configPath: String, statePath: String, logPath: String, environment: [String: String] = [:]) throws {
        self.logPath = logPath
        self.statePath = statePath
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--config", configPath]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    /// The daemon's log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// The latest status.json as a JSON object (nil before the first one is written).
    public func status() -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: statePath + "/status.json") else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// Per class of `dataset`: the status entry (real, synthetic, quarantined, duplicates, target, …).
    public func classes(_ dataset: String) -> [String: [String: Any]] {
        guard let datasets = status()?["datasets"] as? [[String: Any]],
            let entry = datasets.first(where: { $0["name"] as? String == dataset }),
            let classes = entry["classes"] as? [[String: Any]]
        else { return [:] }
        return Dictionary(uniqueKeysWithValues: classes.map { ($0["class"] as! String, $0) })
    }

    /// `field` of every class of `dataset`, e.g. counts("d", "real") == ["a": 10, "b": 3].
    public func counts(_ dataset: String, _ field: String) -> [String: Int] {
        classes(dataset).mapValues { $0[field] as? Int ?? -1 }
    }

    /// Polls `condition` every 0.2 s for up to `timeout` seconds; true once it holds. Fails early if the
    /// daemon exits.
    @discardableResult
    public func wait(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if !process.isRunning { return condition() }
            Thread.sleep(forTimeInterval: 0.2)
        }
        return condition()
    }

    /// Sends SIGTERM and waits (up to `timeout` s); returns the exit status and the seconds it took.
    public func terminate(timeout: Double = 30) -> (status: Int32?, seconds: Double) {
        let start = Date()
        guard process.isRunning else { return (process.terminationStatus, 0) }
        process.terminate()
        let deadline = start.addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let seconds = Date().timeIntervalSince(start)
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return (nil, seconds)
        }
        return (process.terminationStatus, seconds)
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
