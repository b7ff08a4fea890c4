// Training data straight from the catalog: the cached, normalized pixels of active images, so a job
// never decodes a scan again.
import Catalog
import Curation
import Foundation
import Training

enum CatalogImages {
    /// Active real images of `dataset` on `split` (nil: both), labelled by their index in `classes`
    /// (images of other classes are left out), as [-1, 1] Float32.
    static func load(_ catalog: CatalogDatabase, dataset: String, split: DataSplit?, classes: [String], size: Int) throws -> LabeledImages {
        let rows = try catalog.activePixels(dataset: dataset, split: split.map(ImageSplit.init))
        var images = LabeledImages(size: size, classes: classes)
        let labelOf = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        for row in rows {
            guard row.side == size, row.data.count == size * size, let label = labelOf[row.className] else { continue }
            images.append(row.data.map { Float($0) / 127.5 - 1 }[...], label: label, path: row.path)
        }
        return images
    }
}

extension ImageSplit {
    /// The catalog's name for a side of Training's split.
    init(_ split: DataSplit) { self = split == .train ? .train : .validation }
}

extension DataSplit {
    init(_ split: ImageSplit) { self = split == .train ? .train : .validation }
}
