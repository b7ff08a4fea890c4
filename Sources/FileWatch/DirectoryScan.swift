// A recursive listing of a watched root: the "scans are truth" half of the watcher.
import Foundation

enum DirectoryScan {
    /// Names the watcher never ingests: hidden files and folders (`.foo`, rsync's `.name.XXXX` temp files)
    /// and editors' partial-download suffixes.
    static func isIgnored(name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".crdownload") || name.hasSuffix("~")
    }

    /// Every regular, non-ignored file under `root` with its stamp; symbolic links are not followed
    /// (a link loop must not hang the daemon). Unreadable folders are skipped, not fatal.
    static func files(under root: String) -> [String: FileStamp] {
        var result: [String: FileStamp] = [:]
        var pending = [root]
        while let directory = pending.popLast() {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names where !isIgnored(name: name) {
                let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
                guard let (stamp, kind) = stat(path) else { continue }
                switch kind {
                case .directory: pending.append(path)
                case .regular: result[path] = stamp
                case .other: break
                }
            }
        }
        return result
    }

    enum Kind { case regular, directory, other }

    /// `lstat` of `path`: stamp and kind, or nil when it vanished.
    static func stat(_ path: String) -> (FileStamp, Kind)? {
        var info = Foundation.stat()
        guard lstat(path, &info) == 0 else { return nil }
        let stamp = FileStamp(info)
        switch info.st_mode & S_IFMT {
        case S_IFREG: return (stamp, .regular)
        case S_IFDIR: return (stamp, .directory)
        default: return (stamp, .other)
        }
    }
}
