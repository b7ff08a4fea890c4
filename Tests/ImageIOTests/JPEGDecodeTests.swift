// JPEG variants: grayscale, YCbCr baseline and progressive decode; CMYK/YCCK is refused with a reason.
import Testing

@testable import ImageIO

@Suite struct JPEGDecodeTests {
    let decoder = ImageDecoder()
    let width = 40
    let height = 24

    func grayPattern() -> [UInt8] { (0..<(width * height)).map { UInt8(($0 % width) * 6) } }

    @Test func grayscaleBaseline() throws {
        let jpeg = try JPEGEncoder.encode(pixels: grayPattern(), width: width, height: height, input: .gray, quality: 95)
        let decoded = try decoder.decode(bytes: jpeg, file: "gray.jpg")
        #expect(decoded.info.format == .jpeg && decoded.info.colorType == "gray" && !decoded.info.interlaced)
        let error = zip(decoded.image.samples, grayPattern()).map { abs(Int($0) - Int($1)) }.max()!
        #expect(error <= 8, "max error \(error) against the encoded pattern")
    }

    @Test(arguments: [false, true])
    func colorBaselineAndProgressive(progressive: Bool) throws {
        // Gray pixels stored as RGB: luma must come back close to the original level.
        let rgb = grayPattern().flatMap { [$0, $0, $0] }
        let jpeg = try JPEGEncoder.encode(pixels: rgb, width: width, height: height, input: .rgb, quality: 95, progressive: progressive)
        let decoded = try decoder.decode(bytes: jpeg, file: "color.jpg")
        #expect(decoded.info.colorType == "ycbcr")
        #expect(decoded.info.interlaced == progressive)
        let error = zip(decoded.image.samples, grayPattern()).map { abs(Int($0) - Int($1)) }.max()!
        #expect(error <= 8, "max error \(error)")
    }

    @Test func cmykIsRefusedWithReason() throws {
        let cmyk = [UInt8](repeating: 100, count: width * height * 4)
        let jpeg = try JPEGEncoder.encode(pixels: cmyk, width: width, height: height, input: .cmyk)
        #expect(throws: ImageDecodeError.self) { try decoder.decode(bytes: jpeg, file: "print.jpg") }
        do {
            _ = try decoder.decode(bytes: jpeg, file: "print.jpg")
        } catch {
            #expect(error.code == "unsupported")
            #expect(error.message.contains("CMYK") || error.message.contains("YCCK"))
            #expect(error.description.hasPrefix("print.jpg: "))
        }
    }
}
