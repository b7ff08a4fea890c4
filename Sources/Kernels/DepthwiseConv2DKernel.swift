// Depthwise Conv2D (groups = channels, one filter per channel) as a direct loop over channels-last
// data: memory-bound, so SIMD along the contiguous channel axis beats im2col + GEMM.
// Weights: PyTorch [C, 1, KH, KW], repacked to [KH, KW, C].

public enum DepthwiseConv2DKernel {
    /// packed[(i·KW + j)·C + c] = weight[c][0][i][j].
    public static func packWeights(_ weight: UnsafePointer<Float>, _ s: Conv2DShape, into packed: UnsafeMutablePointer<Float>) {
        for c in 0..<s.cin {
            for t in 0..<(s.kh * s.kw) { packed[t * s.cin + c] = weight[c * s.kh * s.kw + t] }
        }
    }

    /// grad[c][0][i][j] += packed[(i·KW + j)·C + c].
    public static func unpackAccumulate(_ packed: UnsafePointer<Float>, _ s: Conv2DShape, into grad: UnsafeMutablePointer<Float>) {
        for c in 0..<s.cin {
            for t in 0..<(s.kh * s.kw) { grad[c * s.kh * s.kw + t] += packed[t * s.cin + c] }
        }
    }

    /// out = f(depthwise(x) + bias), f = `activation`, applied to each output row as it is finished.
    public static func forward(
        out: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, packedWeight: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, activation: Activation = .identity, shape s: Conv2DShape
    ) {
        let (c, oh, ow) = (s.cin, s.oh, s.ow)
        Parallel.forEachChunk(s.n * oh) { rows in
            for row in rows {
                let n = row / oh
                let oy = row % oh
                for ox in 0..<ow {
                    let dst = out + ((n * oh + oy) * ow + ox) * c
                    if let bias { dst.update(from: bias, count: c) } else { dst.update(repeating: 0, count: c) }
                    for i in 0..<s.kh {
                        let iy = oy * s.stride - s.padding + i
                        if iy < 0 || iy >= s.h { continue }
                        for j in 0..<s.kw {
                            let ix = ox * s.stride - s.padding + j
                            if ix < 0 || ix >= s.w { continue }
                            let src = x + ((n * s.h + iy) * s.w + ix) * c
                            let wt = packedWeight + (i * s.kw + j) * c
                            for ch in 0..<c { dst[ch] += src[ch] * wt[ch] }
                        }
                    }
                }
                ConvEpilogue.apply(out + row * ow * c, bias: nil, activation: activation, rows: ow, channels: c)
            }
        }
    }

    /// dx is overwritten when given; the packed weight gradient is overwritten; bias gradient accumulated.
    public static func backward(
        dx: UnsafeMutablePointer<Float>?, packedWeightGrad: UnsafeMutablePointer<Float>?,
        biasGrad: UnsafeMutablePointer<Float>?, dOut: UnsafePointer<Float>, x: UnsafePointer<Float>,
        packedWeight: UnsafePointer<Float>, shape s: Conv2DShape
    ) {
        let (c, oh, ow) = (s.cin, s.oh, s.ow)
        let taps = s.kh * s.kw
        if let biasGrad { Conv2DKernel.sumRows(dOut, rows: s.rows, channels: c, accumulatingInto: biasGrad) }
        if let dx { dx.update(repeating: 0, count: s.n * s.h * s.w * c) }
        // Per-chunk partial weight gradients, summed afterwards (chunks are whole images, so dx is race-free).
        let chunks = min(Parallel.workers, s.n)
        let partial = UnsafeMutablePointer<Float>.allocate(capacity: chunks * taps * c)
        partial.initialize(repeating: 0, count: chunks * taps * c)
        defer { partial.deallocate() }
        Parallel.forEachChunk(chunks) { chunkRange in
            for chunk in chunkRange {
                let wg = partial + chunk * taps * c
                for n in (s.n * chunk / chunks)..<(s.n * (chunk + 1) / chunks) {
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let g = dOut + ((n * oh + oy) * ow + ox) * c
                            for i in 0..<s.kh {
                                let iy = oy * s.stride - s.padding + i
                                if iy < 0 || iy >= s.h { continue }
                                for j in 0..<s.kw {
                                    let ix = ox * s.stride - s.padding + j
                                    if ix < 0 || ix >= s.w { continue }
                                    let offset = ((n * s.h + iy) * s.w + ix) * c
                                    let tap = (i * s.kw + j) * c
                                    let src = x + offset
                                    let acc = wg + tap
                                    for ch in 0..<c { acc[ch] += g[ch] * src[ch] }
                                    if let dx {
                                        let d = dx + offset
                                        let wt = packedWeight + tap
                                        for ch in 0..<c { d[ch] += g[ch] * wt[ch] }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let packedWeightGrad {
            packedWeightGrad.update(repeating: 0, count: taps * c)
            for chunk in 0..<chunks {
                let wg = partial + chunk * taps * c
                for k in 0..<(taps * c) { packedWeightGrad[k] += wg[k] }
            }
        }
    }
}
