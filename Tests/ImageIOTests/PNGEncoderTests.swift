// Round trips of the PNG encoder, including the provenance metadata synthetic samples carry.
import AtomicFile
import CohortTestSupport
import Foundation
import Testing

@testable import ImageIO

@Suite struct PNGEncoderTests {
    @Test func eightBitRoundTripWithMetadata() throws {
        let image = GrayImage(width: 7, height: 5, bitDepth: 8, samples: (0..<35).map { UInt16($0 * 7) })
        let text = [
            (key: "synthetic", value: "true"), (key: "class", value: "viral"), (key: "seed", value: "42"),
            (key: "note", value: "Lésion — ü")
        ]
        let bytes = try PNGEncoder.encode(image, text: text)
        let decoded = try ImageDecoder().decode(bytes: bytes, file: "roundtrip.png")
        #expect(decoded.image == image)
        #expect(decoded.text.map(\.key) == text.map(\.key))
        #expect(decoded.text.map(\.value) == text.map(\.value))
    }

    @Test func sixteenBitRoundTrip() throws {
        let image = GrayImage(width: 3, height: 2, bitDepth: 16, samples: [0, 1, 1000, 40000, 65534, 65535])
        let decoded = try ImageDecoder().decode(bytes: try PNGEncoder.encode(image), file: "wide.png")
        #expect(decoded.image == image)
    }

    @Test func invalidKeyIsRefused() {
        let image = GrayImage(width: 1, height: 1, bitDepth: 8, samples: [0])
        #expect(throws: ImageEncodeError.self) { try PNGEncoder.encode(image, text: [(key: "", value: "x")]) }
        #expect(throws: ImageEncodeError.self) {
            try PNGEncoder.encode(image, text: [(key: String(repeating: "k", count: 80), value: "x")])
        }
    }

    @Test func atomicWriteReplacesAndLeavesNoTemporaryFiles() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("sample.png")
        let first = GrayImage(width: 2, height: 2, bitDepth: 8, samples: [1, 2, 3, 4])
        let second = GrayImage(width: 2, height: 2, bitDepth: 8, samples: [9, 8, 7, 6])
        try PNGEncoder.write(first, text: [(key: "synthetic", value: "true")], to: path)
        try PNGEncoder.write(second, to: path)
        #expect(try ImageDecoder().decode(path: path).image == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["sample.png"])
    }

    @Test func atomicWriteIntoMissingDirectoryFailsWithContext() throws {
        let dir = try TemporaryDirectory()
        do {
            try AtomicFile.write([1, 2, 3], to: dir.file("nope/file.bin"))
            Issue.record("write into a missing directory succeeded")
        } catch let error as AtomicFile.WriteError {
            #expect(error.description.contains("nope/file.bin"))
        }
    }
}
