// Read-only views of the catalog for inspection tools (`cohort status`, `cohort export`): counts per
// class, the quarantine with reasons, recent jobs, reports, and the files of a balanced set.
import Foundation
import GRDB

/// Per-class counts of one dataset.
public struct CatalogClassCounts: Codable, Sendable, Equatable {
    public var dataset: String
    public var className: String
    public var real: Int
    public var duplicates: Int
    public var quarantined: Int
    public var synthetic: Int
}

extension CatalogDatabase {
    /// Counts per dataset and class (real = active images; duplicates and quarantined by state), for every
    /// dataset or only `dataset`.
    public func classCounts(dataset: String? = nil) throws -> [CatalogClassCounts] {
        try read { db in
            let filter = dataset == nil ? "" : " WHERE dataset = ?"
            let arguments: StatementArguments = dataset.map { [$0] } ?? []
            var table: [String: CatalogClassCounts] = [:]
            func key(_ d: String, _ c: String) -> String { d + "\u{0}" + c }
            for row in try Row.fetchAll(
                db, sql: "SELECT dataset, className, state, COUNT(*) AS n FROM image" + filter + " GROUP BY dataset, className, state",
                arguments: arguments)
            {
                let (d, c, state, n): (String, String, String, Int) = (row["dataset"], row["className"], row["state"], row["n"])
                var entry = table[key(d, c)] ?? CatalogClassCounts(dataset: d, className: c, real: 0, duplicates: 0, quarantined: 0, synthetic: 0)
                switch state {
                case "active": entry.real += n
                case "duplicate": entry.duplicates += n
                default: entry.quarantined += n
                }
                table[key(d, c)] = entry
            }
            for row in try Row.fetchAll(
                db, sql: "SELECT dataset, className, COUNT(*) AS n FROM synthetic" + filter + " GROUP BY dataset, className",
                arguments: arguments)
            {
                let (d, c, n): (String, String, Int) = (row["dataset"], row["className"], row["n"])
                var entry = table[key(d, c)] ?? CatalogClassCounts(dataset: d, className: c, real: 0, duplicates: 0, quarantined: 0, synthetic: 0)
                entry.synthetic = n
                table[key(d, c)] = entry
            }
            return table.values.sorted { ($0.dataset, $0.className) < ($1.dataset, $1.className) }
        }
    }

    /// Quarantined files with their reasons (newest first).
    public func quarantine(limit: Int = 1000) throws -> [ImageRecord] {
        try read { db in
            try ImageRecord.filter(Column("state") == ImageRecord.State.quarantined.rawValue)
                .order(Column("ingestedAt").desc).limit(limit).fetchAll(db)
        }
    }

    /// The most recent jobs.
    public func recentJobs(limit: Int = 20) throws -> [JobRecord] {
        try read { db in try JobRecord.order(Column("id").desc).limit(limit).fetchAll(db) }
    }

    /// Reports, newest first.
    public func reports(dataset: String? = nil) throws -> [ReportRecord] {
        try read { db in
            var request = ReportRecord.order(Column("createdAt").desc, Column("id").desc)
            if let dataset { request = request.filter(Column("dataset") == dataset) }
            return try request.fetchAll(db)
        }
    }

    /// Files of a balanced ImageFolder for `dataset`: every active real image (only the train split when
    /// `trainOnly`) and every published synthetic sample, in catalog order.
    public func balancedSet(dataset: String, trainOnly: Bool) throws -> [BalancedFile] {
        try pool.read { db in
            var request = ImageRecord.filter(Column("dataset") == dataset && Column("state") == ImageRecord.State.active.rawValue)
            if trainOnly { request = request.filter(Column("split") == ImageSplit.train.rawValue) }
            let real = try request.order(Column("id")).fetchAll(db).map {
                BalancedFile(
                    className: $0.className, path: $0.path, synthetic: false, split: $0.split, group: $0.groupID,
                    contentHash: $0.contentHash)
            }
            let synthetic = try SyntheticRecord.filter(Column("dataset") == dataset).order(Column("id")).fetchAll(db).map {
                BalancedFile(className: $0.className, path: $0.path, synthetic: true, split: .train, group: nil, contentHash: nil)
            }
            return real + synthetic
        }
    }
}

/// One file of a balanced set. Synthetic samples are training data only (`split` train, no group).
public struct BalancedFile: Sendable, Equatable {
    public var className: String
    public var path: String
    public var synthetic: Bool
    public var split: ImageSplit?
    /// The real image's near-duplicate / patient group.
    public var group: Int64?
    /// SHA-256 of the real image's normalized pixels.
    public var contentHash: String?
}
