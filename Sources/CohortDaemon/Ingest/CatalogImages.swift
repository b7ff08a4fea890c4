// Training data straight from the catalog: the cached, normalized pixels of active images, so a job
// never decodes a scan again.
import Catalog
import Foundation
import GRDB
import Training

enum CatalogImages {
    /// Active real images of `dataset` on `split` (nil: both), labelled by their index in `classes`
    /// (images of other classes are left out), as [-1, 1] Float32.
    static func load(_ catalog: CatalogDatabase, dataset: String, split: DataSplit?, classes: [String], size: Int) throws -> LabeledImages {
        let rows = try catalog.read { db in
            var sql = """
                SELECT image.path, image.className, pixels.side, pixels.data FROM image JOIN pixels ON pixels.imageID = image.id
                WHERE image.dataset = ? AND image.state = 'active'
                """
            var arguments: StatementArguments = [dataset]
            if let split {
                sql += " AND image.split = ?"
                arguments += [split.rawValue]
            }
            sql += " ORDER BY image.id"
            return try Row.fetchAll(db, sql: sql, arguments: arguments)
        }
        var images = LabeledImages(size: size, classes: classes)
        let labelOf = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        for row in rows {
            let side: Int = row["side"]
            let data: Data = row["data"]
            guard side == size, data.count == size * size, let label = labelOf[row["className"] as String] else { continue }
            images.append(data.map { Float($0) / 127.5 - 1 }[...], label: label, path: row["path"])
        }
        return images
    }

    /// Active real images per class of `dataset` (duplicates counted once: they are not active); classes
    /// without any, except those of the fixed list, are left out.
    static func realCounts(_ catalog: CatalogDatabase, dataset: String, classes fixed: [String]) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try catalog.classCounts(dataset: dataset) where row.real > 0 { counts[row.className] = row.real }
        for name in fixed where counts[name] == nil { counts[name] = 0 }
        return counts
    }
}
