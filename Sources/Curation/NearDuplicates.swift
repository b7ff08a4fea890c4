// Groups scans that are the same image: exact duplicates (equal content hash) and near-duplicates —
// mirrored, slightly shifted or re-scaled, re-contrasted or re-encoded copies. Candidates come from the
// mirror-invariant difference hash (Hamming distance); each candidate is confirmed by the RMS difference
// of the normalized thumbnails after the best alignment (mirror × shift ±2 px × scale 0.9/1/1.1 of a
// 32 px thumbnail). Public medical datasets are full of such copies, and a copy on both sides of a
// train/validation split inflates every score measured on it.

/// Union-find over image indices.
struct DisjointSets {
    private var parent: [Int]
    init(count: Int) { parent = Array(0..<count) }
    mutating func find(_ x: Int) -> Int {
        var root = x
        while parent[root] != root { root = parent[root] }
        var node = x
        while parent[node] != root { (node, parent[node]) = (parent[node], root) }
        return root
    }
    mutating func union(_ a: Int, _ b: Int) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }
}

public enum NearDuplicates {
    /// Hash candidates: at most this many differing bits of 64.
    public static let hammingThreshold = 10
    /// Confirmed near-duplicates: aligned RMS difference of the normalized thumbnails at most this, in
    /// standard deviations. Calibrated on the brain-MRI training set: true copies (re-encoded, re-cropped,
    /// mirrored) measure below 0.10; different patients with similar axial slices start near 0.2, and at
    /// 0.225–0.3 pairs of different patients and different tumour classes were confirmed, so 0.3 was too
    /// loose. Adjacent slices of one patient can fall below the bound; grouping them is the safe side.
    public static let distanceThreshold: Float = 0.15

    /// A confirmed pair with its aligned distance (0 for exact duplicates).
    public struct Pair: Sendable, Equatable {
        public var first: Int
        public var second: Int
        public var distance: Float
        public var exact: Bool
    }

    /// All confirmed duplicate pairs among `prints` (within `left`, or between `left` and `right`),
    /// exact ones included, ordered by first index. Hash candidates go through AlignmentBound's exact
    /// screen before the pixel search (`screened: false` skips it, for benchmarks that check it changes
    /// nothing); rows are compared in parallel.
    public static func pairs(
        _ prints: [ImageFingerprint], between left: Range<Int>? = nil, and right: Range<Int>? = nil,
        workers: Int = ParallelMap.processors, screened: Bool = true
    ) -> [Pair] {
        let rows = Array(left ?? 0..<prints.count)
        // Only images that can be the second of a pair need a bound reference.
        let seconds = right ?? (rows.first.map { $0 + 1 } ?? 0)..<prints.count
        let references = ReferenceRows(
            screened ? ParallelMap.map(seconds.count, workers: workers) { AlignmentBound.reference(prints[seconds.lowerBound + $0].thumbnail) } : [])
        return ParallelMap.map(rows.count, workers: workers) { r -> [Pair] in
            let i = rows[r]
            var local: [Pair] = []
            var candidates: [Int] = []
            for j in right ?? (i + 1)..<prints.count {
                if prints[i].contentHash == prints[j].contentHash {
                    local.append(Pair(first: i, second: j, distance: 0, exact: true))
                } else if hashCandidates(prints[i], prints[j]) {
                    candidates.append(j - seconds.lowerBound)
                }
            }
            if !candidates.isEmpty {
                let open = screened ? references.survivors(of: candidates, query: AlignmentBound.query(prints[i].thumbnail)) : candidates
                for row in open {
                    let j = row + seconds.lowerBound
                    if let distance = distance(prints[i], prints[j]) {
                        local.append(Pair(first: i, second: j, distance: distance, exact: false))
                    }
                }
            }
            return local.sorted { $0.second < $1.second }
        }.flatMap { $0 }
    }

    /// The perceptual-hash prefilter: at most `hammingThreshold` bits apart, either way round.
    static func hashCandidates(_ a: ImageFingerprint, _ b: ImageFingerprint) -> Bool {
        hashCandidates(a.hash, b.hash, mirrored: b.mirroredHash)
    }

    /// The same test on raw hashes (`a`'s hash against `b`'s and its mirror's), for NearDuplicateIndex's scan
    /// over its hash arrays.
    static func hashCandidates(_ hash: UInt64, _ other: UInt64, mirrored: UInt64) -> Bool {
        min((hash ^ other).nonzeroBitCount, (hash ^ mirrored).nonzeroBitCount) <= hammingThreshold
    }

    /// The aligned distance between two images when they are exact or near duplicates (0 for identical
    /// pixels), nil when they are distinct: a perceptual-hash prefilter (mirror-invariant), then the
    /// aligned pixel distance to confirm.
    public static func distance(_ a: ImageFingerprint, _ b: ImageFingerprint) -> Float? {
        if a.contentHash == b.contentHash { return 0 }
        guard hashCandidates(a, b) else { return nil }
        let d = alignedDistance(a.thumbnail, b.thumbnail, stopBelow: distanceThreshold, giveUpAbove: distanceThreshold)
        return d <= distanceThreshold ? d : nil
    }

    /// Group id per image (the smallest index in its group) from confirmed pairs.
    public static func groups(count: Int, pairs: [Pair], keys: [String?] = []) -> [Int] {
        var sets = DisjointSets(count: count)
        for pair in pairs { sets.union(pair.first, pair.second) }
        // Images that share a group key (GroupPattern: one patient or series) join one group too.
        var firstWithKey: [String: Int] = [:]
        for (i, key) in keys.enumerated() {
            guard let key else { continue }
            if let first = firstWithKey[key] { sets.union(first, i) } else { firstWithKey[key] = i }
        }
        return (0..<count).map { sets.find($0) }
    }

    /// Minimum RMS difference between two normalized square thumbnails over mirror, shifts of ±2 px and
    /// scales 0.9, 1, 1.1 of `b` (bilinear, about the centre), over the pixels both cover. Alignments are
    /// tried likeliest first (unscaled, unshifted), and the search stops at the first one at or below
    /// `stopBelow`: confirming a pair needs no more than that. An alignment is abandoned as soon as its
    /// running sum proves it cannot come out at or below `giveUpAbove`; when none can, the result is
    /// some value above `giveUpAbove` (not the exact minimum). Measured on chest X-rays, whose hashes
    /// mostly pass the prefilter, this makes rejecting a candidate pair several times cheaper.
    public static func alignedDistance(_ a: [Float], _ b: [Float], stopBelow: Float = 0, giveUpAbove: Float = .infinity) -> Float {
        var best = Float.infinity
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                for plan in AlignmentPlan.all {
                    let limit = min(best, giveUpAbove)
                    // sum/count ≤ limit² is needed; every term is ≥ 0, so past this bound the alignment is out.
                    let bound = limit.isFinite ? limit * limit * Float(plan.count) : .infinity
                    var sum: Float = 0
                    var abandoned = false
                    var p = 0
                    for row in plan.rows {
                        for _ in 0..<row {
                            let (ai, bi, fx, fy) = (Int(plan.aIndex[p]), Int(plan.bIndex[p]), plan.fx[p], plan.fy[p])
                            let top = b[bi] * (1 - fx) + b[bi + 1] * fx
                            let bottom = b[bi + AlignmentPlan.size] * (1 - fx) + b[bi + AlignmentPlan.size + 1] * fx
                            let d = a[ai] - (top * (1 - fy) + bottom * fy)
                            sum += d * d
                            p += 1
                        }
                        if sum > bound { abandoned = true; break }
                    }
                    if abandoned { continue }
                    best = min(best, (sum / Float(plan.count)).squareRoot())
                    if best <= stopBelow { return }
                }
            }
        }
        if best == .infinity && giveUpAbove.isFinite { return giveUpAbove.nextUp }
        return best
    }
}

/// The sampling plan of one alignment (scale, shift, mirror) of a thumbnail: for each covered pixel of
/// `a`, the top-left neighbour in `b` and the bilinear weights — computed once, not per pair.
struct AlignmentPlan: Sendable {
    static let size = ImageFingerprint.thumbnailSize
    var aIndex: [Int32] = []
    var bIndex: [Int32] = []
    var fx: [Float] = []
    var fy: [Float] = []
    /// Covered pixels per row (the abandon test runs once per row).
    var rows: [Int] = []
    var count: Int { aIndex.count }
    let scale: Float
    let dy: Int
    let dx: Int
    let mirrored: Bool

    /// Every alignment, likeliest first: scale 1 before 0.9 and 1.1, small shifts before large, plain before mirrored.
    static let all: [AlignmentPlan] = {
        let shifts = (-2...2).flatMap { dy in (-2...2).map { dx in (dy, dx) } }.sorted { abs($0.0) + abs($0.1) < abs($1.0) + abs($1.1) }
        var plans: [AlignmentPlan] = []
        for scale: Float in [1.0, 0.9, 1.1] {
            for (dy, dx) in shifts {
                for mirrored in [false, true] {
                    let plan = AlignmentPlan(scale: scale, dy: dy, dx: dx, mirrored: mirrored)
                    if plan.count > size * size / 2 { plans.append(plan) }
                }
            }
        }
        return plans
    }()

    init(scale: Float, dy: Int, dx: Int, mirrored: Bool) {
        (self.scale, self.dy, self.dx, self.mirrored) = (scale, dy, dx, mirrored)
        let size = Self.size
        let (ys, xs) = (Self.axis(scale: scale, shift: dy, mirrored: false), Self.axis(scale: scale, shift: dx, mirrored: mirrored))
        for y in 0..<size {
            guard let (y0, wy) = ys[y] else { continue }
            var inRow = 0
            for x in 0..<size {
                guard let (x0, wx) = xs[x] else { continue }
                aIndex.append(Int32(y * size + x))
                bIndex.append(Int32(y0 * size + x0))
                fx.append(wx)
                fy.append(wy)
                inRow += 1
            }
            if inRow > 0 { rows.append(inRow) }
        }
    }

    /// One axis of a plan — a plan is the product of a row axis (scale, dy) and a column axis (scale, dx,
    /// mirror): per output coordinate, the first of the two input samples it interpolates and the second's
    /// weight, or nil when the output coordinate is not covered.
    static func axis(scale: Float, shift: Int, mirrored: Bool) -> [(first: Int, weight: Float)?] {
        let centre = Float(size - 1) / 2
        return (0..<size).map { o in
            let raw = (Float(o) - centre) / scale + centre + Float(shift)
            if raw < 0 || raw > Float(size - 1) { return nil }
            let s = mirrored ? Float(size - 1) - raw : raw
            let first = min(Int(s), size - 2)
            return (first, s - Float(first))
        }
    }
}
