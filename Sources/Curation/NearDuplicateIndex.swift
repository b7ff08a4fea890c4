// Near-duplicate groups of one dataset, kept in memory for incremental ingest: a new image is compared
// with every active image (perceptual-hash prefilter, aligned pixel distance to confirm), joins the
// group of its matches and of the images sharing its file-name group key (dataset.<name>.group_pattern:
// one patient), merging groups it bridges, and the group's split follows DataSplit's rule. It is the
// incremental form of the batch grouping (`NearDuplicates.pairs` + `groups`) and uses the same match test
// (`NearDuplicates.distance`): on the same images both give the same groups (CurationTests).
import Foundation

public final class NearDuplicateIndex: @unchecked Sendable {
    public struct Entry: Sendable {
        public var id: Int64
        public var print: ImageFingerprint
        public var group: Int64
        /// File-name group key (GroupPattern), if the dataset has a pattern and the name matched.
        public var key: String?
        /// The side the catalog has for it (nil until the split of its group is decided).
        public var side: DataSplit?
    }

    public private(set) var entries: [Int64: Entry] = [:]

    public init() {}

    public var count: Int { entries.count }

    public func insert(id: Int64, print: ImageFingerprint, group: Int64, key: String? = nil, side: DataSplit? = nil) {
        entries[id] = Entry(id: id, print: print, group: group, key: key, side: side)
    }

    public func remove(id: Int64) { entries[id] = nil }

    /// Groups whose members match `print`, compared on up to `workers` threads (a dataset of look-alike
    /// scans, such as chest X-rays, sends many candidates past the hash prefilter).
    public func matchingGroups(_ print: ImageFingerprint, key: String? = nil, workers available: Int) -> Set<Int64> {
        let all = Array(entries.values)
        let sameKey = key.map { key in all.filter { $0.key == key }.map(\.group) } ?? []
        let workers = max(1, min(available, all.count / 256))
        let found = ParallelMap.map(workers) { worker -> [Int64] in
            stride(from: worker, to: all.count, by: workers).compactMap { i in
                NearDuplicates.distance(print, all[i].print) != nil ? all[i].group : nil
            }
        }
        return Set(found.joined()).union(sameKey)
    }

    /// Moves every member of `groups` to `target`; returns the ids that moved.
    public func merge(_ groups: Set<Int64>, into target: Int64) -> [Int64] {
        var moved: [Int64] = []
        for (id, entry) in entries where groups.contains(entry.group) && entry.group != target {
            entries[id]!.group = target
            moved.append(id)
        }
        return moved
    }

    /// Members of a group.
    public func members(of group: Int64) -> [Entry] { entries.values.filter { $0.group == group } }

    /// The split of `group` (DataSplit: by its smallest group key, else validation only if every
    /// member's own hash says validation) — except that a group with a member already on the train side
    /// stays train: an image that was trained on never becomes a validation image (when a keyed image
    /// joins an unkeyed training group, or two groups merge). The members' sides are updated.
    public func split(of group: Int64, validationFraction: Double) -> DataSplit {
        let members = members(of: group)
        let rule = DataSplit.side(contentHashes: members.map(\.print.contentHash), keys: members.map(\.key), validationFraction: validationFraction)
        let side = members.contains { $0.side == .train } ? .train : rule
        for member in members { entries[member.id]!.side = side }
        return side
    }
}
