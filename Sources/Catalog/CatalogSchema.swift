// Catalog schema, as ordered migrations. Never edit a shipped migration: add a new one.
import GRDB

enum CatalogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "image") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("dataset", .text).notNull()
                t.column("className", .text).notNull()
                t.column("path", .text).notNull().unique()
                t.column("fileSize", .integer).notNull()
                t.column("modified", .integer).notNull()
                t.column("contentHash", .text)
                t.column("perceptualHash", .integer)
                t.column("mirroredHash", .integer)
                t.column("thumbnail", .blob)
                t.column("groupID", .integer)
                t.column("split", .text)
                t.column("state", .text).notNull()
                t.column("reason", .text)
                t.column("duplicateOf", .text)
                t.column("ingestedAt", .double).notNull()
            }
            try db.create(index: "image_dataset", on: "image", columns: ["dataset", "state", "className"])
            try db.create(index: "image_hash", on: "image", columns: ["dataset", "contentHash"])
            // Preprocessed pixels at the dataset's model size: training never decodes a scan twice.
            try db.create(table: "pixels") { t in
                t.primaryKey("imageID", .integer).references("image", onDelete: .cascade)
                t.column("side", .integer).notNull()
                t.column("data", .blob).notNull()
            }
            try db.create(table: "synthetic") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("dataset", .text).notNull()
                t.column("className", .text).notNull()
                t.column("path", .text).notNull().unique()
                t.column("checkpointSHA256", .text).notNull()
                t.column("seed", .integer).notNull()
                t.column("sampleIndex", .integer).notNull()
                t.column("generation", .integer).notNull()
                t.column("nearestRealDistance", .double).notNull()
                t.column("createdAt", .double).notNull()
            }
            try db.create(index: "synthetic_dataset", on: "synthetic", columns: ["dataset", "className"])
            try db.create(table: "job") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("dataset", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("state", .text).notNull()
                t.column("step", .integer).notNull().defaults(to: 0)
                t.column("totalSteps", .integer).notNull().defaults(to: 0)
                t.column("detail", .text)
                t.column("reason", .text)
                t.column("createdAt", .double).notNull()
                t.column("startedAt", .double)
                t.column("finishedAt", .double)
                t.column("outcome", .text)
            }
            try db.create(table: "report") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("dataset", .text).notNull()
                t.column("createdAt", .double).notNull()
                t.column("directory", .text).notNull()
                t.column("summary", .text).notNull()
            }
            try db.create(table: "datasetState") { t in
                t.primaryKey("dataset", .text)
                t.column("ganTrainedAt", .double)
                t.column("imagesAtGAN", .integer).notNull().defaults(to: 0)
                t.column("classifierTrainedAt", .double)
                t.column("imagesAtClassifier", .integer).notNull().defaults(to: 0)
                t.column("lastImageAt", .double)
                t.column("generation", .integer).notNull().defaults(to: 0)
                t.column("checkpoint", .text)
                t.column("suppressedClasses", .text).notNull().defaults(to: "[]")
                t.column("lastPublish", .text)
            }
        }
        migrator.registerMigration("v2: job arguments") { db in
            try db.alter(table: "job") { t in t.add(column: "arguments", .text) }
        }
        migrator.registerMigration("v3: acceptance score of synthetic samples") { db in
            try db.alter(table: "synthetic") { t in t.add(column: "acceptanceScore", .double) }
        }
        migrator.registerMigration("v4: transient refusals are retried") { db in
            try db.alter(table: "image") { t in
                t.add(column: "retryAt", .double)
                t.add(column: "retryCount", .integer)
            }
            // Scans refused as unreadable before retries existed get one more try (a passing cause may be gone).
            try db.execute(sql: "UPDATE image SET retryAt = 0 WHERE state = 'quarantined' AND reason LIKE 'cannot read file:%'")
        }
        migrator.registerMigration("v5: group keys from the image (DICOM patients)") { db in
            try db.alter(table: "image") { t in t.add(column: "groupKey", .text) }
        }
        return migrator
    }
}
