// Finds and runs the package's executables (built by `swift build --build-tests`) from tests.
import Foundation

public enum BuiltExecutable {
    /// The path of executable `name` in the build directory that holds the running test bundle.
    public static func path(_ name: String) -> String? {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        let fallback = "\(SharedData.repositoryRoot)/.build/debug/\(name)"
        return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
    }

    /// Runs an executable to completion and returns its exit status, stdout and stderr.
    public static func run(_ path: String, _ arguments: [String], environment: [String: String]? = nil) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
