// What a convolution's inference path does to its output while it is still in cache: add a per-channel
// bias, then an activation — batch norm folded into the weights (issue 15, "inference path") leaves
// exactly this, so the separate normalize-and-activate pass over the whole output disappears. (A plain
// bias add — every convolution's and LinearKernel's — is the identity-activation case.)

/// y[r][c] = f(y[r][c] + bias[c]) in place.
public enum ConvEpilogue {
    /// Over `rows` rows of `channels` on the calling thread (inside a worker's tile).
    public static func apply(
        _ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation, rows: Int, channels: Int
    ) {
        struct Body: ActivationBody {
            let y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, channels: Int
            func run<F: PointwiseFunction>(_ f: F) {
                let (y, c) = (y, channels)
                if let bias, c == 1 {
                    // One channel (the generator's image): a flat loop, so it vectorizes.
                    let b = bias[0]
                    for i in 0..<rows { y[i] = f.value(y[i] + b) }
                } else if let bias {
                    for r in 0..<rows {
                        let row = y + r * c
                        for ch in 0..<c { row[ch] = f.value(row[ch] + bias[ch]) }
                    }
                } else {
                    for i in 0..<(rows * c) { y[i] = f.value(y[i]) }
                }
            }
        }
        if bias == nil && activation == .identity { return }
        activation.dispatch(Body(y: y, bias: bias, rows: rows, channels: channels))
    }

    /// The same over the whole output, rows split over the workers.
    public static func applyParallel(
        _ y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, activation: Activation, rows: Int, channels: Int
    ) {
        if bias == nil && activation == .identity { return }
        Parallel.forEachChunk(rows, minimumPerChunk: 64) { range in
            apply(y + range.lowerBound * channels, bias: bias, activation: activation, rows: range.count, channels: channels)
        }
    }
}
