// Every query on jobs: the queue (oldest queued or interrupted first), state changes, progress, the
// scheduler's view of what is pending and of recent failures.
import Foundation
import GRDB

extension CatalogDatabase {
    /// Inserts `job` and sets its id.
    public func insertJob(_ job: inout JobRecord) throws {
        var row = job
        try pool.write { db in try row.insert(db) }
        job = row
    }

    /// Writes every column of `job`.
    public func updateJob(_ job: JobRecord) throws { try pool.write { db in try job.update(db) } }

    /// Saves a running job's progress detail.
    public func setJobDetail(id: Int64, detail: String?) throws {
        try pool.write { db in _ = try JobRecord.filter(Column("id") == id).updateAll(db, Column("detail").set(to: detail)) }
    }

    /// Saves the steps a job completed and checkpointed (what a resumed job skips) and its total.
    public func setJobSteps(id: Int64, step: Int, totalSteps: Int) throws {
        try pool.write { db in
            _ = try JobRecord.filter(Column("id") == id).updateAll(db, Column("step").set(to: step), Column("totalSteps").set(to: totalSteps))
        }
    }

    /// Marks jobs left `running` by a process that died as `interrupted` (they resume from their checkpoint).
    public func interruptRunningJobs() throws {
        try pool.write { db in
            _ = try JobRecord.filter(Column("state") == JobRecord.State.running.rawValue)
                .updateAll(db, Column("state").set(to: JobRecord.State.interrupted.rawValue))
        }
    }

    /// The oldest queued or interrupted job.
    public func nextRunnableJob() throws -> JobRecord? {
        try pool.read { db in
            try JobRecord.filter([JobRecord.State.queued.rawValue, JobRecord.State.interrupted.rawValue].contains(Column("state")))
                .order(Column("id")).fetchOne(db)
        }
    }

    /// Kinds of `dataset`'s jobs that are queued, running or interrupted.
    public func pendingJobKinds(dataset: String) throws -> Set<JobRecord.Kind> {
        try pool.read { db in
            let states = [JobRecord.State.queued, .running, .interrupted].map(\.rawValue)
            return Set(try JobRecord.filter(Column("dataset") == dataset && states.contains(Column("state"))).fetchAll(db).map(\.kind))
        }
    }

    /// The last `limit` finished jobs of one kind of `dataset`, newest first.
    public func finishedJobs(dataset: String, kind: JobRecord.Kind, limit: Int) throws -> [JobRecord] {
        try pool.read { db in
            try JobRecord.filter(Column("dataset") == dataset && Column("kind") == kind.rawValue && Column("finishedAt") != nil)
                .order(Column("id").desc).limit(limit).fetchAll(db)
        }
    }

    /// Jobs waiting to run (queued or interrupted).
    public func waitingJobCount() throws -> Int {
        try pool.read { db in
            try JobRecord.filter([JobRecord.State.queued.rawValue, JobRecord.State.interrupted.rawValue].contains(Column("state"))).fetchCount(db)
        }
    }
}
