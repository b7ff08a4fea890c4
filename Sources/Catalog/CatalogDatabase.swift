// The catalog: one SQLite file (GRDB, WAL mode) that is the daemon's truth about every image, synthetic
// sample, job and report. WAL lets the control plane and `cohort` read while ingest writes.
//
// Never start over silently: an existing but empty file (truncated, or a backup that copied the `.sqlite`
// without its `-wal`) is refused, and page damage is looked for at every start (`PRAGMA quick_check`),
// so cohortd exits with a reason instead of re-ingesting into a blank catalog or failing later, batch by
// batch. A consistent copy for backups comes from `VACUUM INTO` (`backup(to:)`, `cohortctl backup`).
import Foundation
import GRDB

#if canImport(Glibc)
    import Glibc
#endif

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
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true)
            } else if !FileManager.default.fileExists(atPath: path) {
                throw CatalogError(path: path, reason: "no catalog here (has cohortd run with this state directory?)")
            }
            try Self.refuseEmptyFile(path)
            // Checked on a read-only connection before the pool opens: opening a pool writes (WAL set-up), and
            // closing it checkpoints, so a damaged file would be changed on its way to being refused.
            if !readOnly && FileManager.default.fileExists(atPath: path) { try Self.refuseDamage(path: path) }
            pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try CatalogSchema.migrator.migrate(pool) }
        } catch let error as CatalogError {
            throw error
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
            // Damage severe enough that opening or checking fails outright gets the same advice as quick_check's findings.
            throw CatalogError(path: path, reason: Self.damageReason(path: path, problems: [error.message ?? "\(error)"]))
        } catch {
            throw CatalogError(path: path, reason: "\(error)")
        }
    }

    /// An existing zero-byte catalog with no write-ahead log beside it holds nothing — SQLite would take it
    /// for a new database and cohortd would start over without a word. (A catalog created in WAL mode and
    /// never checkpointed can be 0 bytes with everything in `-wal`: that one opens.)
    static func refuseEmptyFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0, info.st_size == 0 else { return }
        var wal = stat()
        if stat(path + "-wal", &wal) == 0, wal.st_size > 0 { return }
        throw CatalogError(
            path: path,
            reason: "the catalog file is empty (0 bytes) and has no write-ahead log: it was truncated, "
                + "or copied without its -wal file. Restore it from a backup (cohortctl backup), or move it aside to start a new, "
                + "empty catalog (every scan is then ingested again).")
    }

    /// Runs `PRAGMA quick_check` (every page's structure, not index contents; seconds on a large catalog)
    /// and refuses a damaged catalog with the first problems SQLite names.
    static func refuseDamage(path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let problems = try DatabaseQueue(path: path, configuration: configuration).read {
            try String.fetchAll($0, sql: "PRAGMA quick_check(10)")
        }
        guard problems != ["ok"] else { return }
        throw CatalogError(path: path, reason: damageReason(path: path, problems: problems))
    }

    static func damageReason(path: String, problems: [String]) -> String {
        "the catalog is damaged (" + problems.prefix(3).joined(separator: "; ") + "). cohortd stops rather than lose data: "
            + "restore the last backup (cohortctl backup), or recover with `sqlite3 \(path) .recover | sqlite3 NEW.sqlite` "
            + "and put NEW.sqlite in its place."
    }

    /// Writes a consistent copy of the whole catalog to `destination` (`VACUUM INTO` a temporary file
    /// beside it, fsync, rename): a backup that needs no `-wal` file and can be taken while cohortd runs.
    /// Refuses a destination that exists. Returns the copy's size in bytes.
    @discardableResult
    public func backup(to destination: String) throws -> Int64 {
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw CatalogError(path: destination, reason: "backup destination exists; choose a new file name")
        }
        let temporary = destination + ".partial-\(getpid())"
        unlink(temporary)
        do {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [temporary]) }
            let fd = open(temporary, O_RDONLY)
            guard fd >= 0 else { throw CatalogError(path: temporary, reason: "cannot reopen the copy: \(String(cString: strerror(errno)))") }
            let synced = fsync(fd)
            let syncError = errno
            var info = stat()
            fstat(fd, &info)
            close(fd)
            guard synced == 0 else { throw CatalogError(path: temporary, reason: "fsync failed: \(String(cString: strerror(syncError)))") }
            guard link(temporary, destination) == 0 else {
                // link, not rename: it fails instead of replacing a file that appeared meanwhile.
                throw CatalogError(path: destination, reason: "cannot create the backup: \(String(cString: strerror(errno)))")
            }
            unlink(temporary)
            let directory = open(
                (destination as NSString).deletingLastPathComponent.isEmpty ? "." : (destination as NSString).deletingLastPathComponent,
                O_RDONLY | O_DIRECTORY)
            if directory >= 0 { fsync(directory); close(directory) }
            return Int64(info.st_size)
        } catch let error as CatalogError {
            unlink(temporary)
            throw error
        } catch {
            unlink(temporary)
            throw CatalogError(path: destination, reason: "backup failed: \(error)")
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
