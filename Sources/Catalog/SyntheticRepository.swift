// Every query on published synthetic samples: by dataset or class, replacement of a class's samples in
// one transaction (the files are the publisher's), trimming the surplus newest-first.
import Foundation
import GRDB

extension CatalogDatabase {
    /// Samples of `dataset` (only `className` when given) in publishing order, or by class then id.
    public func syntheticSamples(dataset: String, className: String? = nil, orderedByClass: Bool = false) throws -> [SyntheticRecord] {
        try pool.read { db in
            var request = SyntheticRecord.filter(Column("dataset") == dataset)
            if let className { request = request.filter(Column("className") == className) }
            return try request.order(orderedByClass ? [Column("className"), Column("id")] : [Column("id")]).fetchAll(db)
        }
    }

    /// Inserts `records` and, when `replacing`, deletes the class's previous samples in the same
    /// transaction; returns the deleted rows.
    public func publishSynthetic(dataset: String, className: String, records: [SyntheticRecord], replacing: Bool) throws -> [SyntheticRecord] {
        try pool.write { db in
            let previous =
                replacing
                ? try SyntheticRecord.filter(Column("dataset") == dataset && Column("className") == className).fetchAll(db) : []
            for record in previous { _ = try record.delete(db) }
            for var record in records { try record.insert(db) }
            return previous
        }
    }

    /// Deletes `records` in one transaction.
    public func deleteSynthetic(_ records: [SyntheticRecord]) throws {
        try pool.write { db in for row in records { _ = try row.delete(db) } }
    }

    /// Deletes the newest samples (by generation, then id) of each class beyond its `keep` count; returns them.
    public func trimSynthetic(dataset: String, keep: [String: Int]) throws -> [SyntheticRecord] {
        try pool.write { db in
            var retired: [SyntheticRecord] = []
            for (className, wanted) in keep.sorted(by: { $0.key < $1.key }) {
                let rows = try SyntheticRecord.filter(Column("dataset") == dataset && Column("className") == className)
                    .order(Column("generation").desc, Column("id").desc).fetchAll(db)
                guard rows.count > wanted else { continue }
                for row in rows.prefix(rows.count - wanted) {
                    _ = try row.delete(db)
                    retired.append(row)
                }
            }
            return retired
        }
    }
}
