// The alignment plans' warps as products of 1-D interpolations: plan P = (scale, dy, dx, mirror) samples
// b at rows given by (scale, dy) and columns given by (scale, dx, mirror), so its warp is W_P b = Wy·B·Wxᵀ
// for a 32×32 image B, with Wy and Wx 32×32 interpolation matrices (zero rows where not covered). The
// bound's per-plan quantities of one image — α_P, β_P, ‖â_P‖, ĉ_P — then come from a few GEMMs per scale
// over all row and column axes at once, instead of 150 passes over the pixels.
import BLAS

struct SeparableWarps: Sendable {
    static let shared = SeparableWarps(plans: AlignmentPlan.all)

    /// The axes of one scale and the matrices built from them.
    struct Scale: Sendable {
        /// Row axes (dy) and column axes (dx, mirror) of this scale's plans.
        var rowAxes: [Int] = []
        var columnAxes: [(dx: Int, mirrored: Bool)] = []
        /// Xcat[x, (j, c)] = Wx_j[x, c]: 32 × columns·32.
        var columnsByOutput: [Float] = []
        /// XcatT[c, (j, x)] = Wx_j[x, c]: 32 × columns·32.
        var columnsByInput: [Float] = []
        /// Ucat[y, (i, u)] = (Wy_i Cᵀ)[y, u] and Vcat[x, (j, v)] = (Wx_j Cᵀ)[x, v]: the DCT rows warped.
        var rowCosines: [Float] = []
        var columnCosines: [Float] = []
        /// Per row axis i, Wy_i·Wy_iᵀ (over output rows) and Wy_iᵀ·Wy_i (over input rows), 32 × 32 each,
        /// stacked; both are banded (neighbouring rows share interpolation taps): `band` is their width.
        var outputGram: [Float] = []
        var inputGram: [Float] = []
        var band = 0
        /// Covered outputs: rowCovered[i·32 + y], columnCovered[x·columns + j] (1 or 0).
        var rowCovered: [Float] = []
        var columnCovered: [Float] = []
    }

    var scales: [Scale] = []
    /// For plan p of `AlignmentBound.plans`: its scale, row axis and column axis indices.
    var planAxes: [(scale: Int, row: Int, column: Int)] = []

    init(plans: [AlignmentPlan]) {
        let size = AlignmentPlan.size
        let f = AlignmentBound.maxFrequencySum + 1
        var scaleValues: [Float] = []
        for plan in plans where !scaleValues.contains(plan.scale) { scaleValues.append(plan.scale) }
        scales = scaleValues.map { _ in Scale() }
        for plan in plans {
            let s = scaleValues.firstIndex(of: plan.scale)!
            if !scales[s].rowAxes.contains(plan.dy) { scales[s].rowAxes.append(plan.dy) }
            if !scales[s].columnAxes.contains(where: { $0 == (plan.dx, plan.mirrored) }) { scales[s].columnAxes.append((plan.dx, plan.mirrored)) }
            planAxes.append(
                (s, scales[s].rowAxes.firstIndex(of: plan.dy)!, scales[s].columnAxes.firstIndex { $0 == (plan.dx, plan.mirrored) }!))
        }
        let cosines = AlignmentBound.cosines
        for (s, scale) in scaleValues.enumerated() {
            let (rows, columns) = (scales[s].rowAxes.count, scales[s].columnAxes.count)
            // rowsStacked[(i, y), r] = Wy_i[y, r].
            var rowsStacked = [Float](repeating: 0, count: rows * size * size)
            var rowCosines = [Float](repeating: 0, count: size * rows * f)
            var rowCovered = [Float](repeating: 0, count: rows * size)
            for (i, dy) in scales[s].rowAxes.enumerated() {
                for (y, sample) in AlignmentPlan.axis(scale: scale, shift: dy, mirrored: false).enumerated() {
                    guard let (first, weight) = sample else { continue }
                    rowCovered[i * size + y] = 1
                    for (r, w) in [(first, 1 - weight), (first + 1, weight)] {
                        rowsStacked[(i * size + y) * size + r] += w
                        for u in 0..<f { rowCosines[y * rows * f + i * f + u] += w * cosines[u * size + r] }
                    }
                }
            }
            var columnsByOutput = [Float](repeating: 0, count: size * columns * size)
            var columnsByInput = [Float](repeating: 0, count: size * columns * size)
            var columnCosines = [Float](repeating: 0, count: size * columns * f)
            var columnCovered = [Float](repeating: 0, count: size * columns)
            for (j, axis) in scales[s].columnAxes.enumerated() {
                for (x, sample) in AlignmentPlan.axis(scale: scale, shift: axis.dx, mirrored: axis.mirrored).enumerated() {
                    guard let (first, weight) = sample else { continue }
                    columnCovered[x * columns + j] = 1
                    for (c, w) in [(first, 1 - weight), (first + 1, weight)] {
                        columnsByOutput[x * columns * size + j * size + c] += w
                        columnsByInput[c * columns * size + j * size + x] += w
                        for v in 0..<f { columnCosines[x * columns * f + j * f + v] += w * cosines[v * size + c] }
                    }
                }
            }
            // The Gram matrices of each row axis, and the widest band among them.
            var outputGram = [Float](repeating: 0, count: rows * size * size)
            var inputGram = [Float](repeating: 0, count: rows * size * size)
            var band = 0
            for i in 0..<rows {
                for p in 0..<size {
                    for q in 0..<size {
                        var output: Float = 0, input: Float = 0
                        for t in 0..<size {
                            output += rowsStacked[(i * size + p) * size + t] * rowsStacked[(i * size + q) * size + t]
                            input += rowsStacked[(i * size + t) * size + p] * rowsStacked[(i * size + t) * size + q]
                        }
                        outputGram[(i * size + p) * size + q] = output
                        inputGram[(i * size + p) * size + q] = input
                        if output != 0 || input != 0 { band = max(band, abs(p - q)) }
                    }
                }
            }
            scales[s].outputGram = outputGram
            scales[s].inputGram = inputGram
            scales[s].band = band
            scales[s].rowCosines = rowCosines
            scales[s].rowCovered = rowCovered
            scales[s].columnsByOutput = columnsByOutput
            scales[s].columnsByInput = columnsByInput
            scales[s].columnCosines = columnCosines
            scales[s].columnCovered = columnCovered
        }
    }

    /// Per plan: α_P (energy of `a` over the covered pixels), ‖â_P‖² (â_P = W_Pᵀ(a on C_P)) and the
    /// kept-frequency coefficients ĉ_P (written plan-major into `coefficients`, k per plan).
    func queryParts(_ a: UnsafePointer<Float>, coefficients: UnsafeMutablePointer<Float>) -> (covered: [Double], backEnergy: [Double]) {
        let size = AlignmentPlan.size
        let f = AlignmentBound.maxFrequencySum + 1
        var covered = [Double](repeating: 0, count: planAxes.count)
        var backEnergy = [Double](repeating: 0, count: planAxes.count)
        var squares = [Float](repeating: 0, count: size * size)
        for i in 0..<(size * size) { squares[i] = a[i] * a[i] }
        let frequencies = AlignmentBound.frequencies
        for (s, scale) in scales.enumerated() {
            let (rows, columns) = (scale.rowAxes.count, scale.columnAxes.count)
            // ĉ: AV = A·Vcat, then R = Ucatᵀ·AV; R[(i, u), (j, v)] = ĉ_{(i, j)}[u, v].
            var av = [Float](repeating: 0, count: size * columns * f)
            BLAS.sgemm(m: size, n: columns * f, k: size, a: a, lda: size, b: scale.columnCosines, ldb: columns * f, c: &av, ldc: columns * f)
            var r = [Float](repeating: 0, count: rows * f * columns * f)
            BLAS.sgemm(
                transA: true, m: rows * f, n: columns * f, k: size, a: scale.rowCosines, lda: rows * f, b: av, ldb: columns * f, c: &r,
                ldc: columns * f)
            // ‖â_P‖² = ‖Wy_iᵀ·(A·Wx_j)‖² = Σ_{y,y'} (Wy_i·Wy_iᵀ)[y, y']·⟨AW_j[y], AW_j[y']⟩: AW = A·Xcat for every
            // column axis at once, then the banded Gram of its rows per column axis.
            var aw = [Float](repeating: 0, count: size * columns * size)
            BLAS.sgemm(
                m: size, n: columns * size, k: size, a: a, lda: size, b: scale.columnsByOutput, ldb: columns * size, c: &aw, ldc: columns * size)
            let back = Self.bandedGrams(aw, columns: columns, band: scale.band)
            // Σ over covered columns of a², per row and column axis.
            var columnEnergy = [Float](repeating: 0, count: size * columns)
            BLAS.sgemm(m: size, n: columns, k: size, a: squares, lda: size, b: scale.columnCovered, ldb: columns, c: &columnEnergy, ldc: columns)
            for (p, axes) in planAxes.enumerated() where axes.scale == s {
                for (n, (u, v)) in frequencies.enumerated() {
                    coefficients[p * AlignmentBound.k + n] = r[(axes.row * f + u) * columns * f + axes.column * f + v]
                }
                backEnergy[p] = scale.contract(back, gram: scale.outputGram, row: axes.row, column: axes.column)
                var alpha: Double = 0
                for y in 0..<size where scale.rowCovered[axes.row * size + y] != 0 { alpha += Double(columnEnergy[y * columns + axes.column]) }
                covered[p] = alpha
            }
        }
        return (covered, backEnergy)
    }

    /// Per plan: β_P = ‖W_P b‖² over the covered pixels.
    func warpedEnergy(_ b: UnsafePointer<Float>) -> [Float] {
        let size = AlignmentPlan.size
        // β_P = ‖Wy_i·(B·Wx_jᵀ)‖² = Σ_{r,r'} (Wy_iᵀ·Wy_i)[r, r']·⟨BW_j[r], BW_j[r']⟩.
        let grams = scales.map { scale in
            let columns = scale.columnAxes.count
            var bw = [Float](repeating: 0, count: size * columns * size)
            BLAS.sgemm(
                m: size, n: columns * size, k: size, a: b, lda: size, b: scale.columnsByInput, ldb: columns * size, c: &bw, ldc: columns * size)
            return Self.bandedGrams(bw, columns: columns, band: scale.band)
        }
        var energies = [Float](repeating: 0, count: planAxes.count)
        for (s, scale) in scales.enumerated() {
            for (p, axes) in planAxes.enumerated() where axes.scale == s {
                energies[p] = Float(scale.contract(grams[s], gram: scale.inputGram, row: axes.row, column: axes.column))
            }
        }
        return energies
    }

    /// For each column axis j of `m` (32 × columns·32, block j = columns j·32..<(j+1)·32): the inner
    /// products of its rows p and q for |p − q| ≤ band, as grams[(j·32 + p)·(2·band + 1) + band + q − p].
    static func bandedGrams(_ m: [Float], columns: Int, band: Int) -> [Float] {
        let size = AlignmentPlan.size
        let width = 2 * band + 1
        var grams = [Float](repeating: 0, count: columns * size * width)
        m.withUnsafeBufferPointer { m in
            grams.withUnsafeMutableBufferPointer { grams in
                for j in 0..<columns {
                    for p in 0..<size {
                        let rowP = m.baseAddress! + p * columns * size + j * size
                        // Only q ≥ p is summed; the band is symmetric.
                        for q in p...min(size - 1, p + band) {
                            let rowQ = m.baseAddress! + q * columns * size + j * size
                            var sum: Float = 0
                            for c in 0..<size { sum += rowP[c] * rowQ[c] }
                            grams[(j * size + p) * width + band + q - p] = sum
                            grams[(j * size + q) * width + band + p - q] = sum
                        }
                    }
                }
            }
        }
        return grams
    }
}

extension SeparableWarps.Scale {
    /// Σ_{p,q} gram_i[p, q]·grams_j[p, q] over the band: the energy of plan (row axis i, column axis j).
    func contract(_ grams: [Float], gram: [Float], row i: Int, column j: Int) -> Double {
        let size = AlignmentPlan.size
        let (band, width) = (band, 2 * band + 1)
        return grams.withUnsafeBufferPointer { grams in
            gram.withUnsafeBufferPointer { gram in
                var energy: Double = 0
                for p in 0..<size {
                    let (own, theirs) = (gram.baseAddress! + (i * size + p) * size, grams.baseAddress! + (j * size + p) * width + band - p)
                    var sum: Float = 0
                    for q in max(0, p - band)...min(size - 1, p + band) { sum += own[q] * theirs[q] }
                    energy += Double(sum)
                }
                return energy
            }
        }
    }
}
