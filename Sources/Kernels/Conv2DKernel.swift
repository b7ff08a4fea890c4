// Conv2D forward/backward on channels-last data as im2col + one GEMM per group over the whole batch
// (a 1×1, stride-1 convolution is a plain GEMM with no im2col at all). Weights arrive in PyTorch's
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

    /// out[N·OH·OW, Cout] = conv(x[N, H, W, Cin]) + bias. `cols` holds ≥ rows · k floats (unused if pointwise).
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, shape s: Conv2DShape, cols: UnsafeMutablePointer<Float>
    ) {
        for g in 0..<s.groups {
            let a: UnsafePointer<Float>
            if s.isPointwise {
                a = x
            } else {
                Im2Col.im2col(x, s.geometry(group: g), into: cols)
                a = UnsafePointer(cols)
            }
            GEMM.multiply(
                transB: true, m: s.rows, n: s.coutPerGroup, k: s.k, a: a, lda: s.k,
                b: packedWeight + g * s.coutPerGroup * s.k, ldb: s.k,
                c: out + g * s.coutPerGroup, ldc: s.cout)
        }
        if let bias { addBias(out, bias, rows: s.rows, channels: s.cout) }
    }

    /// Backward: dx (overwritten, if requested), packed weight gradient (overwritten), bias gradient (accumulated).
    /// `cols` and `dcols` hold ≥ rows · k floats each.
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, packedWeightGrad: UnsafeMutablePointer<Float>?,
        biasGrad: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
        packedWeight: UnsafePointer<Float>, shape s: Conv2DShape,
        cols: UnsafeMutablePointer<Float>, dcols: UnsafeMutablePointer<Float>
    ) {
        if let biasGrad { sumRows(dOut, rows: s.rows, channels: s.cout, accumulatingInto: biasGrad) }
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

    /// out[r][c] += bias[c].
    public static func addBias(_ out: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>, rows: Int, channels: Int) {
        Parallel.forEachChunk(rows, minimumPerChunk: 256) { range in
            for r in range {
                let row = out + r * channels
                for c in 0..<channels { row[c] += bias[c] }
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
