// Resize-shorter-side + centre crop + [-1, 1]: geometry, Pillow exactness, normalization.
import Testing

@testable import ImageIO

@Suite struct PreprocessorTests {
    static func pattern(_ x: Int, _ y: Int) -> UInt16 { UInt16((x * 31 + y * 17 + (x * y) % 23) % 256) }

    static func patternImage(width: Int, height: Int) -> GrayImage {
        var samples: [UInt16] = []
        for y in 0..<height { for x in 0..<width { samples.append(pattern(x, y)) } }
        return GrayImage(width: width, height: height, bitDepth: 8, samples: samples)
    }

    static func hexBytes(_ hex: String) -> [UInt16] {
        var out: [UInt16] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt16(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test func fixtureFormatIsCurrent() {
        #expect(PillowResizeFixture.formatVersion == 1, "regenerate with Tests/Fixtures/make_image_fixtures.py")
    }

    @Test(arguments: PillowResizeFixture.cases.indices)
    func matchesPillowExactly(index: Int) {
        let (width, height, size, hex) = PillowResizeFixture.cases[index]
        let expected = Self.hexBytes(hex)
        let output = Preprocessor.resizeShorterSideAndCenterCrop(Self.patternImage(width: width, height: height), to: size)
        #expect(output.width == size && output.height == size && output.bitDepth == 8)
        let differing = zip(output.samples, expected).filter { $0 != $1 }.count
        let worst = zip(output.samples, expected).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(differing == 0, "\(width)×\(height)→\(size): \(differing) pixels differ from Pillow, worst by \(worst)")
    }

    @Test func normalizationRange() {
        let image = GrayImage(width: 3, height: 1, bitDepth: 8, samples: [0, 255, 128])
        let values = Preprocessor.normalize(image)
        #expect(values[0] == -1 && values[1] == 1)
        #expect(abs(values[2] - (256.0 / 255.0 - 1)) < 1e-6)
    }

    @Test func sixteenBitResizeStaysSixteenBit() {
        let samples = (0..<(40 * 30)).map { UInt16(20000 + $0 % 40) }
        let image = GrayImage(width: 40, height: 30, bitDepth: 16, samples: samples)
        let output = Preprocessor.resizeShorterSideAndCenterCrop(image, to: 15)
        #expect(output.bitDepth == 16)
        #expect(output.samples.allSatisfy { (19990...20050).contains($0) })
        #expect(Set(output.samples).count > 5, "16-bit detail must survive resizing")
    }

    @Test func modelInputShape() {
        let values = Preprocessor.modelInput(Self.patternImage(width: 90, height: 70), size: 32)
        #expect(values.count == 32 * 32)
        #expect(values.allSatisfy { (-1...1).contains($0) })
    }
}
