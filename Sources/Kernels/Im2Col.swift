// im2col / col2im for channels-last images (dimension letters: N batch, H, W, C; K kernel, S stride,
// P padding; OH, OW output positions). Column order is (kh, kw, c), so each kernel tap copies C
// contiguous channels. col2im is the exact adjoint (it accumulates), used by conv backward and by
// the transposed convolution's forward.

/// Geometry of one sliding-window operation over an NHWC image.
public struct WindowGeometry: Sendable, Equatable {
    public var n, h, w: Int
    /// Channels per pixel in the image, and the slice [c0, c0 + cg) the columns take.
    public var c, c0, cg: Int
    public var kh, kw, stride, padding: Int
    public var oh, ow: Int

    public init(n: Int, h: Int, w: Int, c: Int, c0: Int = 0, cg: Int? = nil, kh: Int, kw: Int, stride: Int, padding: Int, oh: Int, ow: Int) {
        self.n = n; self.h = h; self.w = w; self.c = c; self.c0 = c0; self.cg = cg ?? c
        self.kh = kh; self.kw = kw; self.stride = stride; self.padding = padding; self.oh = oh; self.ow = ow
    }

    /// Output size of a convolution: ⌊(in + 2P − K) / S⌋ + 1.
    public static func convOutput(_ size: Int, kernel: Int, stride: Int, padding: Int) -> Int {
        (size + 2 * padding - kernel) / stride + 1
    }

    /// Columns per row: K_h · K_w · C_g.
    public var columnCount: Int { kh * kw * cg }
    /// Rows: N · OH · OW.
    public var rowCount: Int { n * oh * ow }
}

public enum Im2Col {
    /// cols[((n − first)·OH + oh)·OW + ow][(i·KW + j)·Cg + c] = x[n, oh·S − P + i, ow·S − P + j, c0 + c], or 0
    /// outside, for the images in `images` (serial: callers parallelize over tiles of images).
    public static func im2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, images: Range<Int>, into cols: UnsafeMutablePointer<Float>) {
        if g.c == 1 { return im2colSingleChannel(x, g, images: images, into: cols) }
        im2colAnyChannels(x, g, images: images, into: cols)
    }

    /// The general form: one run of Cg channels per tap.
    static func im2colAnyChannels(_ x: UnsafePointer<Float>, _ g: WindowGeometry, images: Range<Int>, into cols: UnsafeMutablePointer<Float>) {
        let k = g.columnCount
        for n in images {
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    var dst = cols + (((n - images.lowerBound) * g.oh + oy) * g.ow + ox) * k
                    for i in 0..<g.kh {
                        let iy = oy * g.stride - g.padding + i
                        for j in 0..<g.kw {
                            let ix = ox * g.stride - g.padding + j
                            // Short runs (one channel for a grayscale image) are copied inline: a memmove
                            // call per tap cost more than the copy.
                            if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
                                let src = x + ((n * g.h + iy) * g.w + ix) * g.c + g.c0
                                if g.cg < 16 {
                                    for c in 0..<g.cg { dst[c] = src[c] }
                                } else {
                                    dst.update(from: src, count: g.cg)
                                }
                            } else if g.cg < 16 {
                                for c in 0..<g.cg { dst[c] = 0 }
                            } else {
                                dst.update(repeating: 0, count: g.cg)
                            }
                            dst += g.cg
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col` for the images in `images`: x[…] += cols[…] (x is not cleared).
    public static func col2im(_ cols: UnsafePointer<Float>, _ g: WindowGeometry, images: Range<Int>, accumulatingInto x: UnsafeMutablePointer<Float>)
    {
        if g.c == 1 { return col2imSingleChannel(cols, g, images: images, accumulatingInto: x) }
        col2imAnyChannels(cols, g, images: images, accumulatingInto: x)
    }

    /// The general form: one run of Cg channels per tap.
    static func col2imAnyChannels(
        _ cols: UnsafePointer<Float>, _ g: WindowGeometry, images: Range<Int>, accumulatingInto x: UnsafeMutablePointer<Float>
    ) {
        let k = g.columnCount
        for n in images {
            for oy in 0..<g.oh {
                for ox in 0..<g.ow {
                    var src = cols + (((n - images.lowerBound) * g.oh + oy) * g.ow + ox) * k
                    for i in 0..<g.kh {
                        let iy = oy * g.stride - g.padding + i
                        for j in 0..<g.kw {
                            let ix = ox * g.stride - g.padding + j
                            if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
                                let dst = x + ((n * g.h + iy) * g.w + ix) * g.c + g.c0
                                for c in 0..<g.cg { dst[c] += src[c] }
                            }
                            src += g.cg
                        }
                    }
                }
            }
        }
    }

    // One channel (grayscale images: the discriminator's first convolution, the generator's output layer and
    // the gradients through them). The general form spends a bounds check, an address computation and a
    // one-trip channel loop on every single float; here a window that lies wholly inside the image is copied
    // (or added) as KH rows of KW floats without checks. Same values, same order of additions as the general
    // form, so the results are bit-identical (Im2ColTests).

    /// Output positions o in 0..<count whose window [o·S − P, o·S − P + K) lies inside [0, size).
    static func inside(count: Int, size: Int, kernel: Int, stride: Int, padding: Int) -> Range<Int> {
        let first = (padding + stride - 1) / stride
        let last = size + padding - kernel < 0 ? -1 : (size + padding - kernel) / stride
        return first <= min(last, count - 1) ? first..<(min(last, count - 1) + 1) : 0..<0
    }

    static func im2colSingleChannel(_ x: UnsafePointer<Float>, _ g: WindowGeometry, images: Range<Int>, into cols: UnsafeMutablePointer<Float>) {
        let rows = inside(count: g.oh, size: g.h, kernel: g.kh, stride: g.stride, padding: g.padding)
        let columns = inside(count: g.ow, size: g.w, kernel: g.kw, stride: g.stride, padding: g.padding)
        var dst = cols
        for n in images {
            let image = x + n * g.h * g.w
            for oy in 0..<g.oh {
                let y0 = oy * g.stride - g.padding
                for ox in 0..<g.ow {
                    let x0 = ox * g.stride - g.padding
                    if rows.contains(oy) && columns.contains(ox) {
                        var src = image + y0 * g.w + x0
                        for _ in 0..<g.kh {
                            for j in 0..<g.kw { dst[j] = src[j] }
                            dst += g.kw
                            src += g.w
                        }
                    } else {
                        for i in 0..<g.kh {
                            let iy = y0 + i
                            for j in 0..<g.kw {
                                let ix = x0 + j
                                dst[j] = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w ? image[iy * g.w + ix] : 0
                            }
                            dst += g.kw
                        }
                    }
                }
            }
        }
    }

    static func col2imSingleChannel(
        _ cols: UnsafePointer<Float>, _ g: WindowGeometry, images: Range<Int>, accumulatingInto x: UnsafeMutablePointer<Float>
    ) {
        let rows = inside(count: g.oh, size: g.h, kernel: g.kh, stride: g.stride, padding: g.padding)
        let columns = inside(count: g.ow, size: g.w, kernel: g.kw, stride: g.stride, padding: g.padding)
        var src = cols
        for n in images {
            let image = x + n * g.h * g.w
            for oy in 0..<g.oh {
                let y0 = oy * g.stride - g.padding
                for ox in 0..<g.ow {
                    let x0 = ox * g.stride - g.padding
                    if rows.contains(oy) && columns.contains(ox) {
                        var dst = image + y0 * g.w + x0
                        for _ in 0..<g.kh {
                            for j in 0..<g.kw { dst[j] += src[j] }
                            src += g.kw
                            dst += g.w
                        }
                    } else {
                        for i in 0..<g.kh {
                            let iy = y0 + i
                            for j in 0..<g.kw {
                                let ix = x0 + j
                                if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w { image[iy * g.w + ix] += src[j] }
                            }
                            src += g.kw
                        }
                    }
                }
            }
        }
    }

    /// `im2col` over the whole batch, parallel over images.
    public static func im2col(_ x: UnsafePointer<Float>, _ g: WindowGeometry, into cols: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(g.n) { images in
            im2col(x, g, images: images, into: cols + images.lowerBound * g.oh * g.ow * g.columnCount)
        }
    }

    /// `col2im` over the whole batch, parallel over images.
    public static func col2im(_ cols: UnsafePointer<Float>, _ g: WindowGeometry, accumulatingInto x: UnsafeMutablePointer<Float>) {
        Parallel.forEachChunk(g.n) { images in
            col2im(cols + images.lowerBound * g.oh * g.ow * g.columnCount, g, images: images, accumulatingInto: x)
        }
    }
}
