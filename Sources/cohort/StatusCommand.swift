// `cohort status --state DIR`: what the daemon's catalog holds, read-only (works while cohortd runs,
// thanks to WAL): per-class counts, the quarantine with reasons, recent jobs and the latest reports.
import ArgumentParser
import Catalog
import Foundation

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a cohortd catalog: counts per class, quarantined files with reasons, jobs, reports.")

    @Option(help: "cohortd's state directory (holds catalog.sqlite).")
    var state = "/var/lib/cohort"

    @Flag(help: "List every quarantined file with its reason.")
    var quarantine = false

    @Flag(help: "Print JSON instead of tables.")
    var json = false

    func run() throws {
        let catalog = try CatalogDatabase(path: state + "/catalog.sqlite", readOnly: true)
        let counts = try catalog.classCounts()
        let jobs = try catalog.recentJobs(limit: 10)
        let reports = try catalog.reports()
        let quarantined = try catalog.quarantine()
        if json {
            struct Output: Encodable {
                var classes: [CatalogClassCounts]
                var jobs: [JobRecord]
                var reports: [ReportRecord]
                var quarantine: [ImageRecord]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let slim = quarantined.map {
                var r = $0; r.thumbnail = nil; return r
            }
            print(String(decoding: try encoder.encode(Output(classes: counts, jobs: jobs, reports: reports, quarantine: slim)), as: UTF8.self))
            return
        }
        var rows = [["DATASET", "CLASS", "REAL", "SYNTHETIC", "DUPLICATES", "QUARANTINED"]]
        for c in counts {
            rows.append([
                c.dataset, c.className.isEmpty ? "(no class)" : c.className, String(c.real), String(c.synthetic), String(c.duplicates),
                String(c.quarantined)
            ])
        }
        print(TextTable.render(rows))
        if !jobs.isEmpty {
            print("\nrecent jobs:")
            var jobRows = [["ID", "DATASET", "KIND", "STATE", "STEP", "OUTCOME"]]
            for j in jobs {
                jobRows.append([
                    String(j.id ?? 0), j.dataset, j.kind.rawValue, j.state.rawValue, "\(j.step)/\(j.totalSteps)",
                    String((j.outcome ?? j.detail ?? j.reason ?? "").prefix(90))
                ])
            }
            print(TextTable.render(jobRows))
        }
        if let latest = reports.first { print("\nlatest report: \(latest.directory)/report.html") }
        if quarantine {
            print("\nquarantined (\(quarantined.count)):")
            var qRows = [["FILE", "REASON"]]
            for q in quarantined { qRows.append([q.path, q.reason ?? ""]) }
            print(TextTable.render(qRows))
        } else if !quarantined.isEmpty {
            print("\n\(quarantined.count) quarantined file(s): --quarantine lists them with reasons")
        }
    }
}
