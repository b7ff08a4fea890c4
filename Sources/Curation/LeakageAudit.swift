// `cohort audit`: exact and near-duplicate groups within a training tree and across train/test, with
// per-class counts and the closest pairs — the leakage report a curator needs before trusting a score.
import Foundation
import ImageIO

public struct LeakageReport: Codable, Sendable {
    public struct ClassCounts: Codable, Sendable {
        public var name: String
        public var trainImages: Int
        public var exactDuplicateGroups: Int
        public var redundantExactCopies: Int
        public var nearDuplicateGroups: Int
        public var imagesInNearDuplicateGroups: Int
        public var testImages: Int
        public var testImagesDuplicatingTrain: Int

        enum CodingKeys: String, CodingKey {
            case name
            case trainImages = "train_images"
            case exactDuplicateGroups = "exact_duplicate_groups"
            case redundantExactCopies = "redundant_exact_copies"
            case nearDuplicateGroups = "near_duplicate_groups"
            case imagesInNearDuplicateGroups = "images_in_near_duplicate_groups"
            case testImages = "test_images"
            case testImagesDuplicatingTrain = "test_images_duplicating_train"
        }
    }

    public struct PairEntry: Codable, Sendable {
        public var first: String
        public var second: String
        public var firstClass: String
        public var secondClass: String
        public var distance: Float
        public var exact: Bool
        /// "train" (both in the training tree) or "train-test".
        public var scope: String

        enum CodingKeys: String, CodingKey {
            case first, second, distance, exact, scope
            case firstClass = "first_class"
            case secondClass = "second_class"
        }
    }

    public struct Refusal: Codable, Sendable {
        public var path: String
        public var reason: String
    }

    public var classes: [ClassCounts]
    /// Confirmed duplicate pairs, closest first (at most `pairLimit`).
    public var closestPairs: [PairEntry]
    /// Pairs whose two images carry different labels (label conflicts).
    public var crossClassPairs: Int
    public var refused: [Refusal]
    public var modelSize: Int
    /// Groups by file-name key (`cohort audit --group-pattern`), when asked for.
    public var groups: GroupPatternSummary?

    enum CodingKeys: String, CodingKey {
        case classes, refused, groups
        case closestPairs = "closest_pairs"
        case crossClassPairs = "cross_class_pairs"
        case modelSize = "model_size"
    }
}

public enum LeakageAudit {
    /// Fingerprints every file (in parallel; undecodable ones are refused with their reason).
    public static func fingerprints(_ paths: [String], modelSize: Int, decoder: ImageDecoder = ImageDecoder(), progress: ProgressPrinter? = nil)
        -> ([ImageFingerprint?], [LeakageReport.Refusal])
    {
        let meter = progress.map { ProgressMeter(phase: "fingerprints", total: paths.count, printer: $0) }
        let outcomes = ParallelMap.map(paths.count, progress: meter) { i -> Result<ImageFingerprint, ImageDecodeError> in
            do throws(ImageDecodeError) {
                return .success(ImageFingerprint(try decoder.decode(path: paths[i]).image, modelSize: modelSize))
            } catch {
                return .failure(error)
            }
        }
        var prints: [ImageFingerprint?] = []
        var refused: [LeakageReport.Refusal] = []
        for (i, outcome) in outcomes.enumerated() {
            switch outcome {
            case .success(let print): prints.append(print)
            case .failure(let error): prints.append(nil); refused.append(.init(path: paths[i], reason: error.message))
            }
        }
        return (prints, refused)
    }

    /// Audits `train` (and `test`, when given) at `modelSize`.
    public static func run(train: ImageFolder, test: ImageFolder?, modelSize: Int = 128, pairLimit: Int = 5000, progress: ProgressPrinter? = nil)
        -> LeakageReport
    {
        let trainPaths = train.items.map(\.path)
        let testPaths = test?.items.map(\.path) ?? []
        let (allPrints, refused) = fingerprints(trainPaths + testPaths, modelSize: modelSize, progress: progress)
        // Work on decodable images only, remembering where each came from.
        let kept = allPrints.indices.filter { allPrints[$0] != nil }
        let prints = kept.map { allPrints[$0]! }
        let trainCount = kept.filter { $0 < trainPaths.count }.count
        func path(_ k: Int) -> String { kept[k] < trainPaths.count ? trainPaths[kept[k]] : testPaths[kept[k] - trainPaths.count] }
        func classIndex(_ k: Int) -> Int {
            kept[k] < trainPaths.count ? train.items[kept[k]].classIndex : test!.items[kept[k] - trainPaths.count].classIndex
        }
        func className(_ k: Int) -> String {
            kept[k] < trainPaths.count ? train.classes[classIndex(k)] : test!.classes[classIndex(k)]
        }
        let within = NearDuplicates.pairs(prints, between: 0..<trainCount, and: nil).filter { $0.second < trainCount }
        let across = trainCount < prints.count ? NearDuplicates.pairs(prints, between: 0..<trainCount, and: trainCount..<prints.count) : []

        let groups = NearDuplicates.groups(count: trainCount, pairs: within)
        let exactGroups = NearDuplicates.groups(count: trainCount, pairs: within.filter(\.exact))
        var counts = train.classes.map {
            LeakageReport.ClassCounts(
                name: $0, trainImages: 0, exactDuplicateGroups: 0, redundantExactCopies: 0, nearDuplicateGroups: 0,
                imagesInNearDuplicateGroups: 0, testImages: 0, testImagesDuplicatingTrain: 0)
        }
        var exactSizes: [Int: Int] = [:], groupSizes: [Int: Int] = [:]
        for i in 0..<trainCount {
            counts[classIndex(i)].trainImages += 1
            exactSizes[exactGroups[i], default: 0] += 1
            groupSizes[groups[i], default: 0] += 1
        }
        for (root, size) in exactSizes where size > 1 {
            counts[classIndex(root)].exactDuplicateGroups += 1
            counts[classIndex(root)].redundantExactCopies += size - 1
        }
        for (root, size) in groupSizes where size > 1 {
            counts[classIndex(root)].nearDuplicateGroups += 1
            counts[classIndex(root)].imagesInNearDuplicateGroups += size
        }
        if let test {
            let leaking = Set(across.map(\.second))
            for k in trainCount..<prints.count {
                let name = test.classes[classIndex(k)]
                guard let c = counts.firstIndex(where: { $0.name == name }) else { continue }
                counts[c].testImages += 1
                if leaking.contains(k) { counts[c].testImagesDuplicatingTrain += 1 }
            }
        }
        let entries = (within.map { ($0, "train") } + across.map { ($0, "train-test") }).map { pair, scope in
            LeakageReport.PairEntry(
                first: path(pair.first), second: path(pair.second), firstClass: className(pair.first),
                secondClass: className(pair.second), distance: pair.distance, exact: pair.exact, scope: scope)
        }
        return LeakageReport(
            classes: counts,
            closestPairs: Array(entries.sorted { ($0.distance, $0.first) < ($1.distance, $1.first) }.prefix(pairLimit)),
            crossClassPairs: entries.filter { $0.firstClass != $0.secondClass }.count,
            refused: refused, modelSize: modelSize)
    }
}
