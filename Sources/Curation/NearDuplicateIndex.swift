// Near-duplicate groups of one dataset, kept in memory for incremental ingest: a new image is compared
// with every active image (perceptual-hash prefilter, AlignmentBound's exact screen, aligned pixel
// distance to confirm), joins the group of its matches and of the images sharing its file-name group key
// (dataset.<name>.group_pattern: one patient), merging groups it bridges, and the group's split follows
// DataSplit's rule. It is the incremental form of the batch grouping (`NearDuplicates.pairs` + `groups`)
// and uses the same match test (`NearDuplicates.distance`): on the same images both give the same groups
// (CurationTests). Entries live in slots (contiguous hashes and bound rows, so a lookup streams through
// memory), with maps from group, key and content hash to members, so no step walks every entry except the
// hash prefilter.
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

    /// An image prepared for the index: its fingerprint with the bound's two views of its thumbnail.
    /// Preparing is the costly part of a lookup (≈ 0.5 ms) and needs no index: cohortd prepares while
    /// decoding, on every worker, before its catalog transaction.
    public struct Prepared: Sendable {
        public var print: ImageFingerprint
        var reference: AlignmentBound.Reference
        var query: AlignmentBound.Query

        public init(_ print: ImageFingerprint) {
            self.print = print
            reference = AlignmentBound.reference(print.thumbnail)
            query = AlignmentBound.query(print.thumbnail)
        }
    }

    private var slots: [Entry] = []
    private var slotOf: [Int64: Int] = [:]
    /// Per slot, beside `slots`, what the hash scan reads (so it streams through plain arrays).
    private var groups: [Int64] = []
    private var hashes: [UInt64] = []
    private var mirroredHashes: [UInt64] = []
    private var bounds = ReferenceRows()
    private var membersOf: [Int64: Set<Int64>] = [:]
    private var idsWithKey: [String: Set<Int64>] = [:]
    private var idsWithContent: [String: Set<Int64>] = [:]

    /// What the last lookup compared: hash candidates, and those the exact screen left for the pixel search.
    public struct LookupStatistics: Sendable {
        public var candidates = 0
        public var open = 0
    }
    public private(set) var lastLookup = LookupStatistics()

    public init() {}

    public var count: Int { slots.count }

    /// Whether an image with exactly these pixels is in the index.
    public func contains(contentHash: String) -> Bool { idsWithContent[contentHash] != nil }

    /// Every entry by id (tests and diagnostics; builds a dictionary).
    public var entries: [Int64: Entry] { Dictionary(uniqueKeysWithValues: slots.map { ($0.id, $0) }) }

    public func insert(id: Int64, print: ImageFingerprint, group: Int64, key: String? = nil, side: DataSplit? = nil) {
        insert(id: id, print: print, reference: AlignmentBound.reference(print.thumbnail), group: group, key: key, side: side)
    }

    public func insert(id: Int64, prepared: Prepared, group: Int64, key: String? = nil, side: DataSplit? = nil) {
        insert(id: id, print: prepared.print, reference: prepared.reference, group: group, key: key, side: side)
    }

    /// Inserts with an already computed bound reference (a restart restores thousands in parallel first).
    public func insert(id: Int64, print: ImageFingerprint, reference: AlignmentBound.Reference, group: Int64, key: String?, side: DataSplit?) {
        remove(id: id)
        slotOf[id] = slots.count
        slots.append(Entry(id: id, print: print, group: group, key: key, side: side))
        groups.append(group)
        hashes.append(print.hash)
        mirroredHashes.append(print.mirroredHash)
        bounds.append(reference)
        membersOf[group, default: []].insert(id)
        if let key { idsWithKey[key, default: []].insert(id) }
        idsWithContent[print.contentHash, default: []].insert(id)
    }

    public func remove(id: Int64) {
        guard let slot = slotOf.removeValue(forKey: id) else { return }
        let entry = slots[slot]
        Self.drop(id, from: &membersOf, at: entry.group)
        if let key = entry.key { Self.drop(id, from: &idsWithKey, at: key) }
        Self.drop(id, from: &idsWithContent, at: entry.print.contentHash)
        let last = slots.count - 1
        if slot != last {
            slots[slot] = slots[last]
            groups[slot] = groups[last]
            hashes[slot] = hashes[last]
            mirroredHashes[slot] = mirroredHashes[last]
            slotOf[slots[slot].id] = slot
        }
        slots.removeLast()
        groups.removeLast()
        hashes.removeLast()
        mirroredHashes.removeLast()
        bounds.remove(at: slot)
    }

    private static func drop<K: Hashable>(_ id: Int64, from map: inout [K: Set<Int64>], at key: K) {
        map[key]?.remove(id)
        if map[key]?.isEmpty == true { map[key] = nil }
    }

    /// Groups whose members match `print`, confirmed on up to `workers` threads (a dataset of look-alike
    /// scans, such as chest X-rays, sends many candidates past the hash prefilter).
    public func matchingGroups(_ print: ImageFingerprint, key: String? = nil, workers: Int) -> Set<Int64> {
        matchingGroups(print, query: nil, key: key, workers: workers)
    }

    public func matchingGroups(_ prepared: Prepared, key: String? = nil, workers: Int) -> Set<Int64> {
        matchingGroups(prepared.print, query: prepared.query, key: key, workers: workers)
    }

    private func matchingGroups(_ print: ImageFingerprint, query: AlignmentBound.Query?, key: String?, workers available: Int) -> Set<Int64> {
        var found = Set<Int64>()
        if let key { for id in idsWithKey[key] ?? [] { found.insert(slots[slotOf[id]!].group) } }
        for id in idsWithContent[print.contentHash] ?? [] { found.insert(slots[slotOf[id]!].group) }
        // Hash candidates in groups not matched yet: a group found once needs no second witness.
        var candidates: [Int] = []
        hashes.withUnsafeBufferPointer { hashes in
            mirroredHashes.withUnsafeBufferPointer { mirrored in
                groups.withUnsafeBufferPointer { groups in
                    for slot in 0..<hashes.count {
                        if NearDuplicates.hashCandidates(print.hash, hashes[slot], mirrored: mirrored[slot])
                            && (found.isEmpty || !found.contains(groups[slot]))
                        {
                            candidates.append(slot)
                        }
                    }
                }
            }
        }
        lastLookup = LookupStatistics(candidates: candidates.count)
        guard !candidates.isEmpty else { return found }
        let open = bounds.survivors(of: candidates, query: query ?? AlignmentBound.query(print.thumbnail))
        lastLookup.open = open.count
        let workers = max(1, min(available, open.count / 16))
        let confirmed = ParallelMap.map(workers) { worker -> [Int64] in
            stride(from: worker, to: open.count, by: workers).compactMap { i in
                let entry = slots[open[i]]
                return NearDuplicates.distance(print, entry.print) != nil ? entry.group : nil
            }
        }
        return found.union(confirmed.joined())
    }

    /// Moves every member of the `merged` groups to `target`; returns the ids that moved.
    public func merge(_ merged: Set<Int64>, into target: Int64) -> [Int64] {
        var moved: [Int64] = []
        for group in merged where group != target {
            for id in membersOf.removeValue(forKey: group) ?? [] {
                let slot = slotOf[id]!
                slots[slot].group = target
                groups[slot] = target
                membersOf[target, default: []].insert(id)
                moved.append(id)
            }
        }
        return moved.sorted()
    }

    /// Members of a group.
    public func members(of group: Int64) -> [Entry] { (membersOf[group] ?? []).sorted().map { slots[slotOf[$0]!] } }

    /// The split of `group` (DataSplit: by its smallest group key, else validation only if every
    /// member's own hash says validation) — except that a group with a member already on the train side
    /// stays train: an image that was trained on never becomes a validation image (when a keyed image
    /// joins an unkeyed training group, or two groups merge). The members' sides are updated.
    public func split(of group: Int64, validationFraction: Double) -> DataSplit {
        let members = members(of: group)
        let rule = DataSplit.side(contentHashes: members.map(\.print.contentHash), keys: members.map(\.key), validationFraction: validationFraction)
        let side = members.contains { $0.side == .train } ? .train : rule
        for member in members { slots[slotOf[member.id]!].side = side }
        return side
    }
}
