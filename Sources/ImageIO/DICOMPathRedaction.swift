// Paths of DICOM sources are shown hashed: PACS exports often name files and folders after patients
// or accession numbers. A shown path that is a DICOM file by content becomes `dicom:<12 hex digits>`
// (SHA-256 of the path), stable so an operator can still match listings with each other.
import ContentHash
import Foundation

public enum DICOMPathRedaction {
    /// `path`, or its redacted form when the file at it is DICOM Part 10 ("DICM" at byte 128).
    public static func shown(_ path: String) -> String {
        isDICOM(path) ? redacted(path) : path
    }

    /// The redacted form of a DICOM source's path.
    public static func redacted(_ path: String) -> String { "dicom:" + SHA256Hasher.hex(of: path).prefix(12) }

    /// Whether the file at `path` is DICOM by content (a missing or short file is not).
    public static func isDICOM(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 132)) ?? Data()
        return head.count == 132 && head.suffix(4).elementsEqual(Array("DICM".utf8))
    }
}
