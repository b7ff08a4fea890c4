// Separable bicubic resampling with antialiasing, computed exactly as Pillow's Image.resize with
// Image.BICUBIC (src/libImaging/Resample.c): a = −0.5 cubic kernel stretched by the downscale factor,
// weights normalised to 22-bit fixed point, a horizontal pass rounded to 8 bits, then a vertical pass.
// Reproducing Pillow bit for bit means a scan preprocessed by the daemon equals the one in
// ../shared/data (which was made with Pillow) rather than merely resembling it.

/// Resampling weights for one axis: output pixel `i` reads `count[i]` inputs from `first[i]`.
struct ResampleWeights {
    var first: [Int]
    var count: [Int]
    /// `outSize × taps` weights (zero beyond `count[i]`), as Doubles.
    var weights: [Double]
    /// The same weights in Pillow's 22-bit fixed point.
    var fixed: [Int]
    var taps: Int

    static let precisionBits = 32 - 8 - 2

    /// Pillow's `precompute_coeffs` for the box [0, inSize) mapped onto outSize pixels.
    init(inSize: Int, outSize: Int) {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 2.0 * filterScale  // bicubic support is 2
        taps = Int(support.rounded(.up)) * 2 + 1
        first = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Double](repeating: 0, count: outSize * taps)
        fixed = [Int](repeating: 0, count: outSize * taps)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            let inverse = 1.0 / filterScale
            let xmin = max(Int(center - support + 0.5), 0)  // C truncation; operand ≥ −0.5 so same as floor for ≥ 0
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var total = 0.0
            for x in 0..<xmax {
                let w = Self.bicubic((Double(x + xmin) - center + 0.5) * inverse)
                weights[xx * taps + x] = w
                total += w
            }
            for x in 0..<xmax where total != 0 { weights[xx * taps + x] /= total }
            for x in 0..<xmax {
                let w = weights[xx * taps + x] * Double(1 << Self.precisionBits)
                fixed[xx * taps + x] = w < 0 ? Int(-0.5 + w) : Int(0.5 + w)
            }
            first[xx] = xmin
            count[xx] = xmax
        }
    }

    /// Keys' cubic convolution kernel with a = −0.5.
    @inline(__always)
    static func bicubic(_ value: Double) -> Double {
        let a = -0.5
        let x = abs(value)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }
}

enum PillowResampler {
    /// Resizes `image` to `outWidth × outHeight` and returns the window starting at (`left`, `top`)
    /// of size `cropWidth × cropHeight` — the same pixels as Pillow's `resize(...).crop(...)`, without
    /// computing the rows and columns the crop throws away.
    static func resizeAndCrop(
        _ image: GrayImage, outWidth: Int, outHeight: Int, left: Int, top: Int, cropWidth: Int, cropHeight: Int
    ) -> GrayImage {
        let horizontal = ResampleWeights(inSize: image.width, outSize: outWidth)
        let vertical = ResampleWeights(inSize: image.height, outSize: outHeight)
        // Input rows the cropped output rows need.
        let rowStart = vertical.first[top]
        let rowEnd = (top..<(top + cropHeight)).map { vertical.first[$0] + vertical.count[$0] }.max()!
        let tmpRows = rowEnd - rowStart
        if image.bitDepth == 8 {
            return resample8(image, horizontal, vertical, rowStart, tmpRows, left, top, cropWidth, cropHeight)
        }
        return resampleWide(image, horizontal, vertical, rowStart, tmpRows, left, top, cropWidth, cropHeight)
    }

    /// Pillow's 8-bit integer path: the horizontal pass is clipped to 0...255 before the vertical one.
    private static func resample8(
        _ image: GrayImage, _ h: ResampleWeights, _ v: ResampleWeights, _ rowStart: Int, _ tmpRows: Int,
        _ left: Int, _ top: Int, _ cropWidth: Int, _ cropHeight: Int
    ) -> GrayImage {
        let bits = ResampleWeights.precisionBits
        let half = 1 << (bits - 1)
        @inline(__always) func clip8(_ value: Int) -> UInt16 { UInt16(min(max(value >> bits, 0), 255)) }
        let needHorizontal = image.width != h.first.count
        var tmp = [UInt16](repeating: 0, count: tmpRows * cropWidth)
        image.samples.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for r in 0..<tmpRows {
                    let row = src.baseAddress! + (rowStart + r) * image.width
                    for c in 0..<cropWidth {
                        let xx = left + c
                        if !needHorizontal { dst[r * cropWidth + c] = row[xx]; continue }
                        var sum = half
                        let base = xx * h.taps
                        let from = h.first[xx]
                        for x in 0..<h.count[xx] { sum += Int(row[from + x]) * h.fixed[base + x] }
                        dst[r * cropWidth + c] = clip8(sum)
                    }
                }
            }
        }
        if image.height == v.first.count {
            let offset = top - rowStart
            return GrayImage(
                width: cropWidth, height: cropHeight, bitDepth: 8,
                samples: Array(tmp[(offset * cropWidth)..<((offset + cropHeight) * cropWidth)]))
        }
        var out = [UInt16](repeating: 0, count: cropWidth * cropHeight)
        for r in 0..<cropHeight {
            let yy = top + r
            let base = yy * v.taps
            let from = v.first[yy] - rowStart
            for c in 0..<cropWidth {
                var sum = half
                for y in 0..<v.count[yy] { sum += Int(tmp[(from + y) * cropWidth + c]) * v.fixed[base + y] }
                out[r * cropWidth + c] = clip8(sum)
            }
        }
        return GrayImage(width: cropWidth, height: cropHeight, bitDepth: 8, samples: out)
    }

    /// 16-bit path: the same weights in floating point with no intermediate rounding, so the extra
    /// precision of a 16-bit scan survives.
    private static func resampleWide(
        _ image: GrayImage, _ h: ResampleWeights, _ v: ResampleWeights, _ rowStart: Int, _ tmpRows: Int,
        _ left: Int, _ top: Int, _ cropWidth: Int, _ cropHeight: Int
    ) -> GrayImage {
        var tmp = [Double](repeating: 0, count: tmpRows * cropWidth)
        for r in 0..<tmpRows {
            let rowBase = (rowStart + r) * image.width
            for c in 0..<cropWidth {
                let xx = left + c
                var sum = 0.0
                for x in 0..<h.count[xx] {
                    sum += Double(image.samples[rowBase + h.first[xx] + x]) * h.weights[xx * h.taps + x]
                }
                tmp[r * cropWidth + c] = sum
            }
        }
        let maxValue = Double(image.maxValue)
        var out = [UInt16](repeating: 0, count: cropWidth * cropHeight)
        for r in 0..<cropHeight {
            let yy = top + r
            let from = v.first[yy] - rowStart
            for c in 0..<cropWidth {
                var sum = 0.0
                for y in 0..<v.count[yy] { sum += tmp[(from + y) * cropWidth + c] * v.weights[yy * v.taps + y] }
                out[r * cropWidth + c] = UInt16(min(max(sum.rounded(), 0), maxValue))
            }
        }
        return GrayImage(width: cropWidth, height: cropHeight, bitDepth: image.bitDepth, samples: out)
    }
}
