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

    func run() throws {
        let decoder = ImageDecoder(limits: DecodeLimits(maxPixels: maxPixels, maxFileBytes: maxFileBytes))
        let reports = files.map { ImageInspection.inspect($0, decoder: decoder) }
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
            let detail =
                report.ok
                ? (report.metadata.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") } ?? "")
                : (report.reason ?? "")
            rows.append([
                report.path, report.ok ? "ok" : "refused", report.format ?? "-", size,
                report.bitDepth.map(String.init) ?? "-",
                (report.colorType ?? "-") + (report.interlaced == true ? " (interlaced)" : ""), detail
            ])
        }
        print(TextTable.render(rows))
    }
}
