// `cohort phantoms`: writes a deliberately imbalanced ImageFolder of phantom scans (make demo's data).
import ArgumentParser
import Foundation
import Training

struct PhantomsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phantoms",
        abstract: "Write phantom scans (\(PhantomScans.classes.joined(separator: ", "))) as an ImageFolder: <out>/<class>/*.png.")

    @Option(help: "Destination folder (created).")
    var out: String

    @Option(help: "Images per class, in class order (comma-separated).")
    var counts = "120,60,20"

    @Option(help: "Image side in pixels.")
    var size = 64

    @Option(help: "Random seed (different seeds give different images).")
    var seed: UInt64 = 1

    func run() throws {
        let values = counts.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.allSatisfy({ $0 >= 0 }) else { throw ValidationError("--counts: expected numbers like 120,60,20") }
        let paths = try PhantomScans.write(counts: values, size: size, seed: seed, to: out)
        print("wrote \(paths.count) phantom scans to \(out)")
    }
}
