// `cohort split`: writes the deterministic train/validation split that `cohort experiment` uses (exact
// duplicates counted once, near-duplicate and file-name groups kept whole) as CSV — and, with --pixels,
// the model-size images themselves — so another trainer —
// bench/train_ddp.py under torchrun, a team's own PyTorch code — trains and validates on exactly the same
// images and its figures can be set beside Cohort's.
import ArgumentParser
import AtomicFile
import Curation
import Foundation
import Training

struct SplitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "split",
        abstract: "Write the train/validation split cohort experiment uses (file,class,split) as CSV.",
        discussion: """
            Rows are the images the experiment keeps, paths relative to DATA; exact duplicates after the first and \
            files Cohort refuses are left out (their counts are printed). The same DATA, --image-size, \
            --validation-fraction and --group-pattern give the same split as `cohort experiment`.
            """)

    @Option(help: "Training ImageFolder tree (<class>/*.png|jpg).")
    var data: String

    @Option(help: "Image size the fingerprints are computed at (as in cohort experiment).")
    var imageSize = 64

    @Option(help: "Fraction of groups held out for validation.")
    var validationFraction = 0.2

    @Option(help: "Regular expression with one capture group applied to file names (a patient key), as in cohort experiment.")
    var groupPattern: String?

    @Option(help: "The CSV file to write.")
    var out: String

    @Option(
        help:
            "Also write the images as Cohort feeds them to its models: float32 little-endian [rows, size, size] in the CSV's row order, values in [-1, 1] (8-bit luma, shorter side resized Pillow-exactly, centre-cropped), for a trainer that must see exactly Cohort's pixels."
    )
    var pixels: String?

    func validate() throws {
        guard imageSize == 64 || imageSize == 128 else { throw ValidationError("--image-size must be 64 or 128") }
        guard validationFraction > 0, validationFraction < 1 else { throw ValidationError("--validation-fraction must lie in (0, 1)") }
        if let groupPattern {
            do { _ = try GroupPattern(groupPattern) } catch { throw ValidationError(error.description) }
        }
    }

    func run() throws {
        let folder = try ImageFolder(root: data)
        let pattern = try groupPattern.map { try GroupPattern($0) }
        let (train, validation, summary) = DatasetLoader.load(folder, size: imageSize, validationFraction: validationFraction, groupPattern: pattern)
        let root = (data as NSString).standardizingPath + "/"
        var csv = "file,class,split\n"
        for (images, side) in [(train, "train"), (validation, "validation")] {
            for (path, label) in zip(images.paths, images.labels) {
                let relative = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
                csv += "\(Self.csvField(relative)),\(Self.csvField(images.classes[label])),\(side)\n"
            }
        }
        try AtomicFile.write(Array(csv.utf8), to: out)
        if let pixels {
            let all = train.pixels + validation.pixels  // little-endian on every platform Cohort builds for
            try all.withUnsafeBytes { try AtomicFile.write($0, to: pixels) }
        }
        print(
            "\(out): \(train.count) train and \(validation.count) validation images of \(summary.files) files "
                + "(\(summary.exactDuplicatesDropped) exact duplicates and \(summary.refused.count) refused files left out; "
                + "\(summary.groups) groups, the largest \(summary.largestGroup))")
    }

    /// A CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
