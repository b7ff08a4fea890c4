// Every PNG variant a PACS export or a public download may hold decodes to the expected gray values.
import CohortTestSupport
import Testing

@testable import ImageIO

@Suite struct PNGDecodeTests {
    let decoder = ImageDecoder()

    func decode(_ bytes: [UInt8]) throws -> DecodedImage { try decoder.decode(bytes: bytes, file: "fixture.png") }

    @Test(arguments: [1, 2, 4, 8])
    func lowBitGrayScalesToEightBits(depth: Int) throws {
        let levels = (1 << depth) - 1
        let png = PNGFixture.make(width: 11, height: 3, bitDepth: depth, colorType: 0) { x, y in [UInt16((x + y) % (levels + 1))] }
        let image = try decode(png).image
        #expect(image.bitDepth == 8 && image.width == 11 && image.height == 3)
        for y in 0..<3 {
            for x in 0..<11 {
                let value = (x + y) % (levels + 1)
                #expect(Int(image.samples[y * 11 + x]) == value * 255 / levels, "depth \(depth) at (\(x),\(y))")
            }
        }
    }

    @Test func sixteenBitKeepsPrecisionThroughNormalization() throws {
        let png = PNGFixture.make(width: 4, height: 1, bitDepth: 16, colorType: 0) { x, _ in [UInt16(1000 + x)] }
        let decoded = try decode(png)
        #expect(decoded.image.bitDepth == 16)
        #expect(decoded.image.samples == [1000, 1001, 1002, 1003])
        let normalized = Preprocessor.normalize(decoded.image)
        #expect(Set(normalized).count == 4, "adjacent 16-bit levels must stay distinct")
        #expect(abs(normalized[1] - (Float(1001) / 65535 * 2 - 1)) < 1e-6)
    }

    @Test func rgbUsesPillowLumaRounding() throws {
        let colors: [[UInt16]] = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [10, 200, 77], [255, 255, 255]]
        let png = PNGFixture.make(width: 5, height: 1, bitDepth: 8, colorType: 2) { x, _ in colors[x] }
        let image = try decode(png).image
        // (19595 R + 38470 G + 7471 B + 0x8000) >> 16, as Pillow's convert('L').
        let expected: [UInt16] = colors.map { c in
            let r = Int(c[0]) * 19595
            let g = Int(c[1]) * 38470
            let b = Int(c[2]) * 7471
            return UInt16((r + g + b + 0x8000) >> 16)
        }
        #expect(image.samples == expected)
        #expect(expected == [76, 150, 29, 129, 255])
    }

    @Test func sixteenBitRGBKeepsSixteenBits() throws {
        let png = PNGFixture.make(width: 2, height: 1, bitDepth: 16, colorType: 2) { x, _ in [UInt16(40000 + x), 40000, 40000] }
        let image = try decode(png).image
        #expect(image.bitDepth == 16)
        #expect(image.samples[0] == 40000)
    }

    @Test func alphaIsIgnored() throws {
        let grayAlpha = PNGFixture.make(width: 3, height: 1, bitDepth: 8, colorType: 4) { x, _ in [UInt16(x * 100), UInt16(x * 50)] }
        #expect(try decode(grayAlpha).image.samples == [0, 100, 200])
        let rgba = PNGFixture.make(width: 2, height: 1, bitDepth: 8, colorType: 6) { x, _ in [200, 200, 200, UInt16(x * 255)] }
        #expect(try decode(rgba).image.samples == [200, 200])
    }

    @Test func paletteWithTransparency() throws {
        let palette: [(UInt8, UInt8, UInt8)] = [(0, 0, 0), (255, 255, 255), (255, 0, 0), (90, 90, 90)]
        let png = PNGFixture.make(
            width: 4, height: 2, bitDepth: 2, colorType: 3, palette: palette, transparency: [0, 128]
        ) { x, _ in [UInt16(x)] }
        let decoded = try decode(png)
        #expect(decoded.info.colorType == "palette")
        #expect(Array(decoded.image.samples.prefix(4)) == [0, 255, 76, 90])
    }

    @Test func interlacedEqualsProgressiveRowOrder() throws {
        let pattern: (Int, Int) -> [UInt16] = { x, y in [UInt16((x * 7 + y * 13) % 256)] }
        let plain = try decode(PNGFixture.make(width: 19, height: 13, bitDepth: 8, colorType: 0, pixel: pattern))
        let adam7 = try decode(PNGFixture.make(width: 19, height: 13, bitDepth: 8, colorType: 0, interlaced: true, pixel: pattern))
        #expect(adam7.info.interlaced && !plain.info.interlaced)
        #expect(adam7.image == plain.image)
    }

    @Test func textChunksAreRead() throws {
        let png = PNGFixture.make(
            width: 1, height: 1, bitDepth: 8, colorType: 0,
            extraChunks: [("tEXt", Array("synthetic".utf8) + [0] + Array("true".utf8))]
        ) { _, _ in [0] }
        #expect(try decode(png).textValue("synthetic") == "true")
    }
}
