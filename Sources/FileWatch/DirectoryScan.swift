// A recursive listing of a watched root: the "scans are truth" half of the watcher. Names are read as
// bytes (readdir), so a file the rest of the system cannot name as a String — a name that is not valid
// UTF-8 — or cannot open — a path longer than PATH_MAX — is reported with a reason instead of vanishing.
import Foundation

enum DirectoryScan {
    /// Names the watcher never ingests: hidden files and folders (`.foo`, rsync's `.name.XXXX` temp files)
    /// and editors' partial-download suffixes.
    static func isIgnored(name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".crdownload") || name.hasSuffix("~")
    }

    /// Why `isIgnored` names are skipped, for the log line that lists them.
    static let ignoredReason =
        "hidden (a leading dot), a partial download (.part, .crdownload) or a backup (a trailing ~): "
        + "never ingested; rename to ingest"

    /// Longest path the kernel accepts, in bytes, including the terminating NUL (Linux PATH_MAX).
    static let pathMax = Int(PATH_MAX)

    /// What a scan found.
    struct Listing {
        /// Every regular, non-ignored file with its stamp.
        var files: [String: FileStamp] = [:]
        /// Files and folders that cannot be handed on, by display path (see `displayName`), with the reason.
        var unusable: [String: String] = [:]
        /// Entries skipped by name (`isIgnored`), by display path: reported so an operator can see why a
        /// hidden or partial file never arrives.
        var ignored: [String] = []
    }

    /// Every regular, non-ignored file under `root` with its stamp; symbolic links are not followed
    /// (a link loop must not hang the daemon). Unreadable folders are skipped, not fatal.
    static func scan(under root: String) -> Listing {
        var listing = Listing()
        var pending = [root]
        while let directory = pending.popLast() {
            for entry in names(in: directory) {
                let path = directory.hasSuffix("/") ? directory + entry.display : directory + "/" + entry.display
                if isIgnored(name: entry.display) {
                    listing.ignored.append(path)
                    continue
                }
                guard entry.valid else {
                    listing.unusable[path] = notUTF8Reason
                    continue
                }
                guard path.utf8.count < pathMax else {
                    listing.unusable[path] = tooLongReason
                    continue
                }
                guard let (stamp, kind) = stat(path) else { continue }
                switch kind {
                case .directory: pending.append(path)
                case .regular: listing.files[path] = stamp
                case .other(let what): listing.unusable[path] = notRegularReason(what)
                }
            }
        }
        return listing
    }

    static let notUTF8Reason = "file name is not valid UTF-8 (shown with \\xNN escapes): rename it to be ingested"
    static let tooLongReason = "path longer than PATH_MAX (4,096 bytes): move it to a shallower folder to be ingested"

    /// The entries of `directory` (without . and ..): each name as a String when it is valid UTF-8, or
    /// its display form (`displayName`) when not. An unreadable directory lists nothing.
    static func names(in directory: String) -> [(display: String, valid: Bool)] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var result: [(String, Bool)] = []
        while let entry = readdir(stream) {
            let bytes = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if bytes == [0x2E] || bytes == [0x2E, 0x2E] { continue }
            if let name = String(validating: bytes, as: UTF8.self) {
                result.append((name, true))
            } else {
                result.append((displayName(bytes), false))
            }
        }
        return result
    }

    /// A name that is not valid UTF-8, for logs and the quarantine: ASCII bytes as they are, every other
    /// byte as `\xNN`.
    static func displayName(_ bytes: [UInt8]) -> String {
        bytes.map { $0 < 0x80 && $0 >= 0x20 ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
    }

    /// Why a symbolic link, FIFO, socket or device is not ingested (`what`: "a symbolic link", …).
    static func notRegularReason(_ what: String) -> String {
        "\(what), not a regular file: cohortd reads regular files only (links are not followed, so a link loop or a link out of the tree cannot reach it)"
    }

    enum Kind: Equatable { case regular, directory, other(String) }

    /// `lstat` of `path`: stamp and kind, or nil when it vanished.
    static func stat(_ path: String) -> (FileStamp, Kind)? {
        var info = Foundation.stat()
        guard lstat(path, &info) == 0 else { return nil }
        let stamp = FileStamp(info)
        switch info.st_mode & S_IFMT {
        case S_IFREG: return (stamp, .regular)
        case S_IFDIR: return (stamp, .directory)
        case S_IFLNK: return (stamp, .other("a symbolic link"))
        case S_IFIFO: return (stamp, .other("a FIFO"))
        case S_IFSOCK: return (stamp, .other("a socket"))
        default: return (stamp, .other("a device"))
        }
    }
}
