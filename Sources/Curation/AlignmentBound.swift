// An exact lower bound on `NearDuplicates.alignedDistance`, cheap enough to screen every hash candidate
// before the pixel search. For alignment plan P (the pixels of `a` it covers, C_P; the bilinear warp of
// `b` it samples, W_P):
//   S_P(a, b) = Σ_{i∈C_P} (a_i − (W_P b)_i)² = α_P(a) + β_P(b) − 2⟨â_P, b⟩,   â_P = W_Pᵀ(a on C_P),
// with α_P = Σ_{C_P} a² and β_P = Σ_{C_P} (W_P b)². Split b and â_P into their parts in the span of the
// orthonormal 2-D DCT-II frequencies with u + v ≤ 12 (91 of the 1,024) and the rest; Cauchy–Schwarz on
// the rest gives ⟨â_P, b⟩ ≤ ⟨ĉ_P, c_b⟩ + ‖â_P⊥‖·‖b⊥‖, so
//   S_P ≥ α_P + β_P − 2(⟨ĉ_P, c_b⟩ + ‖â_P⊥‖·‖b⊥‖).
// A pair is a near duplicate only if some plan has S_P ≤ t²·|C_P| (t = NearDuplicates.distanceThreshold);
// when the bound exceeds that for every plan — by a margin far above float rounding — the pixel search
// could not confirm the pair either, and it is skipped. Thumbnails are smooth, so the kept frequencies
// hold most of their energy and the bound is tight: on chest X-rays, where half of all pairs pass the hash
// prefilter, it leaves 4 of ~2,300 candidates per lookup to the pixel search, at the cost of one 91-long
// dot product per plan (one GEMM row) instead of 150 pixel alignments. The screen never changes a result,
// only how fast it is reached (docs/engine.md, "Ingest").
import BLAS
import Foundation

public enum AlignmentBound {
    static let size = ImageFingerprint.thumbnailSize
    /// Frequencies kept: u + v ≤ this.
    static let maxFrequencySum = 12
    /// (u, v) of every kept frequency, u the vertical one.
    static let frequencies: [(u: Int, v: Int)] = (0...maxFrequencySum).flatMap { u in (0...(maxFrequencySum - u)).map { (u, $0) } }
    /// Number of kept frequencies (91).
    static let k = frequencies.count
    static let plans = AlignmentPlan.all
    /// t²·|C_P| per plan: S_P at or below it confirms the pair.
    static let thresholds: [Float] = plans.map {
        NearDuplicates.distanceThreshold * NearDuplicates.distanceThreshold * Float($0.count)
    }
    /// Orthonormal DCT-II rows: `cosines[f * size + x]` = √(c/size)·cos(π(x + ½)f/size), c = 1 for f = 0, else 2.
    static let cosines: [Float] = (0...maxFrequencySum).flatMap { f -> [Float] in
        let scale: Double = ((f == 0 ? 1.0 : 2.0) / Double(size)).squareRoot()
        return (0..<size).map { x -> Float in
            let angle: Double = Double.pi * (Double(x) + 0.5) * Double(f) / Double(size)
            return Float(scale * cos(angle))
        }
    }

    /// What an image contributes as the warped side `b` (kept per indexed image).
    public struct Reference: Sendable {
        /// c_b: its coefficients of the kept frequencies (`k` values).
        public var coefficients: [Float]
        /// ‖b⊥‖, the norm of the rest (rounded up).
        public var residual: Float
        /// β_P per plan: the energy of its warped image over the covered pixels.
        public var warpedEnergy: [Float]
    }

    /// What an image contributes as the unwarped side `a` (once per image being looked up).
    public struct Query: Sendable {
        /// ĉ_P per plan, plan-major (`plans.count × k`).
        var coefficients: [Float]
        /// ‖â_P⊥‖ per plan (rounded up).
        var residuals: [Float]
        /// α_P per plan.
        var coveredEnergy: [Float]
    }

    /// OpenBLAS on the calling thread only, set once before the first product: the bound's GEMMs are
    /// small and run on many decode workers at once, and OpenBLAS's own threads would spin against them
    /// (the engine makes the same choice, BLAS.parallelSgemm).
    static let callingThreadBLAS: Void = { BLAS.threadCount = 1 }()

    public static func reference(_ thumbnail: [Float]) -> Reference {
        precondition(thumbnail.count == size * size, "a \(size)×\(size) thumbnail")
        _ = callingThreadBLAS
        var coefficients = [Float](repeating: 0, count: k)
        let residual = thumbnail.withUnsafeBufferPointer { b in
            coefficients.withUnsafeMutableBufferPointer { c in project(b.baseAddress!, into: c.baseAddress!) }
        }
        let warpedEnergy = thumbnail.withUnsafeBufferPointer { SeparableWarps.shared.warpedEnergy($0.baseAddress!) }
        return Reference(coefficients: coefficients, residual: residual, warpedEnergy: warpedEnergy)
    }

    public static func query(_ thumbnail: [Float]) -> Query {
        precondition(thumbnail.count == size * size, "a \(size)×\(size) thumbnail")
        _ = callingThreadBLAS
        var coefficients = [Float](repeating: 0, count: plans.count * k)
        let (covered, backEnergy) = thumbnail.withUnsafeBufferPointer { a in
            coefficients.withUnsafeMutableBufferPointer { SeparableWarps.shared.queryParts(a.baseAddress!, coefficients: $0.baseAddress!) }
        }
        let residuals = (0..<plans.count).map { p in
            residualNorm(total: backEnergy[p], kept: (0..<k).reduce(0.0) { $0 + Double(coefficients[p * k + $1]) * Double(coefficients[p * k + $1]) })
        }
        return Query(coefficients: coefficients, residuals: residuals, coveredEnergy: covered.map { Float($0) })
    }

    /// √(total − kept), rounded up: the two energies come from float sums whose rounding (≈ 1e-6 of the
    /// total) must only ever loosen the bound, so 1e-5 of the total is added.
    static func residualNorm(total: Double, kept: Double) -> Float {
        Float((max(0, total - kept) + 1e-5 * total + 1e-9).squareRoot())
    }

    /// Writes the kept-frequency coefficients of a size×size image and returns the norm of the rest.
    static func project(_ image: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) -> Float {
        let f = maxFrequencySum + 1
        var rows = [Float](repeating: 0, count: size * f)
        // rows[y·f + v] = Σ_x image[y, x]·cos_v(x), then out[(u, v)] = Σ_y cos_u(y)·rows[y·f + v].
        cosines.withUnsafeBufferPointer { cosines in
            BLAS.sgemm(transB: true, m: size, n: f, k: size, a: image, lda: size, b: cosines.baseAddress!, ldb: size, c: &rows, ldc: f)
            for (i, (u, v)) in frequencies.enumerated() {
                var sum: Float = 0
                for y in 0..<size { sum += cosines[u * size + y] * rows[y * f + v] }
                out[i] = sum
            }
        }
        var total: Double = 0, kept: Double = 0
        for i in 0..<(size * size) { total += Double(image[i]) * Double(image[i]) }
        for i in 0..<k { kept += Double(out[i]) * Double(out[i]) }
        return residualNorm(total: total, kept: kept)
    }

    /// Whether each of `count` references may still be within the threshold of the query's image under some
    /// plan (false: provably not a near duplicate). `coefficients` holds their rows (`count × k`), gathered;
    /// `slots` says where their residuals and warped energies (`plans` per slot) are; `scratch` holds at
    /// least `count × plans` floats.
    static func screen(
        _ query: Query, count: Int, coefficients: UnsafePointer<Float>, slots: UnsafePointer<Int>, residuals: UnsafePointer<Float>,
        warpedEnergy: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, into possible: UnsafeMutablePointer<Bool>
    ) {
        let planCount = plans.count
        _ = callingThreadBLAS
        // scratch[j, P] = ⟨c_b(j), ĉ_P⟩ for every reference and plan at once.
        query.coefficients.withUnsafeBufferPointer { q in
            BLAS.sgemm(
                transB: true, m: count, n: planCount, k: k, a: coefficients, lda: k, b: q.baseAddress!, ldb: k, c: scratch, ldc: planCount)
        }
        // Open when some plan has α + β − 2(dot + ‖â⊥‖‖b⊥‖) ≤ t²|C| + 1e-3(α + β) + 1e-3 — the margin far above the
        // float rounding of every term (≈ 1e-6 of them). Rearranged so the per-reference loop is a branch-free minimum.
        let keep: Float = 1 - 1e-3
        var base = [Float](repeating: 0, count: planCount), twiceResidual = [Float](repeating: 0, count: planCount)
        for p in 0..<planCount {
            base[p] = query.coveredEnergy[p] * keep - thresholds[p] - 1e-3
            twiceResidual[p] = 2 * query.residuals[p]
        }
        base.withUnsafeBufferPointer { base in
            twiceResidual.withUnsafeBufferPointer { twiceResidual in
                for j in 0..<count {
                    let (dots, beta, residual) = (scratch + j * planCount, warpedEnergy + slots[j] * planCount, residuals[slots[j]])
                    var least = Float.infinity
                    for p in 0..<planCount { least = min(least, base[p] + keep * beta[p] - 2 * dots[p] - twiceResidual[p] * residual) }
                    possible[j] = least <= 0
                }
            }
        }
    }

    /// The bound itself for one pair and plan (tests compare it with the exact sum of squares).
    static func lowerBound(_ query: Query, _ reference: Reference, plan p: Int) -> Float {
        var dot: Float = 0
        for i in 0..<k { dot += query.coefficients[p * k + i] * reference.coefficients[i] }
        return query.coveredEnergy[p] + reference.warpedEnergy[p] - 2 * (dot + query.residuals[p] * reference.residual)
    }
}

/// References of many images in contiguous rows (slot-major), ready to screen a query against a subset.
struct ReferenceRows {
    private(set) var coefficients: [Float] = []
    private(set) var residuals: [Float] = []
    private(set) var warpedEnergy: [Float] = []
    var count: Int { residuals.count }

    init() {}

    init(_ references: [AlignmentBound.Reference]) {
        coefficients.reserveCapacity(references.count * AlignmentBound.k)
        warpedEnergy.reserveCapacity(references.count * AlignmentBound.plans.count)
        for reference in references { append(reference) }
    }

    mutating func append(_ reference: AlignmentBound.Reference) {
        coefficients += reference.coefficients
        residuals.append(reference.residual)
        warpedEnergy += reference.warpedEnergy
    }

    /// Moves the last row into `slot` and drops the last (the index's swap-remove).
    mutating func remove(at slot: Int) {
        let (k, plans, last) = (AlignmentBound.k, AlignmentBound.plans.count, count - 1)
        if slot != last {
            for i in 0..<k { coefficients[slot * k + i] = coefficients[last * k + i] }
            for i in 0..<plans { warpedEnergy[slot * plans + i] = warpedEnergy[last * plans + i] }
            residuals[slot] = residuals[last]
        }
        coefficients.removeLast(k)
        warpedEnergy.removeLast(plans)
        residuals.removeLast()
    }

    /// The rows among `candidates` the bound leaves possible under `query`, in the given order.
    func survivors(of candidates: [Int], query: AlignmentBound.Query) -> [Int] {
        guard !candidates.isEmpty else { return [] }
        let (k, plans) = (AlignmentBound.k, AlignmentBound.plans.count)
        let chunk = min(512, candidates.count)
        var kept: [Int] = []
        let rows = UnsafeMutablePointer<Float>.allocate(capacity: chunk * k)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunk * plans)
        let possible = UnsafeMutablePointer<Bool>.allocate(capacity: chunk)
        defer { (rows.deallocate(), scratch.deallocate(), possible.deallocate()) }
        coefficients.withUnsafeBufferPointer { coefficients in
            warpedEnergy.withUnsafeBufferPointer { warpedEnergy in
                residuals.withUnsafeBufferPointer { residuals in
                    candidates.withUnsafeBufferPointer { candidates in
                        for start in stride(from: 0, to: candidates.count, by: chunk) {
                            let size = min(chunk, candidates.count - start)
                            // Only the coefficient rows are gathered: the GEMM wants them contiguous.
                            for j in 0..<size { (rows + j * k).update(from: coefficients.baseAddress! + candidates[start + j] * k, count: k) }
                            AlignmentBound.screen(
                                query, count: size, coefficients: rows, slots: candidates.baseAddress! + start, residuals: residuals.baseAddress!,
                                warpedEnergy: warpedEnergy.baseAddress!, scratch: scratch, into: possible)
                            for j in 0..<size where possible[j] { kept.append(candidates[start + j]) }
                        }
                    }
                }
            }
        }
        return kept
    }
}
