// Paths of DICOM sources are shown hashed: PACS exports often name files and folders after patients
// or accession numbers. A shown path that is a DICOM file by content becomes `dicom:<12 hex digits>`
// (SHA-256 of the path), stable so an operator can still match listings with each other.
import ContentHash

#if canImport(Glibc)
    import Glibc
#endif

public enum DICOMPathRedaction {
    /// `path`, or its redacted form when the file at it is DICOM Part 10 ("DICM" at byte 128).
    public static func shown(_ path: String) -> String {
        isDICOM(path) ? redacted(path) : path
    }

    /// The redacted form of a DICOM source's path.
    public static func redacted(_ path: String) -> String { "dicom:" + SHA256Hasher.hex(of: path).prefix(12) }

    /// Whether the file at `path` is DICOM by content (a missing, short or non-regular file is not). Opened
    /// non-blocking and checked to be a regular file first: a FIFO in its place must not hang a listing.
    public static func isDICOM(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return false }
        var head = [UInt8](repeating: 0, count: 132)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 132, 0) }
        return n == 132 && head.withUnsafeBytes { DICOMDecoder.isDICOM($0) }
    }
}
