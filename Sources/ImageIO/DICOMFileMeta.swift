// A structural check of a Part 10 file's meta information (PS3.10 §7.1: group 0002, always explicit
// VR little endian) before GDCM sees the file. Debian's GDCM is built with assertions on, and a
// malformed meta group trips one (gdcmFileMetaInformation.cxx: "Should not happen") — an abort that
// would take the daemon down. A damaged header is refused here with a reason instead.
enum DICOMFileMeta {
    /// VRs with a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2).
    private static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]
    /// Every VR of PS3.5 §6.2.
    private static let knownVRs: Set<String> = longVRs.union([
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"
    ])

    /// Throws `.corrupt` unless the meta group is a well-formed run of elements that ends inside the
    /// file and names a transfer syntax; `raw` holds the whole file ("DICM" at 128 already checked).
    static func validate(_ raw: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError) {
        func refuse(_ why: String) -> ImageDecodeError { ImageDecodeError(file: file, reason: .corrupt("DICOM file meta information: \(why)")) }
        func u16(_ at: Int) -> Int { Int(raw[at]) | Int(raw[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        var offset = 132
        var sawSyntax = false
        var elements = 0
        while offset + 8 <= raw.count, u16(offset) == 0x0002 {
            let element = u16(offset + 2)
            let vr = String(decoding: [raw[offset + 4], raw[offset + 5]], as: UTF8.self)
            guard knownVRs.contains(vr) else { throw refuse("element (0002,\(String(element, radix: 16))) has no valid VR") }
            let length: Int
            if longVRs.contains(vr) {
                guard offset + 12 <= raw.count else { throw refuse("ends inside an element header") }
                length = u32(offset + 8)
                offset += 12
            } else {
                length = u16(offset + 6)
                offset += 8
            }
            // Undefined length (FFFFFFFF) has no place in group 0002.
            guard length <= raw.count - offset else { throw refuse("an element's length runs past the end of the file") }
            if element == 0x0010 { sawSyntax = length > 0 }
            offset += length
            elements += 1
        }
        guard elements > 0 else { throw refuse("no group 0002 elements after the DICM prefix") }
        guard sawSyntax else { throw refuse("no transfer syntax (0002,0010)") }
        guard offset + 8 <= raw.count else { throw refuse("no data set after the meta information") }
    }
}
