// Preprocessed, labelled images held in memory at model size, ready to batch: the classifier's and the
// GAN's training data. Loading decodes every file once, drops exact duplicates (they count once),
// groups near-duplicates and splits train/validation by group (DataSplit).
import Curation
import Foundation
import ImageIO
import Kernels
import Tensor

/// Images at `size × size` in [-1, 1], with labels and their source paths.
public struct LabeledImages: Sendable {
    public var size: Int
    public var classes: [String]
    /// `count · size · size` values, image after image.
    public var pixels: [Float]
    public var labels: [Int]
    public var paths: [String]

    public var count: Int { labels.count }

    public init(size: Int, classes: [String], pixels: [Float] = [], labels: [Int] = [], paths: [String] = []) {
        self.size = size; self.classes = classes; self.pixels = pixels; self.labels = labels; self.paths = paths
    }

    public mutating func append(_ image: ArraySlice<Float>, label: Int, path: String) {
        pixels += image
        labels.append(label)
        paths.append(path)
    }

    /// Images per class.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: classes.count)
        for label in labels { counts[label] += 1 }
        return counts
    }

    /// Copies images `indices` into `batch` [n, size, size, 1].
    public func fill(_ batch: Tensor, with indices: [Int]) {
        let area = size * size
        batch.reshapeForReuse([indices.count, size, size, 1])
        pixels.withUnsafeBufferPointer { source in
            for (slot, index) in indices.enumerated() {
                (batch.data + slot * area).update(from: source.baseAddress! + index * area, count: area)
            }
        }
    }

    /// A subset (e.g. one class's images kept at a fraction).
    public func subset(_ indices: [Int]) -> LabeledImages {
        let area = size * size
        var out = LabeledImages(size: size, classes: classes)
        for i in indices { out.append(pixels[(i * area)..<((i + 1) * area)], label: labels[i], path: paths[i]) }
        return out
    }
}

/// What loading a tree found.
public struct DatasetSummary: Codable, Sendable {
    public var files: Int
    public var refused: [LeakageReport.Refusal]
    public var exactDuplicatesDropped: Int
    public var nearDuplicateGroups: Int
    public var train: Int
    public var validation: Int
    /// The `GroupPattern` used, if any, the groups it and the near-duplicates formed (images kept together
    /// across the split, singletons included) and the largest group's size.
    public var groupPattern: String?
    public var groups: Int
    public var largestGroup: Int

    enum CodingKeys: String, CodingKey {
        case files, refused, train, validation, groups
        case exactDuplicatesDropped = "exact_duplicates_dropped"
        case nearDuplicateGroups = "near_duplicate_groups"
        case groupPattern = "group_pattern"
        case largestGroup = "largest_group"
    }
}

public enum DatasetLoader {
    /// Loads `folder` at `size`: exact duplicates once, near-duplicate groups — and, with a `groupPattern`,
    /// images whose file names share a key (one patient) — kept on one side, a `validationFraction` of
    /// groups held out (DataSplit). With `validationFraction` 0 all goes to train.
    public static func load(_ folder: ImageFolder, size: Int, validationFraction: Double, groupPattern: GroupPattern? = nil)
        -> (train: LabeledImages, validation: LabeledImages, summary: DatasetSummary)
    {
        let (images, prints, refused) = ModelInputDecoding.decode(folder, size: size, workers: Parallel.workers)
        let kept = images.indices.filter { images[$0] != nil }
        let keptPrints = kept.map { prints[$0]! }
        let pairs = NearDuplicates.pairs(keptPrints, workers: Parallel.workers)
        let keys = kept.map { groupPattern?.key(forPath: folder.items[$0].path) }
        let groups = NearDuplicates.groups(count: kept.count, pairs: pairs, keys: keys)
        let sides = DataSplit.assign(
            contentHashes: keptPrints.map(\.contentHash), groups: groups, keys: keys,
            validationFraction: validationFraction)
        var train = LabeledImages(size: size, classes: folder.classes), validation = train
        var seen = Set<String>()
        var dropped = 0
        for (k, index) in kept.enumerated() {
            guard seen.insert(keptPrints[k].contentHash).inserted else {
                dropped += 1
                continue
            }
            let item = folder.items[index]
            if sides[k] == .validation {
                validation.append(images[index]![...], label: item.classIndex, path: item.path)
            } else {
                train.append(images[index]![...], label: item.classIndex, path: item.path)
            }
        }
        var groupSizes: [Int: Int] = [:]
        for g in groups { groupSizes[g, default: 0] += 1 }
        let summary = DatasetSummary(
            files: folder.items.count, refused: refused, exactDuplicatesDropped: dropped,
            nearDuplicateGroups: groupSizes.values.filter { $0 > 1 }.count,
            train: train.count, validation: validation.count, groupPattern: groupPattern?.pattern,
            groups: groupSizes.count, largestGroup: groupSizes.values.max() ?? 0)
        return (train, validation, summary)
    }
}
