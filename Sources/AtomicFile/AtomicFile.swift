// Durable, atomic file replacement: write a temporary file beside the target, fsync it, rename it
// over the target, fsync the directory. A reader sees the old file or the new one, never a torn one,
// and after a crash the rename is either on disk or not.
#if canImport(Glibc)
    import Glibc
#endif

/// Writes that matter go through here (images, checkpoints, manifests, reports).
public enum AtomicFile {
    /// A failed step of an atomic write, naming the file and the system call.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String {
            "cannot write \(path): \(operation) failed: \(String(cString: strerror(errno)))"
        }
    }

    /// Atomically replaces (or creates) `path` with `bytes`, with permissions `mode`.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        try bytes.withUnsafeBytes { try write(UnsafeRawBufferPointer($0), to: path, mode: mode) }
    }

    /// Atomically replaces (or creates) `path` with the given bytes.
    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, mode: mode_t = 0o644) throws {
        let directory = parentDirectory(of: path)
        let temporary = "\(directory)/.\(baseName(of: path)).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(path: path, operation: "open(\(temporary))", errno: errno) }
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: path, operation: "write", errno: errno)
                }
                offset += written
            }
            if fsync(fd) != 0 { throw WriteError(path: path, operation: "fsync", errno: errno) }
        } catch {
            close(fd)
            throw error
        }
        if close(fd) != 0 { throw WriteError(path: path, operation: "close", errno: errno) }
        if rename(temporary, path) != 0 { throw WriteError(path: path, operation: "rename", errno: errno) }
        committed = true
        syncDirectory(directory)
    }

    /// Makes a rename in `directory` durable. Failure is not an error: some file systems refuse it.
    public static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
