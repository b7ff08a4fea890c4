// Conversions between PyTorch's NCHW order and Cohort's channels-last NHWC order: for fixtures, and
// where a model flattens or unflattens image features in PyTorch's order (the GAN's Linear layers).

public enum LayoutKernel {
    /// dst[n, h, w, c] = src[n, c, h, w].
    public static func nchwToNHWC(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, h: Int, w: Int) {
        for i in 0..<n {
            for ch in 0..<c {
                for y in 0..<h {
                    for x in 0..<w { dst[((i * h + y) * w + x) * c + ch] = src[((i * c + ch) * h + y) * w + x] }
                }
            }
        }
    }

    /// dst[n, c, h, w] = src[n, h, w, c].
    public static func nhwcToNCHW(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, n: Int, c: Int, h: Int, w: Int) {
        for i in 0..<n {
            for ch in 0..<c {
                for y in 0..<h {
                    for x in 0..<w { dst[((i * c + ch) * h + y) * w + x] = src[((i * h + y) * w + x) * c + ch] }
                }
            }
        }
    }
}
