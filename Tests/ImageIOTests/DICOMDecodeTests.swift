// DICOM decoding: every transfer syntax and display-chain variant equals pydicom's apply_modality_lut /
// apply_voi_lut values after the documented 16-bit normalisation (±1 level of 65535 for rounding
// ties; lossy JPEG within its stated tolerance of the uncompressed source); every damaged copy and
// every object Cohort must not train on is refused with its typed reason; no identity leaks into
// what decoding returns.
import CohortTestSupport
import Foundation
import Testing

@testable import ImageIO

@Suite struct DICOMDecodeTests {
    static let salt = Array("installation-salt-for-tests".utf8)

    @Test(.enabled(if: DICOMFixtures.unavailableReason == nil, "\(DICOMFixtures.unavailableReason ?? "")"))
    func everyFixtureDecodesOrIsRefusedAsExpected() throws {
        let set = try DICOMFixtures.fixtures()
        let decoder = ImageDecoder(dicomSalt: Self.salt)
        #expect(set.fixtures.count >= 30)
        for fixture in set.fixtures {
            let path = set.path(fixture.file)
            switch fixture.expect {
            case "ok":
                let decoded: DecodedImage
                do { decoded = try decoder.decode(path: path) } catch {
                    Issue.record("\(fixture.file): refused: \(error)")
                    continue
                }
                let expected = try Data(contentsOf: URL(fileURLWithPath: set.path(fixture.expected!))).withUnsafeBytes {
                    Array($0.bindMemory(to: UInt16.self)).map(UInt16.init(littleEndian:))
                }
                #expect(decoded.info.format == .dicom && decoded.image.bitDepth == 16)
                #expect(decoded.image.width == 96 && decoded.image.height == 80, "\(fixture.file): \(decoded.image.width)×\(decoded.image.height)")
                guard decoded.image.samples.count == expected.count else {
                    Issue.record("\(fixture.file): \(decoded.image.samples.count) samples, expected \(expected.count)")
                    continue
                }
                let differences = zip(decoded.image.samples, expected).map { abs(Int($0) - Int($1)) }
                let worst = differences.max()!, mean = Double(differences.reduce(0, +)) / Double(differences.count)
                let tolerance = max(1, fixture.tolerance ?? 0)
                #expect(worst <= tolerance, "\(fixture.file): worst difference \(worst) of 65535 (tolerance \(tolerance)), mean \(mean)")
                if (fixture.tolerance ?? 0) > 1 {
                    #expect(mean <= Double(tolerance) / 4, "\(fixture.file): mean difference \(mean) for a lossy syntax")
                }
                #expect(Set(decoded.image.samples).count > 50, "\(fixture.file): a flat image")
            default:
                do {
                    _ = try decoder.decode(path: path)
                    Issue.record("\(fixture.file): decoded, expected a refusal (\(fixture.code ?? ""))")
                } catch {
                    #expect(error.code == fixture.code, "\(fixture.file): \(error.code) (\(error.message)), expected \(fixture.code ?? "")")
                    for identity in set.identities { #expect(!error.message.contains(identity), "\(fixture.file): the reason names \(identity)") }
                }
            }
        }
    }

    @Test(.enabled(if: DICOMFixtures.unavailableReason == nil, "\(DICOMFixtures.unavailableReason ?? "")"))
    func descriptionsCarryTechnicalFactsAndASaltedPatientKeyOnly() throws {
        let set = try DICOMFixtures.fixtures()
        let decoder = ImageDecoder(dicomSalt: Self.salt)
        func describe(_ file: String, _ d: ImageDecoder = ImageDecoder(dicomSalt: DICOMDecodeTests.salt)) throws -> DICOMDescription {
            try #require(try d.dicomDescription(path: set.path(file)))
        }
        // One patient in different studies (and syntaxes) shares a key; another patient does not.
        let p0 = try ["dx_u12_window.dcm", "dx_u12_implicit_nowindow", "dx_lateral.dcm", "dx_jpegls.dcm"].map { try describe($0).groupKey }
        let p1 = try ["cr_mono1.dcm", "dx_u8.dcm"].map { try describe($0).groupKey }
        #expect(Set(p0).count == 1 && p0[0] != nil && Set(p1).count == 1 && p0[0] != p1[0], "\(p0) \(p1)")
        #expect(try describe("dx_u12_window.dcm", ImageDecoder(dicomSalt: Array("another".utf8))).groupKey != p0[0])
        #expect(try describe("dx_u12_window.dcm", ImageDecoder()).groupKey == nil)
        #expect(throws: ImageDecodeError.self) { try ImageDecoder().dicomDescription(path: set.path("report_sr.dcm")) }
        #expect(try ImageDecoder().dicomDescription(path: set.path("dx_u12_window.dcm") + ".expected") == nil, "not DICOM: no description")

        let multi = try describe("mr_multiframe.dcm")
        #expect(multi.frames == 3 && multi.frameUsed == 1 && multi.modality == "MR")
        let mono1 = try describe("cr_mono1.dcm")
        #expect(mono1.photometric == "MONOCHROME1" && mono1.window.contains("1500") && mono1.window.contains("2500"))
        #expect(try describe("dx_u12_implicit_nowindow").window.contains("fallback"))
        #expect(try describe("dx_voi_lut.dcm").window.hasPrefix("VOI LUT Sequence"))
        #expect(try describe("dx_j2k.dcm").transferSyntaxName.hasPrefix("JPEG 2000"))
        #expect(try describe("ct_s16_rescale_window.dcm").modalityTransform.contains("-1024"))
        // Nothing identifying in anything decoding returns, as text or JSON.
        for fixture in set.fixtures where fixture.expect == "ok" {
            let description = try describe(fixture.file)
            let json = String(decoding: try JSONEncoder().encode(description), as: UTF8.self)
            let decoded = try decoder.decode(path: set.path(fixture.file))
            let text = json + "\(description)" + "\(decoded.info)" + "\(decoded.text)"
            for identity in set.identities { #expect(!text.contains(identity), "\(fixture.file) carries \(identity)") }
        }
    }

    @Test(.enabled(if: DICOMFixtures.unavailableReason == nil, "\(DICOMFixtures.unavailableReason ?? "")"))
    func gatesRefuseLateralViewsLocalizersAndDerivedSecondaryImages() throws {
        let set = try DICOMFixtures.fixtures()
        let frontalChest = DICOMGate(modalities: ["DX", "CR"], viewPositions: ["PA", "AP"], bodyParts: ["CHEST"])
        let lateral = try #require(try ImageDecoder().dicomDescription(path: set.path("dx_lateral.dcm")))
        let frontal = try #require(try ImageDecoder().dicomDescription(path: set.path("dx_frontal_pa.dcm")))
        #expect(frontalChest.refusal(lateral)?.contains("view position 'LL'") == true)
        #expect(frontalChest.refusal(frontal) == nil)
        var localizer = frontal
        localizer.imageType = ["ORIGINAL", "PRIMARY", "LOCALIZER"]
        #expect(DICOMGate().refusal(localizer)?.contains("LOCALIZER") == true)
        localizer.imageType = ["DERIVED", "SECONDARY"]
        #expect(DICOMGate().refusal(localizer) != nil)
        localizer.imageType = ["DERIVED", "PRIMARY", "POST_PROCESSED"]
        #expect(DICOMGate().refusal(localizer) == nil)
        var mr = frontal
        mr.modality = "MR"
        #expect(frontalChest.refusal(mr)?.contains("modality 'MR'") == true)
    }

    @Test(.enabled(if: DICOMFixtures.unavailableReason == nil, "\(DICOMFixtures.unavailableReason ?? "")"))
    func inspectShowsTechnicalFactsTheGateAndARedactedPath() throws {
        let set = try DICOMFixtures.fixtures()
        let gate = DICOMGate(viewPositions: ["PA", "AP"])
        let lateral = ImageInspection.inspect(set.path("dx_lateral.dcm"), gate: gate)
        #expect(lateral.ok && lateral.path.hasPrefix("dicom:") && lateral.path == DICOMPathRedaction.redacted(set.path("dx_lateral.dcm")))
        #expect(lateral.gate?.contains("view position 'LL'") == true && lateral.dicom?.groupKey == nil)
        let burned = ImageInspection.inspect(set.path("dx_burned_in.dcm"), gate: gate)
        #expect(!burned.ok && burned.code == "possible_patient_data" && burned.dicom?.photometric == "MONOCHROME2")
        #expect(ImageInspection.inspect(set.path("dx_j2k.dcm"), showDICOMPaths: true).path == set.path("dx_j2k.dcm"))
        let json = String(decoding: try JSONEncoder().encode([lateral, burned]), as: UTF8.self)
        #expect(json.contains("\"transfer_syntax_name\""))
        for identity in set.identities { #expect(!json.contains(identity)) }
    }

    /// Damage anywhere — flipped bytes in the meta group, the data set or the codestream, cuts at any
    /// point — ends as an image or a typed refusal, never as a crash (GDCM asserts are kept away from
    /// by DICOMFileMeta; an abort here kills the test process).
    @Test(.enabled(if: DICOMFixtures.unavailableReason == nil, "\(DICOMFixtures.unavailableReason ?? "")"))
    func damagedCopiesNeverCrash() throws {
        let set = try DICOMFixtures.fixtures()
        let decoder = ImageDecoder(dicomSalt: Self.salt)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var outcomes: [String: Int] = [:]
        for source in [
            "dx_u12_window.dcm", "dx_u12_implicit_nowindow", "dx_jpegls.dcm", "dx_j2k.dcm", "dx_rle.dcm", "dx_jpeg_lossless_sv1.dcm",
            "dx_deflate.dcm", "dx_voi_lut.dcm"
        ] {
            let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: set.path(source))))
            for trial in 0..<40 {
                var bytes = original
                switch trial % 4 {
                case 0: for _ in 0..<4 { bytes[132 + next(min(400, bytes.count - 132))] ^= UInt8(1 + next(255)) }  // header
                case 1: for _ in 0..<8 { bytes[132 + next(bytes.count - 132)] ^= UInt8(1 + next(255)) }  // anywhere
                case 2: bytes.removeLast(1 + next(bytes.count - 133))  // a cut
                default: for _ in 0..<16 { bytes[bytes.count - 1 - next(bytes.count / 2)] = UInt8(next(256)) }  // the pixel data
                }
                do {
                    _ = try decoder.decode(bytes: bytes, file: "\(source)#\(trial)")
                    outcomes["decoded", default: 0] += 1
                } catch {
                    outcomes[error.code, default: 0] += 1
                }
            }
        }
        print("damaged DICOM copies: \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes.values.reduce(0, +) == 320)
    }

    @Test func storedValuesHonourBitsStoredHighBitAndSign() {
        // 12 bits stored ending at bit 11, overlay garbage in bits 12–15.
        let unsigned = DICOMDisplayChain(bitsAllocated: 16, bitsStored: 12, highBit: 11, signed: false)
        #expect(unsigned.storedValue(0xF123) == 0x123)
        let signed = DICOMDisplayChain(bitsAllocated: 16, bitsStored: 12, highBit: 11, signed: true)
        #expect(signed.storedValue(0x0FFF) == -1 && signed.storedValue(0x0800) == -2048 && signed.storedValue(0x07FF) == 2047)
        // Stored bits not at the bottom of the word (high bit 13).
        let shifted = DICOMDisplayChain(bitsAllocated: 16, bitsStored: 12, highBit: 13, signed: false)
        #expect(shifted.storedValue(0b0011_1111_1111_1100) == 4095 && shifted.storedValue(0b11) == 0)
    }

    @Test func windowFunctionsFollowPS3_3_C_11_2() {
        // LINEAR, c = 50, w = 11: c − 0.5 = 49.5, w − 1 = 10; below 44.5 → 0, above 54.5 → 1.
        let linear = DICOMDisplayChain(
            bitsAllocated: 16, bitsStored: 16, highBit: 15, signed: false, voi: .window(center: 50, width: 11, function: .linear))
        #expect(linear.render(words: [44, 45, 50, 54, 55]) == [0, 3277, 36044, 62258, 65535])
        // LINEAR_EXACT: (x − c) / w + 0.5 on (c − w/2, c + w/2].
        let exact = DICOMDisplayChain(
            bitsAllocated: 16, bitsStored: 16, highBit: 15, signed: false, voi: .window(center: 50, width: 10, function: .linearExact))
        #expect(exact.render(words: [45, 50, 53]) == [0, 32768, 52428])
        // SIGMOID at the centre is one half; MONOCHROME1 inverts after the window.
        var sigmoid = DICOMDisplayChain(
            bitsAllocated: 16, bitsStored: 16, highBit: 15, signed: false, voi: .window(center: 100, width: 40, function: .sigmoid))
        #expect(sigmoid.render(words: [100]) == [32768])
        sigmoid.inverted = true
        #expect(sigmoid.render(words: [100, 0]) == [32768, 65532])
    }

    @Test func lookupTablesClampAndPaddingStaysBlack() {
        let table = DICOMLookupTable(firstMapped: -2, bits: 8, data: [10, 20, 30])
        #expect([-5, -2, -1, 0, 9].map { table.lookup(Double($0)) } == [10, 10, 20, 30, 30])
        let chain = DICOMDisplayChain(
            bitsAllocated: 16, bitsStored: 16, highBit: 15, signed: false, modality: .rescale(slope: 2, intercept: 1), voi: .minMax,
            padding: 0...0)
        // Padding (0) is black and does not widen the min–max fallback: 10 → 21 and 20 → 41 span it.
        #expect(chain.render(words: [0, 10, 15, 20]) == [0, 0, 32768, 65535])
    }
}
