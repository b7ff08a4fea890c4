// `cohort inspect FILE…`: format, size, depth and colour type of each file, and ok or why it is refused.
import ArgumentParser
import Foundation
import ImageIO

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Tell whether Cohort accepts image files, and why not.",
        discussion: "Exit status is 0 when every file is accepted and 1 when any is refused.")

    @Argument(help: "Image files to inspect.")
    var files: [String]

    @Flag(help: "Print one JSON object per file (a JSON array).")
    var json = false

    @Option(help: "Largest accepted width × height, in pixels.")
    var maxPixels = DecodeLimits.default.maxPixels

    @Option(help: "Largest accepted file size, in bytes.")
    var maxFileBytes = DecodeLimits.default.maxFileBytes

    @Option(help: "DICOM gate: accepted modalities, comma-separated (as dataset.<name>.dicom.modalities).")
    var dicomModalities = ""

    @Option(help: "DICOM gate: accepted view positions, comma-separated (e.g. PA,AP).")
    var dicomViewPositions = ""

    @Option(help: "DICOM gate: accepted body parts, comma-separated (e.g. CHEST).")
    var dicomBodyParts = ""

    @Flag(help: "Show DICOM files' paths as given (by default hashed: export names can identify patients).")
    var showDICOMPaths = false

    func run() throws {
        let decoder = ImageDecoder(limits: DecodeLimits(maxPixels: maxPixels, maxFileBytes: maxFileBytes))
        func list(_ text: String) -> [String] { text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let gate = DICOMGate(modalities: list(dicomModalities), viewPositions: list(dicomViewPositions), bodyParts: list(dicomBodyParts))
        let reports = files.map { ImageInspection.inspect($0, decoder: decoder, gate: gate, showDICOMPaths: showDICOMPaths) }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
        } else {
            printTable(reports)
        }
        if reports.contains(where: { !$0.ok }) { throw ExitCode(1) }
    }

    private func printTable(_ reports: [ImageInspection]) {
        var rows = [["FILE", "STATUS", "FORMAT", "SIZE", "DEPTH", "COLOR", "DETAIL"]]
        for report in reports {
            let size = report.width.map { "\($0)×\(report.height ?? 0)" } ?? "-"
            var detail =
                report.ok
                ? (report.metadata.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } ?? "")
                : (report.reason ?? "")
            if let d = report.dicom {
                let facts = [
                    d.transferSyntaxName, d.photometric, "\(d.bitsStored)/\(d.bitsAllocated) bits\(d.signed ? " signed" : "")",
                    d.modality.map { "modality \($0)" }, d.viewPosition.map { "view \($0)" },
                    d.frames > 1 ? "frame \(d.frameUsed + 1) of \(d.frames)" : nil, "modality LUT: \(d.modalityTransform)", "VOI: \(d.window)",
                    "gate: \(report.gate ?? "-")"
                ].compactMap { $0 }
                detail = ([detail].filter { !$0.isEmpty } + facts).joined(separator: "; ")
            }
            rows.append([
                report.path, report.ok ? "ok" : "refused", report.format ?? "-", size,
                report.bitDepth.map(String.init) ?? "-",
                (report.colorType ?? "-") + (report.interlaced == true ? " (interlaced)" : ""), detail
            ])
        }
        print(TextTable.render(rows))
    }
}
