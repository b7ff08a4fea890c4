// Conv2D forward/backward on channels-last data as im2col + GEMM, tiled over a few images at a time
// per worker so the columns stay in L2 (PERFORMANCE.md; a 1×1, stride-1 convolution is a plain GEMM
// with no im2col at all). Weights arrive in PyTorch's
// layout [Cout, Cin/G, KH, KW] and are repacked to [Cout, KH, KW, Cin/G] to match the column order.
// Math: https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
import BLAS

/// The sizes of one convolution call.
public struct Conv2DShape: Sendable, Equatable {
    public var n, h, w, cin, cout, kh, kw, stride, padding, groups: Int

    public init(n: Int, h: Int, w: Int, cin: Int, cout: Int, kernel: Int, stride: Int, padding: Int, groups: Int = 1) {
        self.n = n; self.h = h; self.w = w; self.cin = cin; self.cout = cout
        self.kh = kernel; self.kw = kernel; self.stride = stride; self.padding = padding; self.groups = groups
    }

    public var oh: Int { WindowGeometry.convOutput(h, kernel: kh, stride: stride, padding: padding) }
    public var ow: Int { WindowGeometry.convOutput(w, kernel: kw, stride: stride, padding: padding) }
    public var cinPerGroup: Int { cin / groups }
    public var coutPerGroup: Int { cout / groups }
    /// GEMM depth per group: KH · KW · Cin/G.
    public var k: Int { kh * kw * cinPerGroup }
    public var rows: Int { n * oh * ow }
    /// A 1×1, stride 1, unpadded, ungrouped convolution: the input already is the GEMM operand.
    public var isPointwise: Bool { kh == 1 && kw == 1 && stride == 1 && padding == 0 && groups == 1 }
    /// Multiply–adds of the forward pass.
    public var macs: Int { rows * cout * k }

    func geometry(group: Int) -> WindowGeometry {
        WindowGeometry(
            n: n, h: h, w: w, c: cin, c0: group * cinPerGroup, cg: cinPerGroup, kh: kh, kw: kw,
            stride: stride, padding: padding, oh: oh, ow: ow)
    }
}

public enum Conv2DKernel {
    /// packed[co][(i·KW + j)·Cg + c] = weight[co][c][i][j].
    public static func packWeights(_ weight: UnsafePointer<Float>, _ s: Conv2DShape, into packed: UnsafeMutablePointer<Float>) {
        let cg = s.cinPerGroup
        for co in 0..<s.cout {
            for c in 0..<cg {
                for i in 0..<s.kh {
                    for j in 0..<s.kw {
                        packed[co * s.k + (i * s.kw + j) * cg + c] = weight[((co * cg + c) * s.kh + i) * s.kw + j]
                    }
                }
            }
        }
    }

    /// grad[co][c][i][j] += packedGrad[co][(i·KW + j)·Cg + c].
    public static func unpackAccumulate(_ packed: UnsafePointer<Float>, _ s: Conv2DShape, into grad: UnsafeMutablePointer<Float>) {
        let cg = s.cinPerGroup
        for co in 0..<s.cout {
            for c in 0..<cg {
                for i in 0..<s.kh {
                    for j in 0..<s.kw {
                        grad[((co * cg + c) * s.kh + i) * s.kw + j] += packed[co * s.k + (i * s.kw + j) * cg + c]
                    }
                }
            }
        }
    }

    /// Floats of scratch per image for one tile: the columns of one image.
    static func columnsPerImage(_ s: Conv2DShape) -> Int { s.oh * s.ow * s.k }

    /// Whether to tile over images: enough tiles to keep every worker busy. Small batches (tests,
    /// single-image inference) and grouped convolutions use whole-batch GEMMs split by rows instead.
    static func tiling(_ s: Conv2DShape) -> (perTile: Int, tiles: Int)? {
        guard s.groups == 1, !s.isPointwise else { return nil }
        let perTile = imagesPerTile(columnFloatsPerImage: columnsPerImage(s), rowsPerImage: s.oh * s.ow, images: s.n)
        let tiles = (s.n + perTile - 1) / perTile
        return tiles >= Parallel.workers && Parallel.workers > 1 ? (perTile, tiles) : nil
    }

    /// out[N·OH·OW, Cout] = f(conv(x[N, H, W, Cin]) + bias), f = `activation`. Tiled over images so each
    /// worker's columns stay in its L2 cache between im2col and the GEMM that reads them, and the bias and
    /// activation are applied to each output tile while it is still there. `pointwiseInChunks` (the
    /// inference path's choice) computes a large 1×1 convolution as row chunks with the epilogue on each;
    /// training keeps the whole-batch GEMM, so its arithmetic is what it always was.
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation = .identity, pointwiseInChunks chunked: Bool = false, shape s: Conv2DShape,
        scratch: ScratchBuffers
    ) {
        if let (perTile, tiles) = tiling(s) {
            let g = s.geometry(group: 0)
            GEMM.useSingleThreadedBLAS()
            scratch.reserve(workers: Parallel.workers, perWorker: 1)
            Parallel.forEachWorker(tiles) { worker, tileRange in
                let cols = scratch.buffer(worker: worker, index: 0, count: perTile * columnsPerImage(s))
                for tile in tileRange {
                    let images = (tile * perTile)..<min(s.n, (tile + 1) * perTile)
                    let rows = images.count * s.oh * s.ow
                    let outTile = out + images.lowerBound * s.oh * s.ow * s.cout
                    Im2Col.im2col(x, g, images: images, into: cols)
                    BLAS.sgemm(transB: true, m: rows, n: s.cout, k: s.k, a: cols, lda: s.k, b: packedWeight, ldb: s.k, c: outTile, ldc: s.cout)
                    ConvEpilogue.apply(outTile, bias: bias, activation: activation, rows: rows, channels: s.cout)
                }
            }
            return
        }
        if chunked && s.isPointwise && s.rows >= 2 * pointwiseChunkRows && Parallel.workers > 1 {
            pointwiseInChunks(out: out, x: x, packedWeight: packedWeight, bias: bias, activation: activation, shape: s)
            return
        }
        scratch.reserve(workers: 1, perWorker: 1)
        let cols = s.isPointwise ? nil : scratch.buffer(worker: 0, index: 0, count: s.rows * s.k)
        for g in 0..<s.groups {
            let a: UnsafePointer<Float>
            if let cols {
                Im2Col.im2col(x, s.geometry(group: g), into: cols)
                a = UnsafePointer(cols)
            } else {
                a = x
            }
            GEMM.multiply(
                transB: true, m: s.rows, n: s.coutPerGroup, k: s.k, a: a, lda: s.k,
                b: packedWeight + g * s.coutPerGroup * s.k, ldb: s.k,
                c: out + g * s.coutPerGroup, ldc: s.cout)
        }
        ConvEpilogue.applyParallel(out, bias: bias, activation: activation, rows: s.rows, channels: s.cout)
    }

    /// Rows per GEMM in `pointwiseInChunks`: an output chunk of a few hundred KB stays in L2 for the epilogue.
    static let pointwiseChunkRows = 256

    /// A 1×1 convolution with a bias or an activation as row chunks, each a single-threaded GEMM followed at once
    /// by the epilogue on the chunk it just wrote (one whole-output pass fewer than GEMM, then epilogue).
    static func pointwiseInChunks(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation, shape s: Conv2DShape
    ) {
        GEMM.useSingleThreadedBLAS()
        let chunks = (s.rows + pointwiseChunkRows - 1) / pointwiseChunkRows
        Parallel.forEachWorker(chunks) { _, chunkRange in
            for chunk in chunkRange {
                let first = chunk * pointwiseChunkRows
                let rows = min(pointwiseChunkRows, s.rows - first)
                BLAS.sgemm(
                    transB: true, m: rows, n: s.cout, k: s.k, a: x + first * s.k, lda: s.k, b: packedWeight, ldb: s.k,
                    c: out + first * s.cout, ldc: s.cout)
                ConvEpilogue.apply(out + first * s.cout, bias: bias, activation: activation, rows: rows, channels: s.cout)
            }
        }
    }

    /// Backward: dx (overwritten, if requested), packed weight gradient (overwritten, if requested),
    /// bias gradient (accumulated).
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, packedWeightGrad: UnsafeMutablePointer<Float>?,
        biasGrad: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
        packedWeight: UnsafePointer<Float>, shape s: Conv2DShape, scratch: ScratchBuffers
    ) {
        if let biasGrad { sumRows(dOut, rows: s.rows, channels: s.cout, accumulatingInto: biasGrad) }
        if let (perTile, tiles) = tiling(s) {
            let g = s.geometry(group: 0)
            let weightCount = s.cout * s.k
            let participants = min(Parallel.workers, tiles)
            GEMM.useSingleThreadedBLAS()
            scratch.reserve(workers: Parallel.workers, perWorker: 3)
            Parallel.forEachWorker(tiles) { worker, tileRange in
                let cols = scratch.buffer(worker: worker, index: 0, count: perTile * columnsPerImage(s))
                let dcols = scratch.buffer(worker: worker, index: 1, count: perTile * columnsPerImage(s))
                let partial = scratch.buffer(worker: worker, index: 2, count: weightCount)
                if packedWeightGrad != nil { partial.update(repeating: 0, count: weightCount) }
                for tile in tileRange {
                    let images = (tile * perTile)..<min(s.n, (tile + 1) * perTile)
                    let rows = images.count * s.oh * s.ow
                    let dOutTile = dOut + images.lowerBound * s.oh * s.ow * s.cout
                    if packedWeightGrad != nil {
                        Im2Col.im2col(x, g, images: images, into: cols)
                        BLAS.sgemm(
                            transA: true, m: s.cout, n: s.k, k: rows, a: dOutTile, lda: s.cout, b: cols, ldb: s.k,
                            beta: 1, c: partial, ldc: s.k)
                    }
                    if let dx {
                        (dx + images.lowerBound * s.h * s.w * s.cin).update(repeating: 0, count: images.count * s.h * s.w * s.cin)
                        BLAS.sgemm(m: rows, n: s.k, k: s.cout, a: dOutTile, lda: s.cout, b: packedWeight, ldb: s.k, c: dcols, ldc: s.k)
                        Im2Col.col2im(dcols, g, images: images, accumulatingInto: dx)
                    }
                }
            }
            if let packedWeightGrad {
                scratch.sumPartials(index: 2, workers: participants, count: weightCount, into: packedWeightGrad)
            }
            return
        }
        scratch.reserve(workers: 1, perWorker: 2)
        let count = s.isPointwise ? 0 : s.rows * s.k
        let cols = scratch.buffer(worker: 0, index: 0, count: count)
        let dcols = scratch.buffer(worker: 0, index: 1, count: count)
        if let dx, !s.isPointwise { dx.update(repeating: 0, count: s.n * s.h * s.w * s.cin) }
        for g in 0..<s.groups {
            let geometry = s.geometry(group: g)
            let dOutGroup = dOut + g * s.coutPerGroup
            let weightGroup = packedWeight + g * s.coutPerGroup * s.k
            if let packedWeightGrad {
                let a: UnsafePointer<Float>
                if s.isPointwise {
                    a = x
                } else {
                    Im2Col.im2col(x, geometry, into: cols)
                    a = UnsafePointer(cols)
                }
                // dW[Cout_g, k] = dOut_gᵀ · cols
                GEMM.multiply(
                    transA: true, m: s.coutPerGroup, n: s.k, k: s.rows, a: dOutGroup, lda: s.cout,
                    b: a, ldb: s.k, c: packedWeightGrad + g * s.coutPerGroup * s.k, ldc: s.k)
            }
            if let dx {
                if s.isPointwise {
                    GEMM.multiply(m: s.rows, n: s.k, k: s.coutPerGroup, a: dOutGroup, lda: s.cout, b: weightGroup, ldb: s.k, c: dx, ldc: s.k)
                } else {
                    GEMM.multiply(m: s.rows, n: s.k, k: s.coutPerGroup, a: dOutGroup, lda: s.cout, b: weightGroup, ldb: s.k, c: dcols, ldc: s.k)
                    Im2Col.col2im(dcols, geometry, accumulatingInto: dx)
                }
            }
        }
    }

    /// into[c] += Σ_r values[r][c].
    public static func sumRows(_ values: UnsafePointer<Float>, rows: Int, channels: Int, accumulatingInto into: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = values + r * channels
            for c in 0..<channels { into[c] += row[c] }
        }
    }
}
