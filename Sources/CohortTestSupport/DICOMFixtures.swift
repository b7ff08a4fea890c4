// DICOM fixtures made at test time by Tests/Fixtures/make_dicom_fixtures.py (pydicom writes, DCMTK and
// GDCM compress, pydicom gives the expected display values): no DICOM file is committed, and the
// identities in them are made up. Generated once per test process.
import Foundation

public struct DICOMFixtureSet: Sendable {
    public struct Fixture: Sendable, Decodable {
        public var file: String
        /// "ok" (decodes to `expected`) or "refuse" (with the ImageDecodeError code `code`).
        public var expect: String
        public var expected: String?
        public var tolerance: Int?
        public var code: String?
        /// Fixtures of one made-up patient share a group name ("p0", "p1").
        public var group: String?
    }

    /// One file of the ingest set (6 made-up patients × 2 studies × 3 images, no file extensions).
    public struct IngestFile: Sendable, Decodable {
        public var file: String
        /// The class folder it belongs in.
        public var `class`: String
        public var patient: Int
    }

    public var directory: String
    public var fixtures: [Fixture]
    public var ingest: [IngestFile]
    /// Patient names, IDs, birth dates, study UIDs and the institution in the fixtures: none may ever
    /// appear in anything Cohort writes.
    public var identities: [String]

    public func path(_ file: String) -> String { "\(directory)/\(file)" }
}

public enum DICOMFixtures {
    /// Why the fixtures cannot be made here, or nil (`make test` installs what they need).
    public static let unavailableReason: String? = {
        let tools = ["/usr/bin/dcmcjpeg", "/usr/bin/dcmcjpls", "/usr/bin/dcmcrle", "/usr/bin/dcmconv", "/usr/bin/gdcmconv"]
        if let missing = tools.first(where: { !FileManager.default.isExecutableFile(atPath: $0) }) {
            return "\(missing) is missing (Debian dcmtk and libgdcm-tools; make test installs them): DICOM fixture tests are skipped"
        }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        probe.arguments = ["-c", "import pydicom, numpy"]
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return "/usr/bin/python3 is missing: DICOM fixture tests are skipped" }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
            ? nil : "Debian python3-pydicom and python3-numpy are missing (make test installs them): DICOM fixture tests are skipped"
    }()

    private static let made: Result<DICOMFixtureSet, FixtureError> = {
        let directory = NSTemporaryDirectory() + "cohort-dicom-fixtures-\(getpid())"
        let script = SharedData.repositoryRoot + "/Tests/Fixtures/make_dicom_fixtures.py"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script, directory]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch { return .failure(FixtureError(message: "cannot run \(script): \(error)")) }
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return .failure(FixtureError(message: "\(script) failed: \(text)")) }
        struct Manifest: Decodable {
            var fixtures: [DICOMFixtureSet.Fixture]
            var ingest: [DICOMFixtureSet.IngestFile]
            var identities: [String]
        }
        do {
            let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/manifest.json")))
            return .success(
                DICOMFixtureSet(
                    directory: directory, fixtures: manifest.fixtures, ingest: manifest.ingest, identities: manifest.identities))
        } catch {
            return .failure(FixtureError(message: "manifest: \(error)"))
        }
    }()

    /// The fixture set (made on first use).
    public static func fixtures() throws -> DICOMFixtureSet { try made.get() }

    public struct FixtureError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
