// Ingest: settled files become catalog rows. Each file is routed to its dataset and class, decoded and
// validated (ImageIO), normalized to the dataset's model size and hashed; exact duplicates are recorded
// as such, near-duplicates join a group whose members share one side of the train/validation split,
// and everything refused is quarantined with its reason. Source files are only ever read.
import Catalog
import Curation
import FileWatch
import Foundation
import ImageIO
import Kernels
import Training

/// What one ingest batch did (for logs and status).
public struct IngestOutcome: Sendable, Equatable {
    public var active = 0
    public var duplicates = 0
    public var quarantined = 0
    public var unchanged = 0
    public var removed = 0
    public var total: Int { active + duplicates + quarantined }
}

/// The synchronous ingest logic over the catalog (IngestService drives it from a dedicated queue).
final class IngestProcessor: @unchecked Sendable {
    let catalog: CatalogDatabase
    let router: DatasetRouter
    let decoder: ImageDecoder
    let validationFraction: Double
    /// The daemon's compute budget, shared with jobs (nil: every core, shared with no one — tests).
    let compute: ComputeBudget?
    private var indexes: [String: NearDuplicateIndex] = [:]

    init(catalog: CatalogDatabase, configuration: DaemonConfiguration, compute: ComputeBudget? = nil) throws {
        self.catalog = catalog
        self.compute = compute
        router = DatasetRouter(datasets: configuration.datasets)
        decoder = ImageDecoder(
            limits: configuration.decodeLimits, dicomSalt: try DICOMSalt.loadOrCreate(at: configuration.layout.dicomSalt))
        validationFraction = configuration.validationFraction
        try loadIndexes()
    }

    /// Restores the near-duplicate index of every dataset from the catalog.
    private func loadIndexes() throws {
        for dataset in router.datasets { indexes[dataset.name] = NearDuplicateIndex() }
        let rows = try catalog.activeImages().compactMap { row in row.id != nil && row.groupID != nil ? row.fingerprint.map { (row, $0) } : nil }
        // The near-duplicate screen's reference of every image (≈ 0.5 ms each) on every worker.
        let references = ParallelMap.map(rows.count, workers: Parallel.workers) { AlignmentBound.reference(rows[$0].1.thumbnail) }
        for ((row, print), reference) in zip(rows, references) {
            indexes[row.dataset]?.insert(
                id: row.id!, print: print, reference: reference, group: row.groupID!, key: groupKey(row), side: row.split.map(DataSplit.init))
        }
    }

    /// A catalog write that also changes the in-memory near-duplicate indexes: when the transaction fails
    /// (disk full, a damaged index) it rolls back, so the indexes are rebuilt from the catalog — otherwise
    /// they would keep groups for row ids that do not exist and that SQLite may hand to other rows.
    private func writeKeepingIndexes<T>(_ body: (ImageTransaction) throws -> T) throws -> T {
        do {
            return try catalog.writeImages(body)
        } catch {
            try? loadIndexes()
            throw error
        }
    }

    // MARK: Arrivals

    private enum Decoded {
        /// `groupKey`: the key the content gave (a DICOM image's salted patient hash).
        /// `prepared`: the near-duplicate search's view of it, nil for an exact copy of a cataloged image.
        case image(model: GrayImage, print: ImageFingerprint, prepared: NearDuplicateIndex.Prepared?, groupKey: String?)
        /// `transient`: the cause may pass without the file changing (ImageDecodeError.isTransient).
        case refused(String, transient: Bool)
    }

    /// Catalogs `files` (settled paths with their stamps); unchanged files already cataloged are skipped.
    func ingest(_ files: [(path: String, stamp: FileStamp)], now: Double = Date().timeIntervalSince1970) throws -> IngestOutcome {
        var outcome = IngestOutcome()
        let known = try catalog.images(atPaths: files.map(\.path))
        let fresh = files.filter { file in
            guard let row = known[file.path] else { return true }
            // A transient refusal is due again even though the file has not changed.
            if row.state == .quarantined, let retryAt = row.retryAt, retryAt <= now { return true }
            return row.fileSize != file.stamp.size || row.modified != file.stamp.modified
        }
        outcome.unchanged = files.count - fresh.count
        guard !fresh.isEmpty else { return outcome }
        let routes = fresh.map { router.route($0.path) }
        let decoded = decodeInChunks(fresh.count) { i -> Decoded in
            switch routes[i] {
            case .outside: return .refused("outside every watched root", transient: false)
            case .refused(_, _, let reason): return .refused(reason, transient: false)
            case .image(let dataset, _):
                do throws(ImageDecodeError) {
                    let decoded = try decoder.decode(path: fresh[i].path)
                    if let dicom = decoded.dicom, let refusal = dataset.dicomGate.refusal(dicom) { return .refused(refusal, transient: false) }
                    let model = Preprocessor.resizeShorterSideAndCenterCrop(decoded.image, to: dataset.imageSize)
                    let print = ImageFingerprint(model, modelSize: dataset.imageSize)
                    // An exact copy of a cataloged image is recorded as a duplicate, never searched: only the
                    // others are prepared (≈ 0.5 ms each). The indexes change only in the write phase below.
                    let copy = indexes[dataset.name]?.contains(contentHash: print.contentHash) == true
                    return .image(
                        model: model, print: print, prepared: copy ? nil : NearDuplicateIndex.Prepared(print), groupKey: decoded.dicom?.groupKey)
                } catch {
                    return .refused(error.message, transient: error.isTransient)
                }
            }
        }
        var reingest: [String] = []
        var arrived = Set<String>()
        try writeKeepingIndexes { db in
            for (i, file) in fresh.enumerated() {
                if let old = known[file.path] { reingest += try delete(old, db: db) }
                let (datasetName, className): (String, String)
                switch routes[i] {
                case .outside: continue
                case .refused(let d, let c, _): (datasetName, className) = (d.name, c)
                case .image(let d, let c): (datasetName, className) = (d.name, c)
                }
                var row = ImageRecord(
                    dataset: datasetName, className: className, path: file.path, fileSize: file.stamp.size,
                    modified: file.stamp.modified, state: .quarantined, ingestedAt: now)
                switch decoded[i] {
                case .refused(let reason, let transient):
                    row.reason = reason
                    if transient {
                        // Retried with backoff (30 s doubling to 1 h) and at once on `cohortctl rescan`.
                        let attempt = (known[file.path].flatMap { $0.retryAt != nil ? $0.retryCount : nil } ?? 0) + 1
                        row.retryCount = attempt
                        row.retryAt = now + Self.retryDelay(attempt: attempt)
                        row.reason = reason + " — a passing cause: retried automatically (attempt \(attempt)) and on rescan"
                    }
                    try db.insert(&row)
                    outcome.quarantined += 1
                case .image(let model, let print, let prepared, let groupKey):
                    row.contentHash = print.contentHash
                    row.groupKey = groupKey
                    if let original = try db.activeImage(dataset: datasetName, contentHash: print.contentHash) {
                        row.state = .duplicate
                        row.duplicateOf = original.path
                        row.reason =
                            original.className == className
                            ? "same pixels as \(original.path)"
                            : "same pixels as \(original.path) in class '\(original.className)' (label conflict; counted there)"
                        try db.insert(&row)
                        outcome.duplicates += 1
                        continue
                    }
                    try insertActive(&row, model: model, prepared: prepared ?? NearDuplicateIndex.Prepared(print), db: db)
                    outcome.active += 1
                    arrived.insert(datasetName)
                }
            }
            // The scheduler's quiet period counts from the last real arrival: once per dataset and batch.
            for name in arrived { try db.noteArrival(dataset: name, at: now) }
        }
        if !reingest.isEmpty { outcome = outcome.adding(try reingestPaths(reingest, now: now)) }
        return outcome
    }

    /// Decodes `count` files in chunks of a few per worker, each chunk a turn on the compute budget: during
    /// a training job each waits for a step boundary, so ingest and the job never run side by side.
    private func decodeInChunks(_ count: Int, _ decode: (Int) -> Decoded) -> [Decoded] {
        guard let compute else { return ParallelMap.map(count, workers: Parallel.workers, decode) }
        // Large enough that a 128-file batch reaches its catalog commit within a few job steps, small enough
        // that a job waits well under a second per boundary.
        let chunk = max(16, 8 * compute.workers)
        var results: [Decoded] = []
        results.reserveCapacity(count)
        for start in stride(from: 0, to: count, by: chunk) {
            let size = min(chunk, count - start)
            results += compute.ingestChunk { workers in ParallelMap.map(size, workers: workers) { decode(start + $0) } }
        }
        return results
    }

    /// The row's group key: the one its content gave (a DICOM patient), else its file name's under the
    /// dataset's group pattern.
    private func groupKey(_ row: ImageRecord) -> String? {
        row.groupKey ?? router.datasets.first { $0.name == row.dataset }?.groupPattern?.key(forPath: row.path)
    }

    private func insertActive(_ row: inout ImageRecord, model: GrayImage, prepared: NearDuplicateIndex.Prepared, db: ImageTransaction) throws {
        let print = prepared.print
        let index = indexes[row.dataset]!
        let key = groupKey(row)
        row.state = .active
        row.perceptualHash = Int64(bitPattern: print.hash)
        row.mirroredHash = Int64(bitPattern: print.mirroredHash)
        row.thumbnail = print.thumbnail.withUnsafeBufferPointer { Data(buffer: $0) }
        // Inside the catalog transaction, so not a turn on the compute budget (a job waiting for the catalog
        // must not wait for ingest's turn too): one thread beside a running job, the budget otherwise.
        let matches = index.matchingGroups(prepared, key: key, workers: compute?.workersBesideJob ?? Parallel.workers)
        try db.insert(&row)
        let id = row.id!
        let group = matches.min() ?? id
        index.insert(id: id, prepared: prepared, group: group, key: key)
        // A bridge between groups merges them; every member's group and split is rewritten.
        let moved = index.merge(matches, into: group)
        let split = index.split(of: group, validationFraction: validationFraction)
        row.groupID = group
        row.split = ImageSplit(split)
        try db.update(row)
        try db.setGroup(group, split: ImageSplit(split), ofImages: index.members(of: group).map(\.id).filter { $0 != id } + moved)
        try db.insertPixels(imageID: id, side: model.width, data: Data(model.samples8))
    }

    // MARK: Transient refusals

    /// Seconds before attempt `attempt + 1`: 30 s, doubling, at most an hour.
    static func retryDelay(attempt: Int) -> Double { min(3600, 30 * pow(2, Double(max(0, attempt - 1)))) }

    /// Ingests again every transient refusal that is due (the file as it is now); returns the outcome.
    func retryDue(now: Double = Date().timeIntervalSince1970) throws -> IngestOutcome {
        let due = try catalog.refusalsDue(at: now)
        var files: [(path: String, stamp: FileStamp)] = []
        for row in due {
            var status = stat()
            if lstat(row.path, &status) == 0 {
                files.append((row.path, FileStamp(status)))
            } else if errno != ENOENT && errno != ENOTDIR {
                // Cannot even stat it (a parent's permissions): still passing — try again later.
                let attempt = (row.retryCount ?? 0) + 1
                try catalog.postponeRetry(imageID: row.id!, until: now + Self.retryDelay(attempt: attempt), attempt: attempt)
            }  // gone: the watcher removes it
        }
        var outcome = IngestOutcome()
        for start in stride(from: 0, to: files.count, by: IngestService.batchSize) {
            outcome = outcome.adding(try ingest(Array(files[start..<min(files.count, start + IngestService.batchSize)]), now: now))
        }
        return outcome
    }

    /// Records a file the watcher cannot hand on (FileWatchEvent.unusable) as quarantined with `reason`,
    /// so `cohortctl quarantine` shows it; once per path and reason (a later inventory without it removes
    /// the row). A cataloged scan replaced by, say, a symbolic link or a FIFO loses its row first: what
    /// is at that path now is not the image that was trained on. Returns whether a row was added.
    @discardableResult
    func recordUnusable(path: String, reason: String, now: Double = Date().timeIntervalSince1970) throws -> Bool {
        let (dataset, className): (DatasetConfiguration, String)
        switch router.route(path) {
        case .outside: return false
        case .refused(let d, let c, _): (dataset, className) = (d, c)
        case .image(let d, let c): (dataset, className) = (d, c)
        }
        let existing = try catalog.image(atPath: path)
        if let existing {
            if existing.state == .quarantined && existing.reason == reason { return false }
            _ = try remove(paths: [path])
        }
        return try catalog.writeImages { db in
            guard try db.count(atPath: path) == 0 else { return false }
            var row = ImageRecord(
                dataset: dataset.name, className: className, path: path, fileSize: 0, modified: 0,
                state: .quarantined, ingestedAt: now)
            row.reason = reason
            try db.insert(&row)
            return true
        }
    }

    /// Makes every transient refusal due now (operator `rescan`: "the cause is gone, try again").
    func makeTransientRefusalsDue() throws {
        try catalog.makeTransientRefusalsDue()
    }

    // MARK: Departures

    /// Deletes a row; when an active image goes, its duplicates must be re-ingested (one becomes active).
    private func delete(_ row: ImageRecord, db: ImageTransaction) throws -> [String] {
        try db.delete(row)
        guard row.state == .active, let id = row.id else { return [] }
        indexes[row.dataset]?.remove(id: id)
        let copies = try db.duplicates(of: row.path)
        for copy in copies { try db.delete(copy) }
        return copies.map(\.path)
    }

    /// Forgets files that are gone: an exact path or everything under a directory.
    func remove(paths: [String], underDirectories directories: [String] = []) throws -> IngestOutcome {
        var outcome = IngestOutcome()
        var reingest: [String] = []
        try writeKeepingIndexes { db in
            var rows = try db.images(atPaths: paths)
            for directory in directories { rows += try db.images(under: directory) }
            for row in rows where try db.exists(row) {
                reingest += try delete(row, db: db)
                outcome.removed += 1
            }
        }
        let gone = Set(paths)
        reingest = reingest.filter { path in !gone.contains(path) && !directories.contains { path.hasPrefix($0 + "/") } }
        if !reingest.isEmpty { outcome = outcome.adding(try reingestPaths(reingest, now: Date().timeIntervalSince1970)) }
        return outcome
    }

    /// Drops every row of a configured dataset whose path is not under that dataset's watch root — what a
    /// moved root leaves behind. The inventory of a full scan only covers what is under the root, so
    /// without this such rows stayed active for ever and their scans kept being trained on though no one
    /// watches them. Only catalog rows go; the files are never touched (and are ingested again if the
    /// root moves back). Returns the rows dropped per dataset.
    func dropRowsOutsideWatchRoots() throws -> [String: Int] {
        var dropped: [String: Int] = [:]
        for dataset in router.datasets {
            let outside = try catalog.imagePaths(dataset: dataset.name, notUnder: dataset.watchRoot)
            guard !outside.isEmpty else { continue }
            dropped[dataset.name] = try remove(paths: outside).removed
        }
        return dropped
    }

    /// After a full scan of `root`: removes what the catalog has under it that is no longer there.
    func reconcile(root: String, present: Set<String>) throws -> IngestOutcome {
        let cataloged = try catalog.imagePaths(under: root)
        let gone = cataloged.filter { !present.contains($0) }
        return gone.isEmpty ? IngestOutcome() : try remove(paths: gone)
    }

    private func reingestPaths(_ paths: [String], now: Double) throws -> IngestOutcome {
        return try ingest(Self.currentStamps(paths), now: now)
    }

    /// Paths that still exist, with their stamps as they are now (FileWatch's stamp: size and mtime in ns).
    static func currentStamps(_ paths: [String]) -> [(path: String, stamp: FileStamp)] {
        paths.compactMap { path in
            var status = stat()
            return lstat(path, &status) == 0 ? (path, FileStamp(status)) : nil
        }
    }
}

extension IngestOutcome {
    func adding(_ other: IngestOutcome) -> IngestOutcome {
        IngestOutcome(
            active: active + other.active, duplicates: duplicates + other.duplicates, quarantined: quarantined + other.quarantined,
            unchanged: unchanged + other.unchanged, removed: removed + other.removed)
    }
}

extension ImageRecord {
    /// The stored fingerprint of an active image.
    var fingerprint: ImageFingerprint? {
        guard let contentHash, let perceptualHash, let mirroredHash, let thumbnail else { return nil }
        let values = thumbnail.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return ImageFingerprint(
            contentHash: contentHash, hash: UInt64(bitPattern: perceptualHash),
            mirroredHash: UInt64(bitPattern: mirroredHash), thumbnail: values)
    }
}
