// DICOM Part 10 files (recognised by "DICM" at byte 128, never by extension) decoded by GDCM in
// cohort-dicom-helper (out of process: DICOMObject) and rendered by DICOMDisplayChain. Refused with a reason: objects without an image (DICOMDIR, SR,
// presentation states…), colour images, possible burned-in patient data (BurnedInAnnotation YES,
// ultrasound, secondary capture), damaged or truncated data. Multi-frame objects: the middle frame.
import ContentHash

enum DICOMDecoder {
    /// "DICM" at offset 128, after the preamble (PS3.10 §7.1).
    static func isDICOM(_ raw: UnsafeRawBufferPointer) -> Bool {
        raw.count >= 132 && raw[128] == 0x44 && raw[129] == 0x49 && raw[130] == 0x43 && raw[131] == 0x4D
    }

    /// SOP classes whose pixels often carry burned-in patient data (PS3.4 Annex B): ultrasound and
    /// secondary capture (screen grabs, scanned films).
    static let burnedInProneClasses: [String: String] = [
        "1.2.840.10008.5.1.4.1.1.6.1": "ultrasound image",
        "1.2.840.10008.5.1.4.1.1.6.2": "enhanced ultrasound volume",
        "1.2.840.10008.5.1.4.1.1.3.1": "ultrasound multi-frame image",
        "1.2.840.10008.5.1.4.1.1.7": "secondary capture image",
        "1.2.840.10008.5.1.4.1.1.7.1": "multi-frame single-bit secondary capture",
        "1.2.840.10008.5.1.4.1.1.7.2": "multi-frame grayscale byte secondary capture",
        "1.2.840.10008.5.1.4.1.1.7.3": "multi-frame grayscale word secondary capture",
        "1.2.840.10008.5.1.4.1.1.7.4": "multi-frame true color secondary capture"
    ]

    /// Parses the object and reads its technical attributes (no pixels): what `cohort inspect` shows.
    static func describe(_ raw: UnsafeRawBufferPointer, file: String, salt: [UInt8]?) throws(ImageDecodeError) -> (
        ImageInfo, DICOMDescription
    ) {
        let object = try DICOMObject(raw, file: file, pixelLimit: nil)
        let parsed = try Parsed(object, salt: salt)
        return (parsed.info, parsed.description)
    }

    /// Decodes the image: the refusals the header decides (burned-in data, colour, bit layout, size), then
    /// the display chain. The helper returns the pixels in the same round trip, bounded by the limits.
    static func decode(_ raw: UnsafeRawBufferPointer, file: String, limits: DecodeLimits, salt: [UInt8]?) throws(ImageDecodeError)
        -> DecodedImage
    {
        // The helper decompresses at most what the limits allow (a compressed object can declare frames
        // that decompress far beyond its size).
        let object = try DICOMObject(raw, file: file, pixelLimit: limits.maxFileBytes)
        let parsed = try Parsed(object, salt: salt)
        let d = parsed.description
        if let kind = burnedInProneClasses[d.sopClass] {
            throw ImageDecodeError(file: file, reason: .possiblePatientData("\(kind) (SOP class \(d.sopClass))"))
        }
        if parsed.burnedIn {
            throw ImageDecodeError(file: file, reason: .possiblePatientData("Burned In Annotation (0028,0301) is YES"))
        }
        guard parsed.layout.samplesPerPixel == 1, d.photometric == "MONOCHROME1" || d.photometric == "MONOCHROME2" else {
            throw ImageDecodeError(
                file: file,
                reason: .unsupported(
                    "DICOM photometric interpretation \(d.photometric) with \(parsed.layout.samplesPerPixel) samples: only grayscale (MONOCHROME1, MONOCHROME2) is read"
                ))
        }
        guard [8, 16, 32].contains(d.bitsAllocated), (1...d.bitsAllocated).contains(d.bitsStored) else {
            throw ImageDecodeError(file: file, reason: .unsupported("DICOM bits allocated \(d.bitsAllocated), stored \(d.bitsStored)"))
        }
        let width = parsed.layout.columns, height = parsed.layout.rows
        try limits.check(width: width, height: height, file: file)
        let frameBytes = width * height * d.bitsAllocated / 8
        guard let bytes = object.pixels, bytes.count >= frameBytes * d.frames else {
            throw ImageDecodeError(file: file, reason: .corrupt("DICOM: the pixel data is shorter than \(d.frames) frames of \(width)×\(height)"))
        }
        let start = d.frameUsed * frameBytes
        let samples = bytes.withUnsafeBytes { all in
            parsed.chain.render(frame: UnsafeRawBufferPointer(rebasing: all[start..<(start + frameBytes)]), bytesPerWord: d.bitsAllocated / 8)
        }
        let info = parsed.info
        return DecodedImage(info: info, image: GrayImage(width: width, height: height, bitDepth: 16, samples: samples), text: [], dicom: d)
    }

    /// The header read once: GDCM's image description, the attributes, the display chain.
    struct Parsed {
        let layout: DICOMImageLayout
        let description: DICOMDescription
        let chain: DICOMDisplayChain
        let burnedIn: Bool
        let info: ImageInfo

        init(_ object: DICOMObject, salt: [UInt8]?) throws(ImageDecodeError) {
            layout = object.layout
            let file = object.file
            let syntax = layout.transferSyntax
            var photometric = layout.photometric
            if photometric.isEmpty { photometric = object.string(DICOMTag(0x0028, 0x0004)) ?? "" }
            let signed = layout.pixelRepresentation == 1
            let frames = max(1, layout.frames)
            let text: (UInt16, UInt16) -> String? = { g, e in object.string(DICOMTag(g, e)).flatMap { $0.isEmpty ? nil : $0 } }

            // Modality LUT stage (C.11.1): a LUT sequence wins over rescale, as in pydicom.
            var modality = DICOMDisplayChain.Modality.identity
            var modalityText = "none (stored values)"
            var modalityLUTBits: Int?
            if let lut = object.lut(sequence: 0x3000) {
                let table = Self.table(lut, signedPixels: signed)
                modality = .lut(table)
                modalityLUTBits = table.bits
                modalityText = "Modality LUT Sequence (\(table.data.count) entries, \(table.bits) bits)"
            } else if let slope = object.numbers(DICOMTag(0x0028, 0x1053))?.first, let intercept = object.numbers(DICOMTag(0x0028, 0x1052))?.first {
                modality = .rescale(slope: slope, intercept: intercept)
                modalityText = "rescale slope \(slope), intercept \(intercept)"
            }

            // VOI stage (C.11.2): a VOI LUT is preferred over a window (pydicom's prefer_lut); the first
            // of several windows or LUTs (the one the modality suggests first).
            var voi = DICOMDisplayChain.VOI.minMax
            var windowText = "none in the file: the image's own min–max range (Cohort's fallback)"
            let centers = object.numbers(DICOMTag(0x0028, 0x1050)), widths = object.numbers(DICOMTag(0x0028, 0x1051))
            let functionName = (text(0x0028, 0x1056) ?? "LINEAR").uppercased()
            if let lut = object.lut(sequence: 0x3010) {
                let table = Self.table(lut, signedPixels: signed && modalityLUTBits == nil)
                voi = .lut(table)
                windowText = "VOI LUT Sequence (\(table.data.count) entries, \(table.bits) bits)"
            } else if let center = centers?.first, let width = widths?.first {
                guard let function = DICOMDisplayChain.WindowFunction(rawValue: functionName) else {
                    throw ImageDecodeError(file: file, reason: .unsupported("DICOM VOI LUT Function '\(functionName)'"))
                }
                let valid = function == .linear ? width >= 1 : width > 0
                if valid {
                    voi = .window(center: center, width: width, function: function)
                    windowText = "window centre \(center), width \(width) (\(function.rawValue)) from the file"
                } else {
                    windowText = "the file's window width \(width) is invalid for \(function.rawValue): the image's min–max range instead"
                }
            }
            let shape = text(0x2050, 0x0020)?.uppercased()
            var padding: ClosedRange<Int>?
            if let value = object.numbers(DICOMTag(0x0028, 0x0120))?.first.map({ Self.pixelValue($0, signed: signed) }) {
                let limit = object.numbers(DICOMTag(0x0028, 0x0121))?.first.map { Self.pixelValue($0, signed: signed) } ?? value
                padding = min(value, limit)...max(value, limit)
            }
            chain = DICOMDisplayChain(
                bitsAllocated: layout.bitsAllocated, bitsStored: layout.bitsStored, highBit: layout.highBit, signed: signed,
                modality: modality, voi: voi, inverted: photometric == "MONOCHROME1" || shape == "INVERSE", padding: padding)
            burnedIn = text(0x0028, 0x0301)?.uppercased() == "YES"

            let sopClass = text(0x0008, 0x0016) ?? text(0x0002, 0x0002) ?? ""
            var groupKey: String?
            if let salt {
                // Hashed here, at the only place the values are read; the values themselves go nowhere.
                let identity = text(0x0010, 0x0020).map { "patient:" + $0 } ?? text(0x0020, 0x000D).map { "study:" + $0 }
                if let identity {
                    var hasher = SHA256Hasher()
                    hasher.update(salt)
                    hasher.update(Array(identity.utf8))
                    groupKey = "dicom:" + hasher.hexDigest().prefix(32)
                }
            }
            description = DICOMDescription(
                transferSyntax: syntax, transferSyntaxName: DICOMDescription.syntaxNames[syntax] ?? "unnamed transfer syntax",
                sopClass: sopClass, modality: text(0x0008, 0x0060), photometric: photometric,
                bitsAllocated: layout.bitsAllocated, bitsStored: layout.bitsStored, signed: signed, frames: frames,
                frameUsed: frames / 2, window: windowText, modalityTransform: modalityText,
                viewPosition: text(0x0018, 0x5101), bodyPart: text(0x0018, 0x0015),
                imageType: text(0x0008, 0x0008)?.split(separator: "\\").map { String($0).trimmedSpaces } ?? [],
                groupKey: groupKey)
            info = ImageInfo(
                format: .dicom, width: layout.columns, height: layout.rows, bitDepth: layout.bitsStored,
                colorType: photometric.lowercased(), interlaced: false)
        }

        /// A LUT from its descriptor (PS3.3 C.11.1.1.1): entries (0 means 65536), first mapped value —
        /// signed when the descriptor's VR is SS, or, where the file does not say, when the pixels are
        /// signed (pydicom's reading of the ambiguous US/SS) — and bits per entry.
        static func table(_ lut: DICOMRawLUT, signedPixels: Bool) -> DICOMLookupTable {
            let entries = lut.descriptor[0] == 0 ? 65536 : Int(lut.descriptor[0])
            let firstSigned = lut.signedVR ?? signedPixels
            let first = firstSigned ? Int(Int16(bitPattern: lut.descriptor[1])) : Int(lut.descriptor[1])
            let bits = Int(lut.descriptor[2])
            var data = Array(lut.data.prefix(entries))
            if data.isEmpty { data = [0] }
            return DICOMLookupTable(firstMapped: first, bits: bits, data: data)
        }

        /// A US/SS pixel value attribute (padding) read as text: 16-bit two's complement when signed.
        static func pixelValue(_ value: Double, signed: Bool) -> Int {
            let v = Int(value)
            return signed && v > 32767 ? v - 65536 : v
        }
    }
}
