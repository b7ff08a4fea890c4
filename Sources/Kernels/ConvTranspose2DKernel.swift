// ConvTranspose2D on channels-last data, tiled over a few images per worker (columns stay in L2): one
// GEMM from input pixels to (kh, kw, cout) columns, then col2im scatters them into the larger output — it is the backward pass of a convolution. Its own
// backward is im2col of the output gradient and two GEMMs. Weights: PyTorch [Cin, Cout, KH, KW],
// repacked to [Cin, KH, KW, Cout]. Math: https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html
import BLAS

/// The sizes of one transposed-convolution call (groups = 1, no output padding).
public struct ConvTranspose2DShape: Sendable, Equatable {
    public var n, h, w, cin, cout, kh, kw, stride, padding: Int

    public init(n: Int, h: Int, w: Int, cin: Int, cout: Int, kernel: Int, stride: Int, padding: Int) {
        self.n = n; self.h = h; self.w = w; self.cin = cin; self.cout = cout
        self.kh = kernel; self.kw = kernel; self.stride = stride; self.padding = padding
    }

    /// (in − 1)·S − 2P + K.
    public var oh: Int { (h - 1) * stride - 2 * padding + kh }
    public var ow: Int { (w - 1) * stride - 2 * padding + kw }
    /// Columns per input pixel: KH · KW · Cout.
    public var columns: Int { kh * kw * cout }
    public var rows: Int { n * h * w }
    public var macs: Int { rows * cin * columns }

    /// The window over the output image whose "conv output" positions are the input pixels.
    var geometry: WindowGeometry {
        WindowGeometry(n: n, h: oh, w: ow, c: cout, kh: kh, kw: kw, stride: stride, padding: padding, oh: h, ow: w)
    }
}

public enum ConvTranspose2DKernel {
    /// packed[ci][(i·KW + j)·Cout + co] = weight[ci][co][i][j].
    public static func packWeights(_ weight: UnsafePointer<Float>, _ s: ConvTranspose2DShape, into packed: UnsafeMutablePointer<Float>) {
        for ci in 0..<s.cin {
            for co in 0..<s.cout {
                for t in 0..<(s.kh * s.kw) {
                    packed[ci * s.columns + t * s.cout + co] = weight[(ci * s.cout + co) * s.kh * s.kw + t]
                }
            }
        }
    }

    public static func unpackAccumulate(_ packed: UnsafePointer<Float>, _ s: ConvTranspose2DShape, into grad: UnsafeMutablePointer<Float>) {
        for ci in 0..<s.cin {
            for co in 0..<s.cout {
                for t in 0..<(s.kh * s.kw) {
                    grad[(ci * s.cout + co) * s.kh * s.kw + t] += packed[ci * s.columns + t * s.cout + co]
                }
            }
        }
    }

    /// Images per tile and tile count, so each worker's columns stay in L2 (nil: whole-batch path).
    static func tiling(_ s: ConvTranspose2DShape) -> (perTile: Int, tiles: Int)? {
        let perTile = imagesPerTile(columnFloatsPerImage: s.h * s.w * s.columns, rowsPerImage: s.h * s.w, images: s.n)
        let tiles = (s.n + perTile - 1) / perTile
        return tiles >= Parallel.workers && Parallel.workers > 1 ? (perTile, tiles) : nil
    }

    /// out[N, OH, OW, Cout] (overwritten) from x[N, H, W, Cin]: per tile of images, GEMM into columns
    /// then col2im while they are still in cache.
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation = .identity, shape s: ConvTranspose2DShape, scratch: ScratchBuffers
    ) {
        let (perTile, tiles) = tiling(s) ?? (s.n, 1)
        let outPerImage = s.oh * s.ow * s.cout
        GEMM.useSingleThreadedBLAS()
        scratch.reserve(workers: Parallel.workers, perWorker: 1)
        let tile: (Int, Range<Int>, Bool) -> Void = { worker, images, parallelGEMM in
            let cols = scratch.buffer(worker: worker, index: 0, count: perTile * s.h * s.w * s.columns)
            let rows = images.count * s.h * s.w
            let xTile = x + images.lowerBound * s.h * s.w * s.cin
            if parallelGEMM {
                GEMM.multiply(m: rows, n: s.columns, k: s.cin, a: xTile, lda: s.cin, b: packedWeight, ldb: s.columns, c: cols, ldc: s.columns)
            } else {
                BLAS.sgemm(m: rows, n: s.columns, k: s.cin, a: xTile, lda: s.cin, b: packedWeight, ldb: s.columns, c: cols, ldc: s.columns)
            }
            let outTile = out + images.lowerBound * outPerImage
            if let bias {
                for p in 0..<(images.count * s.oh * s.ow) { (outTile + p * s.cout).update(from: bias, count: s.cout) }
            } else {
                outTile.update(repeating: 0, count: images.count * outPerImage)
            }
            Im2Col.col2im(cols, s.geometry, images: images, accumulatingInto: out)
            // The inference path's activation, on the tile col2im just finished (the bias is already in).
            let pixels = images.count * s.oh * s.ow
            if parallelGEMM {
                ConvEpilogue.applyParallel(outTile, bias: nil, activation: activation, rows: pixels, channels: s.cout)
            } else {
                ConvEpilogue.apply(outTile, bias: nil, activation: activation, rows: pixels, channels: s.cout)
            }
        }
        if tiles == 1 {
            tile(0, 0..<s.n, true)
            return
        }
        Parallel.forEachWorker(tiles) { worker, tileRange in
            for t in tileRange { tile(worker, (t * perTile)..<min(s.n, (t + 1) * perTile), false) }
        }
    }

    /// dx (overwritten, if requested), packed weight gradient (overwritten, if requested), bias gradient (accumulated).
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, packedWeightGrad: UnsafeMutablePointer<Float>?,
        biasGrad: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
        packedWeight: UnsafePointer<Float>, shape s: ConvTranspose2DShape, scratch: ScratchBuffers
    ) {
        if let biasGrad { Conv2DKernel.sumRows(dOut, rows: s.n * s.oh * s.ow, channels: s.cout, accumulatingInto: biasGrad) }
        let (perTile, tiles) = tiling(s) ?? (s.n, 1)
        let weightCount = s.cin * s.columns
        GEMM.useSingleThreadedBLAS()
        scratch.reserve(workers: Parallel.workers, perWorker: 2)
        let tile: (Int, Range<Int>, Bool) -> Void = { worker, images, parallelGEMM in
            let dcols = scratch.buffer(worker: worker, index: 0, count: perTile * s.h * s.w * s.columns)
            let partial = scratch.buffer(worker: worker, index: 1, count: weightCount)
            let rows = images.count * s.h * s.w
            let offset = images.lowerBound * s.h * s.w * s.cin
            Im2Col.im2col(dOut, s.geometry, images: images, into: dcols)
            let multiply:
                (Bool, Bool, Int, Int, Int, UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Float, UnsafeMutablePointer<Float>, Int) -> Void = {
                    if parallelGEMM {
                        GEMM.multiply(transA: $0, transB: $1, m: $2, n: $3, k: $4, a: $5, lda: $6, b: $7, ldb: $8, beta: $9, c: $10, ldc: $11)
                    } else {
                        BLAS.sgemm(transA: $0, transB: $1, m: $2, n: $3, k: $4, a: $5, lda: $6, b: $7, ldb: $8, beta: $9, c: $10, ldc: $11)
                    }
                }
            if let dx {
                multiply(false, true, rows, s.cin, s.columns, dcols, s.columns, packedWeight, s.columns, 0, dx + offset, s.cin)
            }
            if packedWeightGrad != nil {
                multiply(true, false, s.cin, s.columns, rows, x + offset, s.cin, dcols, s.columns, 1, partial, s.columns)
            }
        }
        let participants = min(Parallel.workers, tiles)
        if packedWeightGrad != nil {
            for worker in 0..<participants {
                scratch.buffer(worker: worker, index: 1, count: weightCount).update(repeating: 0, count: weightCount)
            }
        }
        if tiles == 1 {
            tile(0, 0..<s.n, true)
        } else {
            Parallel.forEachWorker(tiles) { worker, tileRange in
                for t in tileRange { tile(worker, (t * perTile)..<min(s.n, (t + 1) * perTile), false) }
            }
        }
        if let packedWeightGrad {
            scratch.sumPartials(index: 1, workers: participants, count: weightCount, into: packedWeightGrad)
        }
    }
}
