// Global average pooling over H·W of channels-last images: [N, H, W, C] → [N, C].
// Math: torch.nn.AdaptiveAvgPool2d(1).

public enum PoolKernel {
    public static func globalAverageForward(y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, n: Int, pixels: Int, channels c: Int) {
        let scale = 1 / Float(pixels)
        Parallel.forEachChunk(n) { images in
            for i in images {
                let out = y + i * c
                out.update(repeating: 0, count: c)
                for p in 0..<pixels {
                    let row = x + (i * pixels + p) * c
                    for ch in 0..<c { out[ch] += row[ch] }
                }
                for ch in 0..<c { out[ch] *= scale }
            }
        }
    }

    /// dx[n, p, c] (+)= dy[n, c] / pixels.
    public static func globalAverageBackward(
        dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, n: Int, pixels: Int, channels c: Int, accumulate: Bool
    ) {
        let scale = 1 / Float(pixels)
        Parallel.forEachChunk(n) { images in
            for i in images {
                let g = dy + i * c
                for p in 0..<pixels {
                    let row = dx + (i * pixels + p) * c
                    if accumulate {
                        for ch in 0..<c { row[ch] += g[ch] * scale }
                    } else {
                        for ch in 0..<c { row[ch] = g[ch] * scale }
                    }
                }
            }
        }
    }
}
