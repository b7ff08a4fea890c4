// Locates the real medical images in ../shared/data beside the repository. A user's clone has no
// ../shared, so every test that reads it must skip, saying so, when `SharedData.root` is nil.
import Foundation

public enum SharedData {
    /// `$COHORT_SHARED_DATA`, else `<repo>/../shared/data`, when that directory exists.
    public static var root: String? {
        if let override = ProcessInfo.processInfo.environment["COHORT_SHARED_DATA"], !override.isEmpty {
            return FileManager.default.fileExists(atPath: override) ? override : nil
        }
        let candidate = URL(fileURLWithPath: repositoryRoot).deletingLastPathComponent()
            .appendingPathComponent("shared/data").standardizedFileURL.path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Why shared-data tests are skipped, for the skip message.
    public static let absentMessage =
        "../shared/data (real scans beside the repository) is absent; set COHORT_SHARED_DATA to run this test"

    /// The repository root (derived from this source file's location).
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// Sorted regular files under `relative` (inside `root`) with one of the extensions.
    public static func files(_ relative: String, extensions: Set<String>) -> [String] {
        guard let root else { return [] }
        let directory = "\(root)/\(relative)"
        guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
        var found: [String] = []
        while let item = walker.nextObject() as? String {
            if extensions.contains((item as NSString).pathExtension.lowercased()) { found.append("\(directory)/\(item)") }
        }
        return found.sorted()
    }
}
