// Batch normalization over rows of [M, C] (M = N·H·W for channels-last images, N for BatchNorm1d),
// with an optional activation fused into the same pass. Statistics are summed in Double, one pass.
// Training uses the batch's biased variance to normalize and updates running statistics with the
// unbiased one, as PyTorch does: https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
// Backward recomputes the pre-activation from x instead of storing it (one buffer less per layer).
#if canImport(Glibc)
    import Glibc
#endif

public enum BatchNormKernel {
    /// Per-channel statistics the backward pass needs.
    public struct Statistics {
        public var mean: [Float]
        public var invStd: [Float]
        public init(channels: Int) {
            mean = [Float](repeating: 0, count: channels)
            invStd = [Float](repeating: 1, count: channels)
        }
    }

    /// Training forward: normalizes with batch statistics, writes `stats`, updates running mean/var.
    public static func forwardTraining(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows m: Int, channels c: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        momentum: Float, epsilon: Float, activation: Activation, stats: inout Statistics
    ) {
        let (sum, sumSquares) = channelSums(x, rows: m, channels: c)
        var scale = [Float](repeating: 0, count: c)
        var shift = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            let mean = sum[ch] / Double(m)
            let variance = max(sumSquares[ch] / Double(m) - mean * mean, 0)
            let invStd = 1 / (variance + Double(epsilon)).squareRoot()
            stats.mean[ch] = Float(mean)
            stats.invStd[ch] = Float(invStd)
            scale[ch] = Float(Double(gamma[ch]) * invStd)
            shift[ch] = Float(Double(beta[ch]) - mean * Double(gamma[ch]) * invStd)
            let unbiased = m > 1 ? variance * Double(m) / Double(m - 1) : variance
            runningMean[ch] = (1 - momentum) * runningMean[ch] + momentum * Float(mean)
            runningVar[ch] = (1 - momentum) * runningVar[ch] + momentum * Float(unbiased)
        }
        apply(y: y, x: x, rows: m, channels: c, scale: scale, shift: shift, activation: activation)
    }

    /// Inference forward with running statistics.
    public static func forwardInference(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows m: Int, channels c: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        epsilon: Float, activation: Activation, stats: inout Statistics
    ) {
        let (scale, shift) = inferenceAffine(
            channels: c, gamma: gamma, beta: beta, runningMean: runningMean, runningVar: runningVar, epsilon: epsilon)
        for ch in 0..<c {
            stats.mean[ch] = runningMean[ch]
            stats.invStd[ch] = 1 / (runningVar[ch] + epsilon).squareRoot()
        }
        apply(y: y, x: x, rows: m, channels: c, scale: scale, shift: shift, activation: activation)
    }

    /// Inference batch norm as a per-channel affine y = x · scale + shift: scale = γ / √(running var + ε),
    /// shift = β − running mean · scale (what folding into the preceding convolution multiplies in and adds).
    public static func inferenceAffine(
        channels c: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, runningMean: UnsafePointer<Float>,
        runningVar: UnsafePointer<Float>, epsilon: Float
    ) -> (scale: [Float], shift: [Float]) {
        var scale = [Float](repeating: 0, count: c)
        var shift = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            scale[ch] = gamma[ch] * (1 / (runningVar[ch] + epsilon).squareRoot())
            shift[ch] = beta[ch] - runningMean[ch] * scale[ch]
        }
        return (scale, shift)
    }

    /// Backward through activation and normalization. `training` selects batch-statistics backward
    /// (the mean and variance depend on x) or the affine backward of inference mode. dx is overwritten;
    /// gamma/beta gradients are accumulated when given.
    public static func backward(
        dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows m: Int, channels c: Int,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, stats: Statistics, activation: Activation, training: Bool,
        gammaGrad: UnsafeMutablePointer<Float>?, betaGrad: UnsafeMutablePointer<Float>?
    ) {
        let mean = stats.mean
        let invStd = stats.invStd
        // Pass 1: dz = dy · f′(z) into dx, and the per-channel sums Σdz, Σdz·x̂.
        let chunks = min(Parallel.workers, max(1, m / 64))
        var partialDz = [Double](repeating: 0, count: chunks * c)
        var partialDzXhat = [Double](repeating: 0, count: chunks * c)
        struct Sums: ActivationBody {
            let dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, m: Int, c: Int
            let gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, mean: [Float], invStd: [Float], chunks: Int
            func run<F: PointwiseFunction>(_ f: F) -> ([Double], [Double]) {
                var dz = [Double](repeating: 0, count: chunks * c), dzXhat = [Double](repeating: 0, count: chunks * c)
                BatchNormKernel.gradientSums(dx, dy, x, m, c, gamma, beta, mean, invStd, chunks, &dz, &dzXhat, f)
                return (dz, dzXhat)
            }
        }
        (partialDz, partialDzXhat) = activation.dispatch(
            Sums(dx: dx, dy: dy, x: x, m: m, c: c, gamma: gamma, beta: beta, mean: mean, invStd: invStd, chunks: chunks))
        var sumDz = [Float](repeating: 0, count: c)
        var sumDzXhat = [Float](repeating: 0, count: c)
        for ch in 0..<c {
            var a = 0.0, b = 0.0
            for chunk in 0..<chunks {
                a += partialDz[chunk * c + ch]
                b += partialDzXhat[chunk * c + ch]
            }
            sumDz[ch] = Float(a)
            sumDzXhat[ch] = Float(b)
            gammaGrad?[ch] += Float(b)
            betaGrad?[ch] += Float(a)
        }
        // Pass 2: dx = γ·σ⁻¹ · (dz − mean(dz) − x̂ · mean(dz·x̂)) in training, γ·σ⁻¹·dz in inference.
        let inverseM = 1 / Float(m)
        mean.withUnsafeBufferPointer { mean in
            invStd.withUnsafeBufferPointer { invStd in
                sumDz.withUnsafeBufferPointer { sDz in
                    sumDzXhat.withUnsafeBufferPointer { sDzX in
                        let (mu, inv, sDz, sDzX) = (mean.baseAddress!, invStd.baseAddress!, sDz.baseAddress!, sDzX.baseAddress!)
                        Parallel.forEachChunk(m, minimumPerChunk: 64) { range in
                            for r in range {
                                let xr = x + r * c, dxr = dx + r * c
                                if training {
                                    for ch in 0..<c {
                                        let xhat = (xr[ch] - mu[ch]) * inv[ch]
                                        dxr[ch] = gamma[ch] * inv[ch] * (dxr[ch] - sDz[ch] * inverseM - xhat * sDzX[ch] * inverseM)
                                    }
                                } else {
                                    for ch in 0..<c { dxr[ch] = gamma[ch] * inv[ch] * dxr[ch] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static func apply(
        y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, rows m: Int, channels c: Int,
        scale: [Float], shift: [Float], activation: Activation
    ) {
        struct Body: ActivationBody {
            let y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, m: Int, c: Int, scale: [Float], shift: [Float]
            func run<F: PointwiseFunction>(_ f: F) { BatchNormKernel.applyLoop(y, x, m, c, scale, shift, f) }
        }
        activation.dispatch(Body(y: y, x: x, m: m, c: c, scale: scale, shift: shift))
    }

    /// Pass 1 of backward for one activation: dx ← dz = dy · f′(x̂γ + β); per-chunk Σdz and Σdz·x̂ in Double.
    fileprivate static func gradientSums<F: PointwiseFunction>(
        _ dx: UnsafeMutablePointer<Float>, _ dy: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ m: Int, _ c: Int,
        _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>, _ mean: [Float], _ invStd: [Float], _ chunks: Int,
        _ partialDz: inout [Double], _ partialDzXhat: inout [Double], _ f: F
    ) {
        mean.withUnsafeBufferPointer { mean in
            invStd.withUnsafeBufferPointer { invStd in
                partialDz.withUnsafeMutableBufferPointer { pDz in
                    partialDzXhat.withUnsafeMutableBufferPointer { pDzX in
                        let (mu, inv, pDz, pDzX) = (mean.baseAddress!, invStd.baseAddress!, pDz.baseAddress!, pDzX.baseAddress!)
                        Parallel.forEachChunk(chunks) { chunkRange in
                            let sDz = UnsafeMutablePointer<Float>.allocate(capacity: 2 * c)
                            defer { sDz.deallocate() }
                            let sDzX = sDz + c
                            for chunk in chunkRange {
                                sDz.update(repeating: 0, count: 2 * c)
                                let rows = (m * chunk / chunks)..<(m * (chunk + 1) / chunks)
                                for r in rows {
                                    let xr = x + r * c, dyr = dy + r * c, dxr = dx + r * c
                                    for ch in 0..<c {
                                        let xhat = (xr[ch] - mu[ch]) * inv[ch]
                                        let dz = dyr[ch] * f.derivative(xhat * gamma[ch] + beta[ch])
                                        dxr[ch] = dz
                                        sDz[ch] += dz
                                        sDzX[ch] += dz * xhat
                                    }
                                    // Flush to Double every 256 rows to keep Float sums short.
                                    if (r + 1 - rows.lowerBound) % 256 == 0 || r + 1 == rows.upperBound {
                                        for ch in 0..<c {
                                            pDz[chunk * c + ch] += Double(sDz[ch])
                                            pDzX[chunk * c + ch] += Double(sDzX[ch])
                                        }
                                        sDz.update(repeating: 0, count: 2 * c)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// y = f(x · scale + shift) per channel: one loop specialized per activation, vectorized.
    fileprivate static func applyLoop<F: PointwiseFunction>(
        _ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, _ m: Int, _ c: Int, _ scale: [Float], _ shift: [Float], _ f: F
    ) {
        scale.withUnsafeBufferPointer { scale in
            shift.withUnsafeBufferPointer { shift in
                let (s, b) = (scale.baseAddress!, shift.baseAddress!)
                Parallel.forEachChunk(m, minimumPerChunk: 64) { range in
                    for r in range {
                        let xr = x + r * c, yr = y + r * c
                        for ch in 0..<c { yr[ch] = f.value(xr[ch] * s[ch] + b[ch]) }
                    }
                }
            }
        }
    }

    /// Per-channel Σx and Σx² in Double.
    static func channelSums(_ x: UnsafePointer<Float>, rows m: Int, channels c: Int) -> ([Double], [Double]) {
        let chunks = min(Parallel.workers, max(1, m / 64))
        var partial = [Double](repeating: 0, count: chunks * c * 2)
        partial.withUnsafeMutableBufferPointer { p in
            let p = p.baseAddress!
            Parallel.forEachChunk(chunks) { chunkRange in
                for chunk in chunkRange {
                    var s = [Float](repeating: 0, count: c)
                    var q = [Float](repeating: 0, count: c)
                    for r in (m * chunk / chunks)..<(m * (chunk + 1) / chunks) {
                        let xr = x + r * c
                        for ch in 0..<c {
                            s[ch] += xr[ch]
                            q[ch] += xr[ch] * xr[ch]
                        }
                        if (r + 1) % 256 == 0 {
                            for ch in 0..<c {
                                p[chunk * c * 2 + ch] += Double(s[ch]); s[ch] = 0
                                p[chunk * c * 2 + c + ch] += Double(q[ch]); q[ch] = 0
                            }
                        }
                    }
                    for ch in 0..<c {
                        p[chunk * c * 2 + ch] += Double(s[ch])
                        p[chunk * c * 2 + c + ch] += Double(q[ch])
                    }
                }
            }
        }
        var sum = [Double](repeating: 0, count: c)
        var squares = [Double](repeating: 0, count: c)
        for chunk in 0..<chunks {
            for ch in 0..<c {
                sum[ch] += partial[chunk * c * 2 + ch]
                squares[ch] += partial[chunk * c * 2 + c + ch]
            }
        }
        return (sum, squares)
    }
}
