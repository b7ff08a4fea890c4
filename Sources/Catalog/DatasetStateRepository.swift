// A dataset's scheduling memory (`datasetState`): read with a default for a dataset never seen, changed
// in one transaction, and its JSON-valued columns read through typed accessors that throw on damage.
import Foundation
import GRDB

extension CatalogDatabase {
    /// The state of `dataset` (a fresh one when the catalog has none yet).
    public func datasetState(_ dataset: String) throws -> DatasetStateRecord {
        try pool.read { db in try DatasetStateRecord.fetchOne(db, key: dataset) } ?? DatasetStateRecord(dataset: dataset)
    }

    /// Reads, changes and saves the state of `dataset` in one transaction.
    public func updateDatasetState(_ dataset: String, _ change: (inout DatasetStateRecord) throws -> Void) throws {
        try pool.write { db in
            var record = try DatasetStateRecord.fetchOne(db, key: dataset) ?? DatasetStateRecord(dataset: dataset)
            try change(&record)
            try record.save(db)
        }
    }

    /// The latest report's folder of `dataset`, if any.
    public func latestReportDirectory(dataset: String) throws -> String? {
        try pool.read { db in
            try ReportRecord.filter(Column("dataset") == dataset).order(Column("createdAt").desc, Column("id").desc).fetchOne(db)?.directory
        }
    }

    /// Records a new report of `dataset` and drops all but the newest `keep`; returns the dropped rows
    /// (their folders are the caller's to delete).
    public func insertReport(_ report: ReportRecord, keep: Int) throws -> [ReportRecord] {
        try pool.write { db in
            var record = report
            try record.insert(db)
            let all = try ReportRecord.filter(Column("dataset") == report.dataset).order(Column("createdAt").desc, Column("id").desc).fetchAll(db)
            let old = Array(all.dropFirst(keep))
            for row in old { _ = try row.delete(db) }
            return old
        }
    }
}

/// A JSON-valued column of the catalog that does not decode.
public struct CatalogValueError: Error, CustomStringConvertible, Sendable {
    public var dataset: String
    public var column: String
    public var stored: String
    public var description: String {
        "\(dataset): the catalog's \(column) does not decode (\(stored.prefix(80).debugDescription))"
    }
}

extension DatasetStateRecord {
    /// Classes whose synthetic samples are withheld as harmed. Stored as JSON text so that a damaged value
    /// leaves the rest of the row readable (the classifier job that rewrites it must still run); reading
    /// it throws instead of meaning "nothing withheld".
    public func withheldClasses() throws(CatalogValueError) -> [String] {
        guard let classes = try? JSONDecoder().decode([String].self, from: Data(suppressedClasses.utf8)) else {
            throw CatalogValueError(dataset: dataset, column: "list of classes withheld as harmed", stored: suppressedClasses)
        }
        return classes
    }

    public mutating func setWithheldClasses(_ classes: [String]) {
        suppressedClasses = String(decoding: (try? JSONEncoder().encode(classes.sorted())) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// The last regeneration's per-class publish summary as `T` (nil: none yet); throws when it does not decode.
    public func lastPublish<T: Decodable>(as type: T.Type) throws(CatalogValueError) -> T? {
        guard let lastPublish else { return nil }
        guard let value = try? JSONDecoder().decode(T.self, from: Data(lastPublish.utf8)) else {
            throw CatalogValueError(dataset: dataset, column: "last publish summary", stored: lastPublish)
        }
        return value
    }

    public mutating func setLastPublish<T: Encodable>(_ value: T) throws {
        lastPublish = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
