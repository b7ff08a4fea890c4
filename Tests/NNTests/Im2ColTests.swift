// The single-channel im2col / col2im (grayscale images: the discriminator's first convolution, the generator's
// output layer) against the general form they replace for C = 1: the same columns and the same sums, bit for
// bit, over kernels, strides, paddings and image sizes where windows leave the image on every side.
import Testing

@testable import Kernels

@Suite struct Im2ColTests {
    static func geometries() -> [WindowGeometry] {
        var all: [WindowGeometry] = []
        for (h, w) in [(1, 1), (5, 7), (8, 8), (9, 6), (16, 16)] {
            for kernel in 1...4 {
                for stride in 1...3 {
                    for padding in 0..<kernel {
                        let oh = WindowGeometry.convOutput(h, kernel: kernel, stride: stride, padding: padding)
                        let ow = WindowGeometry.convOutput(w, kernel: kernel, stride: stride, padding: padding)
                        guard oh > 0 && ow > 0 else { continue }
                        all.append(
                            WindowGeometry(n: 3, h: h, w: w, c: 1, kh: kernel, kw: kernel, stride: stride, padding: padding, oh: oh, ow: ow))
                    }
                }
            }
        }
        return all
    }

    @Test func singleChannelMatchesTheGeneralForm() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2001 - 1000) / 997
        }
        let geometries = Self.geometries()
        #expect(geometries.count > 100)
        for g in geometries {
            let images = 1..<3  // a tile that does not start at the first image
            let x = (0..<(g.n * g.h * g.w)).map { _ in random() }
            let columns = images.count * g.oh * g.ow * g.columnCount
            var fast = [Float](repeating: .nan, count: columns), general = [Float](repeating: .nan, count: columns)
            Im2Col.im2colSingleChannel(x, g, images: images, into: &fast)
            Im2Col.im2colAnyChannels(x, g, images: images, into: &general)
            #expect(fast == general, "im2col \(g)")

            let cols = (0..<columns).map { _ in random() }
            var sumFast = x, sumGeneral = x
            Im2Col.col2imSingleChannel(cols, g, images: images, accumulatingInto: &sumFast)
            Im2Col.col2imAnyChannels(cols, g, images: images, accumulatingInto: &sumGeneral)
            #expect(sumFast == sumGeneral, "col2im \(g)")
        }
    }

    @Test func insideRangeKeepsWindowsWithinTheImage() {
        for size in 1...12 {
            for kernel in 1...4 {
                for stride in 1...3 {
                    for padding in 0..<kernel {
                        let count = WindowGeometry.convOutput(size, kernel: kernel, stride: stride, padding: padding)
                        guard count > 0 else { continue }
                        let inside = Im2Col.inside(count: count, size: size, kernel: kernel, stride: stride, padding: padding)
                        for o in 0..<count {
                            let start = o * stride - padding
                            #expect(
                                inside.contains(o) == (start >= 0 && start + kernel <= size),
                                "size \(size) k \(kernel) s \(stride) p \(padding) o \(o)")
                        }
                    }
                }
            }
        }
    }
}
