// Every way a file can be unusable is refused with a typed reason naming the file; none crashes.
import CohortTestSupport
import Foundation
import Testing

@testable import ImageIO

@Suite struct RejectionTests {
    let decoder = ImageDecoder()

    func reason(_ path: String, decoder: ImageDecoder = ImageDecoder()) -> ImageDecodeError? {
        do {
            _ = try decoder.decode(path: path)
            return nil
        } catch {
            return error
        }
    }

    func validPNG() -> [UInt8] {
        PNGFixture.make(width: 64, height: 64, bitDepth: 8, colorType: 0) { x, y in [UInt16((x ^ y) & 255)] }
    }

    func validJPEG() throws -> [UInt8] {
        let pixels = (0..<(64 * 64 * 3)).map { UInt8(($0 * 7) % 256) }
        return try JPEGEncoder.encode(pixels: pixels, width: 64, height: 64, input: .rgb)
    }

    @Test func zeroByteFile() throws {
        let dir = try TemporaryDirectory()
        let error = reason(try dir.write("empty.png", []))
        #expect(error?.reason == .empty)
        #expect(error?.description.contains("empty.png") == true)
    }

    @Test func truncatedPNG() throws {
        let dir = try TemporaryDirectory()
        let png = validPNG()
        for cut in [5, 20, png.count / 2, png.count - 13] {
            let error = reason(try dir.write("cut-\(cut).png", Array(png.prefix(cut))))
            #expect(error?.code == "truncated", "cut at \(cut): \(String(describing: error))")
        }
    }

    @Test func truncatedJPEG() throws {
        let dir = try TemporaryDirectory()
        let jpeg = try validJPEG()
        for cut in [3, 40, jpeg.count / 2, jpeg.count - 2] {
            let error = reason(try dir.write("cut-\(cut).jpg", Array(jpeg.prefix(cut))))
            #expect(error?.code == "truncated", "cut at \(cut): \(String(describing: error))")
        }
    }

    @Test func randomBytesNamedPNG() throws {
        let dir = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes[0] = 0x00  // never a valid signature by chance
        let error = reason(try dir.write("noise.png", bytes))
        #expect(error?.code == "not_an_image")
    }

    @Test func textFile() throws {
        let dir = try TemporaryDirectory()
        let error = reason(try dir.write("notes.jpg", Array("patient list\nnot a scan\n".utf8)))
        #expect(error?.reason == .notAnImage("text file"))
    }

    @Test func decompressionBombIsRefusedFromItsHeader() throws {
        let dir = try TemporaryDirectory()
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += PNGFixture.chunk("IHDR", PNGFixture.be32(100_000) + PNGFixture.be32(100_000) + [8, 0, 0, 0, 0])
        png += PNGFixture.chunk("IDAT", [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1])
        png += PNGFixture.chunk("IEND", [])
        #expect(png.count < 100)
        let error = reason(try dir.write("bomb.png", png))
        #expect(error?.reason == .tooLarge(width: 100_000, height: 100_000, limit: DecodeLimits.default.maxPixels))
    }

    @Test func zeroDimensions() throws {
        let dir = try TemporaryDirectory()
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += PNGFixture.chunk("IHDR", PNGFixture.be32(0) + PNGFixture.be32(10) + [8, 0, 0, 0, 0])
        png += PNGFixture.chunk("IEND", [])
        #expect(reason(try dir.write("flat.png", png))?.reason == .zeroDimensions)
    }

    @Test func badCRC() throws {
        let dir = try TemporaryDirectory()
        var png = validPNG()
        // Damage the IDAT chunk's CRC (the 4 bytes before the 12-byte IEND chunk); the data is intact.
        png[png.count - 12 - 1] ^= 0x5A
        let error = reason(try dir.write("crc.png", png))
        #expect(error?.code == "corrupt", "\(String(describing: error))")
        #expect(error?.message.contains("CRC") == true, "\(String(describing: error))")
    }

    @Test func limitsAreConfigurable() throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("ok.png", validPNG())
        #expect(reason(path) == nil)
        let small = ImageDecoder(limits: DecodeLimits(maxPixels: 1000))
        #expect(reason(path, decoder: small)?.code == "too_large")
        let tiny = ImageDecoder(limits: DecodeLimits(maxFileBytes: 100))
        #expect(reason(path, decoder: tiny)?.code == "file_too_large")
    }

    @Test func unreadablePaths() throws {
        let dir = try TemporaryDirectory()
        #expect(reason(dir.path)?.code == "unreadable")
        #expect(reason(dir.file("missing.png"))?.code == "unreadable")
    }

    @Test func inspectionReportsHeaderFactsOfRefusedFiles() throws {
        let dir = try TemporaryDirectory()
        let cmyk = try JPEGEncoder.encode(pixels: [UInt8](repeating: 9, count: 16 * 8 * 4), width: 16, height: 8, input: .cmyk)
        let report = ImageInspection.inspect(try dir.write("cmyk.jpg", cmyk))
        #expect(!report.ok && report.code == "unsupported")
        #expect(report.width == 16 && report.height == 8 && report.format == "jpeg")
    }
}
