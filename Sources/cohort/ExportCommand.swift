// `cohort export`: materializes a balanced ImageFolder — real images plus the published synthetic
// samples — as hard links (copies across file systems), for training elsewhere. Nothing is moved.
import ArgumentParser
import Catalog
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a balanced ImageFolder (<out>/<class>/…) of a dataset's real and synthetic images as hard links.")

    @Option(help: "cohortd's state directory (holds catalog.sqlite).")
    var state = "/var/lib/cohort"

    @Option(help: "Dataset name.")
    var dataset: String

    @Option(help: "Destination folder; must not exist yet.")
    var out: String

    @Flag(help: "Real images of the train split only (keep the validation split out of a training set).")
    var trainOnly = false

    func run() throws {
        guard !FileManager.default.fileExists(atPath: out) else { throw ValidationError("\(out) already exists") }
        let catalog = try CatalogDatabase(path: state + "/catalog.sqlite", readOnly: true)
        let files = try catalog.balancedSet(dataset: dataset, trainOnly: trainOnly)
        guard !files.isEmpty else { throw ValidationError("dataset '\(dataset)' has no images in \(state)") }
        var used = Set<String>()
        var linked = 0, copied = 0, real = 0, synthetic = 0
        for file in files {
            let folder = out + "/" + file.className
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var name = (file.path as NSString).lastPathComponent
            if !used.insert(file.className + "/" + name).inserted {
                // Same file name from two subfolders: keep both, distinguished by a stable suffix.
                name = "\(String(fnv1a(file.path), radix: 16))-" + name
                used.insert(file.className + "/" + name)
            }
            let target = folder + "/" + name
            if link(file.path, target) == 0 { linked += 1 } else {
                try FileManager.default.copyItem(atPath: file.path, toPath: target)
                copied += 1
            }
            if file.synthetic { synthetic += 1 } else { real += 1 }
        }
        print("exported \(real) real and \(synthetic) synthetic images to \(out) (\(linked) hard links, \(copied) copies)")
    }
}

/// FNV-1a of a string's UTF-8 bytes: a stable (unlike `hashValue`) short name suffix.
func fnv1a(_ text: String) -> UInt64 {
    text.utf8.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
}
