// The catalog: one SQLite file (GRDB, WAL mode) that is the daemon's truth about every image, synthetic
// sample, job and report. WAL lets the control plane and `cohort` read while ingest writes.
import Foundation
import GRDB

/// Errors opening or migrating the catalog, naming the file.
public struct CatalogError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "catalog \(path): \(reason)" }
}

/// The catalog database. Thread-safe: GRDB's pool serializes writes and runs reads concurrently.
public final class CatalogDatabase: Sendable {
    /// The SQLite file.
    public let path: String
    let pool: DatabasePool

    /// Opens (creating and migrating when needed) the catalog at `path` in WAL mode. `readOnly` opens an
    /// existing catalog without migrating, for inspection tools.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        do {
            if !readOnly {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                        withIntermediateDirectories: true)
            } else if !FileManager.default.fileExists(atPath: path) {
                throw CatalogError(path: path, reason: "no catalog here (has cohortd run with this state directory?)")
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try CatalogSchema.migrator.migrate(pool) }
        } catch let error as CatalogError {
            throw error
        } catch {
            throw CatalogError(path: path, reason: "\(error)")
        }
    }

    /// Runs `body` in a read transaction (a consistent snapshot).
    public func read<T>(_ body: (Database) throws -> T) throws -> T { try pool.read(body) }

    /// Runs `body` in a write transaction: all of it commits or none.
    public func write<T>(_ body: (Database) throws -> T) throws -> T { try pool.write(body) }

    /// Copies the write-ahead log into the main file and empties it (`wal_checkpoint(TRUNCATE)`): after a
    /// clean stop the `.sqlite` file alone holds the whole catalog, so a backup of that file is complete.
    public func checkpointWAL() throws {
        try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// The journal mode SQLite reports ("wal" when WAL is on).
    public func journalMode() throws -> String {
        try pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") ?? "" }
    }
}
