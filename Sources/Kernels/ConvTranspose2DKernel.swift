// ConvTranspose2D on channels-last data: one GEMM from input pixels to (kh, kw, cout) columns, then
// col2im scatters them into the larger output — it is the backward pass of a convolution. Its own
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

    /// out[N, OH, OW, Cout] (overwritten) from x[N, H, W, Cin]; `cols` holds ≥ rows · columns floats.
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, shape s: ConvTranspose2DShape, cols: UnsafeMutablePointer<Float>
    ) {
        GEMM.multiply(m: s.rows, n: s.columns, k: s.cin, a: x, lda: s.cin, b: packedWeight, ldb: s.columns, c: cols, ldc: s.columns)
        let outCount = s.n * s.oh * s.ow * s.cout
        if let bias {
            Parallel.forEachChunk(s.n * s.oh * s.ow, minimumPerChunk: 256) { range in
                for p in range { (out + p * s.cout).update(from: bias, count: s.cout) }
            }
        } else {
            out.update(repeating: 0, count: outCount)
        }
        Im2Col.col2im(cols, s.geometry, accumulatingInto: out)
    }

    /// dx (overwritten, if requested), packed weight gradient (overwritten), bias gradient (accumulated).
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, packedWeightGrad: UnsafeMutablePointer<Float>?,
        biasGrad: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
        packedWeight: UnsafePointer<Float>, shape s: ConvTranspose2DShape, dcols: UnsafeMutablePointer<Float>
    ) {
        if let biasGrad { Conv2DKernel.sumRows(dOut, rows: s.n * s.oh * s.ow, channels: s.cout, accumulatingInto: biasGrad) }
        Im2Col.im2col(dOut, s.geometry, into: dcols)
        if let dx {
            GEMM.multiply(transB: true, m: s.rows, n: s.cin, k: s.columns, a: dcols, lda: s.columns, b: packedWeight, ldb: s.columns, c: dx, ldc: s.cin)
        }
        if let packedWeightGrad {
            GEMM.multiply(transA: true, m: s.cin, n: s.columns, k: s.rows, a: x, lda: s.cin, b: dcols, ldb: s.columns, c: packedWeightGrad, ldc: s.columns)
        }
    }
}
