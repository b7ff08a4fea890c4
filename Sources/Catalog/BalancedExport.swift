// A balanced ImageFolder (`<out>/<class>/…`) of a dataset's real images plus its published synthetic
// samples, made of hard links (copies across file systems): what `cohort export` and cohortd's
// `export` command write for training elsewhere. Nothing in the catalog's trees is moved. A DICOM
// source is never linked or copied (its header holds patient data): it is written as a 16-bit PNG of
// its display rendering, named by a hash of its path (PACS export names can identify patients).
import Foundation
import ImageIO

public enum BalancedExport {
    public struct Summary: Sendable, Equatable {
        public var real = 0
        public var synthetic = 0
        public var linked = 0
        public var copied = 0
        /// DICOM sources written as de-identified PNG renderings.
        public var rendered = 0
    }

    public enum Failure: Error, CustomStringConvertible, Equatable {
        case destinationExists(String)
        case empty(dataset: String)
        public var description: String {
            switch self {
            case .destinationExists(let path): return "\(path) already exists (exports never write into an existing folder)"
            case .empty(let dataset): return "dataset '\(dataset)' has no images"
            }
        }
    }

    /// Writes the export of `dataset` to `out`, which must not exist yet; `trainOnly` leaves the
    /// validation split's real images out.
    public static func write(catalog: CatalogDatabase, dataset: String, trainOnly: Bool, to out: String) throws -> Summary {
        try writeFiles(catalog: catalog, dataset: dataset, trainOnly: trainOnly, to: out).summary
    }

    /// As `write`, also returning each file with its path relative to `out` (`<class>/<name>`).
    public static func writeFiles(catalog: CatalogDatabase, dataset: String, trainOnly: Bool, to out: String) throws
        -> (summary: Summary, files: [(file: BalancedFile, relativePath: String)])
    {
        guard !FileManager.default.fileExists(atPath: out) else { throw Failure.destinationExists(out) }
        let files = try catalog.balancedSet(dataset: dataset, trainOnly: trainOnly)
        guard !files.isEmpty else { throw Failure.empty(dataset: dataset) }
        var used = Set<String>()
        var summary = Summary()
        let decoder = ImageDecoder()
        var written: [(file: BalancedFile, relativePath: String)] = []
        for file in files {
            let folder = out + "/" + file.className
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let dicom = DICOMPathRedaction.isDICOM(file.path)
            var name = dicom ? "dicom-\(String(fnv1a(file.path), radix: 16)).png" : (file.path as NSString).lastPathComponent
            if !used.insert(file.className + "/" + name).inserted {
                // Same file name from two subfolders: keep both, distinguished by a stable suffix.
                name = "\(String(fnv1a(file.path), radix: 16))-" + name
                used.insert(file.className + "/" + name)
            }
            let target = folder + "/" + name
            if dicom {
                // Pixels only: no header value, no name, no text chunk from the source.
                try PNGEncoder.write(try decoder.decode(path: file.path).image, to: target)
                summary.rendered += 1
            } else if link(file.path, target) == 0 {
                summary.linked += 1
            } else {
                try FileManager.default.copyItem(atPath: file.path, toPath: target)
                summary.copied += 1
            }
            if file.synthetic { summary.synthetic += 1 } else { summary.real += 1 }
            written.append((file, file.className + "/" + name))
        }
        return (summary, written)
    }

    /// FNV-1a of a string's UTF-8 bytes: a stable (unlike `hashValue`) short name suffix.
    static func fnv1a(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}
