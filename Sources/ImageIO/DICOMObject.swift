// One DICOM object as cohort-dicom-helper (GDCM, out of process) reported it: the image description,
// the header elements Cohort reads (a fixed list — nothing else ever leaves the helper), the Modality
// and VOI LUTs and, when asked for, the decompressed stored values. Nothing here interprets values;
// DICOMDecoder reads the technical ones and DICOMDisplayChain renders.

/// A DICOM data element tag (group, element), PS3.5 §7.1.
public struct DICOMTag: Sendable, Hashable, CustomStringConvertible {
    public var group: UInt16
    public var element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public var description: String { "(\(Self.hex(group)),\(Self.hex(element)))" }

    static func hex(_ v: UInt16) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}

/// The image description GDCM gives (its header fix-ups applied).
struct DICOMImageLayout {
    var columns = 0, rows = 0, frames = 1
    var samplesPerPixel = 1, bitsAllocated = 0, bitsStored = 0, highBit = 0
    var pixelRepresentation = 0, planarConfiguration = 0
    var bufferLength = 0
    var transferSyntax = "", photometric = ""
}

/// A LUT as stored: the descriptor's three raw values, whether its VR is SS (nil: implicit), the data.
struct DICOMRawLUT {
    var descriptor: [UInt16]
    var signedVR: Bool?
    var data: [UInt16]
}

struct DICOMObject {
    /// Every header element Cohort ever reads. PatientID and StudyInstanceUID are read only to be
    /// hashed into the group key (DICOMDecoder); no other identifying element is asked for.
    static let tagsRead: [DICOMTag] = [
        DICOMTag(0x0002, 0x0002), DICOMTag(0x0008, 0x0008), DICOMTag(0x0008, 0x0016), DICOMTag(0x0008, 0x0060),
        DICOMTag(0x0010, 0x0020), DICOMTag(0x0018, 0x0015), DICOMTag(0x0018, 0x5101), DICOMTag(0x0020, 0x000D),
        DICOMTag(0x0028, 0x0004), DICOMTag(0x0028, 0x0120), DICOMTag(0x0028, 0x0121), DICOMTag(0x0028, 0x0301),
        DICOMTag(0x0028, 0x1050), DICOMTag(0x0028, 0x1051), DICOMTag(0x0028, 0x1052), DICOMTag(0x0028, 0x1053),
        DICOMTag(0x0028, 0x1056), DICOMTag(0x2050, 0x0020)
    ]

    /// Seconds a helper may take for one file before it is killed.
    static let timeout = 60.0

    let file: String
    let layout: DICOMImageLayout
    private let strings: [DICOMTag: String]
    private let luts: [UInt16: DICOMRawLUT]
    /// Every frame's stored values (layout.bufferLength bytes, host order), when asked for.
    /// (A slice of the helper's answer, 8-byte aligned: read in place, not copied.)
    let pixels: ArraySlice<UInt8>?

    /// Parses `bytes` in the helper; with `pixelLimit`, also decompresses pixels up to that many bytes.
    /// Refuses damaged data and objects without an image with typed reasons.
    init(_ bytes: UnsafeRawBufferPointer, file: String, pixelLimit: Int?) throws(ImageDecodeError) {
        self.file = file
        try DICOMFileMeta.validate(bytes, file: file)
        let mode = pixelLimit.map { "pixels=\($0)" } ?? "header"
        let arguments = [mode] + Self.tagsRead.map { DICOMTag.hex($0.group) + DICOMTag.hex($0.element) }
        let answer: [UInt8]
        switch try DICOMHelperProcess.run(arguments, input: bytes, timeout: Self.timeout, file: file) {
        case .died(let signal):
            throw ImageDecodeError(
                file: file, reason: .corrupt("DICOM: the decoder (GDCM) failed on this file" + (signal.map { " (signal \($0))" } ?? "")))
        case .timedOut:
            throw ImageDecodeError(file: file, reason: .corrupt("DICOM: the decoder (GDCM) took longer than \(Int(Self.timeout)) s"))
        case .answered(let output):
            answer = output
        }
        var reader = AnswerReader(bytes: answer, file: file)
        guard try reader.bytes(4) == Array("CDH1".utf8) else { throw reader.malformed() }
        try Self.check(status: try reader.i32(), message: { () throws(ImageDecodeError) -> String in try reader.string() }, file: file)
        var layout = DICOMImageLayout()
        layout.columns = Int(try reader.u32())
        layout.rows = Int(try reader.u32())
        layout.frames = Int(try reader.u32())
        layout.samplesPerPixel = Int(try reader.u16())
        layout.bitsAllocated = Int(try reader.u16())
        layout.bitsStored = Int(try reader.u16())
        layout.highBit = Int(try reader.u16())
        layout.pixelRepresentation = Int(try reader.u16())
        layout.planarConfiguration = Int(try reader.u16())
        layout.bufferLength = Int(try reader.u64())
        layout.transferSyntax = try reader.string()
        layout.photometric = try reader.string()
        var strings: [DICOMTag: String] = [:]
        for tag in Self.tagsRead {
            let length = try reader.i32()
            if length >= 0 { strings[tag] = String(decoding: try reader.bytes(Int(length)), as: UTF8.self) }
        }
        var luts: [UInt16: DICOMRawLUT] = [:]
        for sequence: UInt16 in [0x3000, 0x3010] {
            let words = try reader.i64()
            if words == -2 { throw ImageDecodeError(file: file, reason: .corrupt("DICOM: malformed LUT in \(DICOMTag(0x0028, sequence))")) }
            guard words >= 0 else { continue }
            let descriptor = [try reader.u16(), try reader.u16(), try reader.u16()]
            let vr = try reader.i32()
            let kept = Int(try reader.u64())
            let data = try reader.bytes(2 * kept)
            luts[sequence] = DICOMRawLUT(
                descriptor: descriptor, signedVR: vr < 0 ? nil : vr == 1,
                data: stride(from: 0, to: data.count, by: 2).map { UInt16(data[$0]) | UInt16(data[$0 + 1]) << 8 })
        }
        if pixelLimit != nil {
            let status = try reader.i32()
            if status == 4 {  // COHORT_DICOM_BUFFER_TOO_SMALL: above the limit, not decompressed
                throw ImageDecodeError(file: file, reason: .unsupported("DICOM: \(try reader.string())"))
            }
            try Self.check(status: status, message: { () throws(ImageDecodeError) -> String in try reader.string() }, file: file)
            let length = Int(try reader.u64())
            guard length == layout.bufferLength else { throw reader.malformed() }
            _ = try reader.bytes(Int(try reader.u8()))  // alignment padding
            pixels = try reader.slice(length)
        } else {
            pixels = nil
        }
        self.layout = layout
        self.strings = strings
        self.luts = luts
    }

    /// CDICOM's status codes (include/cdicom.h) as refusals.
    private static func check(status: Int32, message: () throws(ImageDecodeError) -> String, file: String) throws(ImageDecodeError) {
        switch status {
        case 0: return
        case 2: throw ImageDecodeError(file: file, reason: .notAnImage("DICOM object without an image: \(try message())"))
        case 6: throw ImageDecodeError(file: file, reason: .truncated("DICOM: \(try message())"))
        default: throw ImageDecodeError(file: file, reason: .corrupt("DICOM: \(try message())"))
        }
    }

    /// The text of a top-level element (multiple values joined by "\\"), nil when absent.
    func string(_ tag: DICOMTag) -> String? {
        precondition(Self.tagsRead.contains(tag), "DICOMObject: \(tag) is not in tagsRead")
        return strings[tag]
    }

    /// The values of a multi-valued numeric element (DS, IS, US…), nil when absent or not numbers.
    func numbers(_ tag: DICOMTag) -> [Double]? {
        guard let text = string(tag), !text.isEmpty else { return nil }
        let values = text.split(separator: "\\", omittingEmptySubsequences: false).map { Double(String($0).trimmedSpaces) }
        guard values.allSatisfy({ $0 != nil && $0!.isFinite }) else { return nil }
        return values.map { $0! }
    }

    /// Item 0 of the Modality (0x3000) or VOI (0x3010) LUT Sequence, nil when absent.
    func lut(sequence: UInt16) -> DICOMRawLUT? { luts[sequence] }
}

extension String {
    /// Without leading and trailing spaces (DICOM pads values with spaces).
    var trimmedSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// Reads the helper's little-endian answer; running out of bytes is a malformed answer.
private struct AnswerReader {
    let bytes: [UInt8]
    let file: String
    var offset = 0

    func malformed() -> ImageDecodeError { ImageDecodeError(file: file, reason: .corrupt("DICOM: the decoder's answer is malformed")) }

    /// The next `n` bytes sharing the answer's storage (no copy).
    mutating func slice(_ n: Int) throws(ImageDecodeError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= bytes.count - offset else { throw malformed() }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    mutating func u8() throws(ImageDecodeError) -> UInt8 { UInt8(try unsigned(1)) }

    mutating func bytes(_ n: Int) throws(ImageDecodeError) -> [UInt8] {
        guard n >= 0, n <= bytes.count - offset else { throw malformed() }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func unsigned(_ size: Int) throws(ImageDecodeError) -> UInt64 {
        try bytes(size).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func u16() throws(ImageDecodeError) -> UInt16 { UInt16(try unsigned(2)) }
    mutating func u32() throws(ImageDecodeError) -> UInt32 { UInt32(try unsigned(4)) }
    mutating func u64() throws(ImageDecodeError) -> UInt64 { try unsigned(8) }
    mutating func i32() throws(ImageDecodeError) -> Int32 { Int32(bitPattern: try u32()) }
    mutating func i64() throws(ImageDecodeError) -> Int64 { Int64(bitPattern: try u64()) }
    mutating func string() throws(ImageDecodeError) -> String { String(decoding: try bytes(Int(try u32())), as: UTF8.self) }
}
