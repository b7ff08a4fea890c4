// Writing a report: `<reports>/<timestamp>/report.json` and a self-contained `report.html`, both
// atomically; the catalog records it; only the latest `keep` reports stay on disk.
import AtomicFile
import Catalog
import Foundation

enum ReportWriter {
    /// Writes `report` under `root`; returns its directory.
    static func write(_ report: ClassifierReport, to root: String, keep: Int, catalog: CatalogDatabase) throws -> String {
        let stamp = Self.stamp(Date())
        var directory = root + "/" + stamp
        var suffix = 1
        while FileManager.default.fileExists(atPath: directory) {
            suffix += 1
            directory = root + "/" + stamp + "-\(suffix)"
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try AtomicFile.write(Array(try encoder.encode(report)), to: directory + "/report.json")
        try AtomicFile.write(Array(ReportHTML.render(report).utf8), to: directory + "/report.html")
        let headline = report.variants.map { v in
            String(format: "%@ macro-F1 %.3f", v.training, v.validation.macroF1)
        }.joined(separator: "; ")
        let summary = String(decoding: try JSONEncoder().encode(["headline": headline, "finding": report.findings.first ?? ""]), as: UTF8.self)
        let stale = try catalog.insertReport(
            ReportRecord(
                dataset: report.dataset, createdAt: Date().timeIntervalSince1970, directory: directory,
                summary: summary), keep: keep)
        for row in stale { try? FileManager.default.removeItem(atPath: row.directory) }
        return directory
    }

    /// UTC timestamp usable as a folder name: 20261128T201530Z.
    static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return formatter.string(from: date)
    }
}
