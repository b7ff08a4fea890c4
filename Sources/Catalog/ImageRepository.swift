// Every query on real images (`image` and `pixels` tables) that cohortd's ingest and jobs make. Ingest's
// batch writes run inside one transaction (`CatalogDatabase.writeImages`) through `ImageTransaction`,
// whose methods are the only statements it can issue, so a batch commits whole or not at all.
import Foundation
import GRDB

/// Side of the train/validation split an image's group is on.
public enum ImageSplit: String, Codable, Sendable, CaseIterable {
    case train, validation
}

/// One active image's normalized pixels with its class and path (training data straight from the catalog).
public struct CatalogPixels: Sendable {
    public var path: String
    public var className: String
    /// Side of the square image in pixels.
    public var side: Int
    /// side × side 8-bit samples, row-major.
    public var data: Data
}

/// Real images of one class by state and split (reports).
public struct CatalogSplitCounts: Sendable, Equatable {
    public var className: String
    public var state: ImageRecord.State
    public var split: ImageSplit?
    public var count: Int
}

/// Statements on images inside one write transaction (see `CatalogDatabase.writeImages`).
public struct ImageTransaction {
    let db: Database

    /// Rows at these exact paths (any number; queried in chunks).
    public func images(atPaths paths: [String]) throws -> [ImageRecord] {
        var rows: [ImageRecord] = []
        for chunk in stride(from: 0, to: paths.count, by: 500) {
            rows += try ImageRecord.filter(paths[chunk..<min(paths.count, chunk + 500)].contains(Column("path"))).fetchAll(db)
        }
        return rows
    }

    /// Rows of files under `directory` (any depth).
    public func images(under directory: String) throws -> [ImageRecord] {
        try ImageRecord.filter(Column("path").like(CatalogDatabase.likePrefix(directory + "/"), escape: "\\")).fetchAll(db)
    }

    /// The active image of `dataset` with these normalized pixels (what an exact duplicate repeats).
    public func activeImage(dataset: String, contentHash: String) throws -> ImageRecord? {
        try ImageRecord.filter(
            Column("dataset") == dataset && Column("contentHash") == contentHash
                && Column("state") == ImageRecord.State.active.rawValue
        ).fetchOne(db)
    }

    /// Duplicates recorded as repeating the image at `path`.
    public func duplicates(of path: String) throws -> [ImageRecord] {
        try ImageRecord.filter(Column("duplicateOf") == path).fetchAll(db)
    }

    public func exists(_ image: ImageRecord) throws -> Bool {
        guard let id = image.id else { return false }
        return try ImageRecord.exists(db, key: id)
    }

    public func count(atPath path: String) throws -> Int { try ImageRecord.filter(Column("path") == path).fetchCount(db) }

    /// Inserts `image` and sets its id.
    public func insert(_ image: inout ImageRecord) throws { try image.insert(db) }
    public func update(_ image: ImageRecord) throws { try image.update(db) }
    /// Deletes the row (its pixels go with it: foreign key cascade).
    @discardableResult
    public func delete(_ image: ImageRecord) throws -> Bool { try image.delete(db) }

    /// Moves images `ids` into near-duplicate group `group` on `split` (a merge of groups).
    public func setGroup(_ group: Int64, split: ImageSplit, ofImages ids: [Int64]) throws {
        guard !ids.isEmpty else { return }
        try ImageRecord.filter(Set(ids).contains(Column("id"))).updateAll(
            db, Column("groupID").set(to: group), Column("split").set(to: split.rawValue))
    }

    /// Stores the normalized model-size pixels of image `imageID`.
    public func insertPixels(imageID: Int64, side: Int, data: Data) throws {
        try PixelRecord(imageID: imageID, side: side, data: data).insert(db)
    }

    /// Records a real arrival in `dataset` at `time` (the scheduler's quiet period counts from it).
    public func noteArrival(dataset: String, at time: Double) throws {
        var state = try DatasetStateRecord.fetchOne(db, key: dataset) ?? DatasetStateRecord(dataset: dataset)
        state.lastImageAt = time
        try state.save(db)
    }
}

extension CatalogDatabase {
    /// Runs `body` in one write transaction over images: all of it commits or none.
    public func writeImages<T>(_ body: (ImageTransaction) throws -> T) throws -> T {
        try pool.write { db in try body(ImageTransaction(db: db)) }
    }

    /// Every active image (to rebuild the near-duplicate indexes).
    public func activeImages() throws -> [ImageRecord] {
        try pool.read { db in try ImageRecord.filter(Column("state") == ImageRecord.State.active.rawValue).fetchAll(db) }
    }

    /// Rows at these exact paths, keyed by path.
    public func images(atPaths paths: [String]) throws -> [String: ImageRecord] {
        let rows = try pool.read { db in try ImageTransaction(db: db).images(atPaths: paths) }
        return Dictionary(rows.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The row at `path`, if any.
    public func image(atPath path: String) throws -> ImageRecord? {
        try pool.read { db in try ImageRecord.filter(Column("path") == path).fetchOne(db) }
    }

    /// Transient refusals whose retry time has come at `now`.
    public func refusalsDue(at now: Double) throws -> [ImageRecord] {
        try pool.read { db in
            try ImageRecord.filter(Column("state") == ImageRecord.State.quarantined.rawValue && Column("retryAt") != nil && Column("retryAt") <= now)
                .fetchAll(db)
        }
    }

    /// Postpones image `id`'s next retry to `time`, counting `attempt`.
    public func postponeRetry(imageID id: Int64, until time: Double, attempt: Int) throws {
        try pool.write { db in
            _ = try ImageRecord.filter(Column("id") == id).updateAll(db, Column("retryAt").set(to: time), Column("retryCount").set(to: attempt))
        }
    }

    /// Makes every transient refusal due now (operator `rescan`).
    public func makeTransientRefusalsDue() throws {
        try pool.write { db in _ = try ImageRecord.filter(Column("retryAt") != nil).updateAll(db, Column("retryAt").set(to: 0)) }
    }

    /// Paths of `dataset`'s rows that are not under `root`.
    public func imagePaths(dataset: String, notUnder root: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(
                db, sql: "SELECT path FROM image WHERE dataset = ? AND path NOT LIKE ? ESCAPE '\\'",
                arguments: [dataset, Self.likePrefix(root + "/")])
        }
    }

    /// Paths of every row under `root`.
    public func imagePaths(under root: String) throws -> [String] {
        try pool.read { db in
            try String.fetchAll(db, sql: "SELECT path FROM image WHERE path LIKE ? ESCAPE '\\'", arguments: [Self.likePrefix(root + "/")])
        }
    }

    /// Cached pixels of `dataset`'s active images on `split` (nil: both), in ingest order.
    public func activePixels(dataset: String, split: ImageSplit?) throws -> [CatalogPixels] {
        try pool.read { db in
            var sql = """
                SELECT image.path, image.className, pixels.side, pixels.data FROM image JOIN pixels ON pixels.imageID = image.id
                WHERE image.dataset = ? AND image.state = 'active'
                """
            var arguments: StatementArguments = [dataset]
            if let split {
                sql += " AND image.split = ?"
                arguments += [split.rawValue]
            }
            return try Row.fetchAll(db, sql: sql + " ORDER BY image.id", arguments: arguments).map {
                CatalogPixels(path: $0["path"], className: $0["className"], side: $0["side"], data: $0["data"])
            }
        }
    }

    /// Real images of `dataset` per class, state and split.
    public func splitCounts(dataset: String) throws -> [CatalogSplitCounts] {
        let file = path
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT className, state, split, COUNT(*) AS n FROM image WHERE dataset = ? GROUP BY className, state, split",
                arguments: [dataset]
            ).map { row in
                let state: String = row["state"]
                let split: String? = row["split"]
                guard let typedState = ImageRecord.State(rawValue: state) else {
                    throw CatalogError(path: file, reason: "image state '\(state)' is not one this version knows")
                }
                return CatalogSplitCounts(
                    className: row["className"], state: typedState, split: split.flatMap(ImageSplit.init(rawValue:)),
                    count: row["n"])
            }
        }
    }

    /// `prefix` as a LIKE pattern matching everything that starts with it (`\` escapes).
    static func likePrefix(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}
