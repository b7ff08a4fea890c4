// The installation's secret salt for DICOM split-group keys: 32 random bytes made once, kept in the
// state directory with mode 0600. With it, a patient's key is stable across restarts and rescans
// (the split keeps the patient on one side) but cannot be recomputed from a guessed patient ID by
// anyone who reads the catalog without the salt.
import AtomicFile
import Foundation

enum DICOMSalt {
    struct Failure: Error, CustomStringConvertible {
        var path: String
        var reason: String
        var description: String { "DICOM salt \(path): \(reason)" }
    }

    /// The salt at `path`, made (atomically, 0600) when absent.
    static func loadOrCreate(at path: String) throws -> [UInt8] {
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else {
                throw Failure(
                    path: path, reason: "holds \(data.count) bytes, not 32 (restore it from a backup: a new salt would re-split every DICOM patient)")
            }
            return [UInt8](data)
        }
        var salt = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = generator.next() }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFile.write(salt, to: path, mode: 0o600)
        return salt
    }
}
