// What Cohort keeps of a DICOM object: technical attributes for decisions and for `cohort inspect`,
// and a salted hash of the patient (or study) as the split-group key. No name, ID, date or UID of
// a patient or study is ever a field here, so none can reach a catalog row, a log line or a report.

/// The technical facts of a decoded DICOM image (PS3.3 attribute names in the comments).
public struct DICOMDescription: Sendable, Equatable, Codable {
    /// Transfer Syntax UID (0002,0010) and its name.
    public var transferSyntax: String
    public var transferSyntaxName: String
    /// SOP Class UID (0008,0016).
    public var sopClass: String
    /// Modality (0008,0060), e.g. CR, DX, MR.
    public var modality: String?
    /// Photometric Interpretation (0028,0004): MONOCHROME1 or MONOCHROME2 for an image Cohort reads.
    public var photometric: String
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var signed: Bool
    /// Number of Frames (0028,0008), and the frame used (0-based; the middle one).
    public var frames: Int
    public var frameUsed: Int
    /// Where the rendering's contrast came from, in words (a window, a VOI LUT, the fallback).
    public var window: String
    /// How modality values were made (rescale, a Modality LUT, none).
    public var modalityTransform: String
    /// View Position (0018,5101), Body Part Examined (0018,0015), Image Type (0008,0008) values.
    public var viewPosition: String?
    public var bodyPart: String?
    public var imageType: [String]
    /// The split-group key: a salted SHA-256 of PatientID (0010,0020), or of StudyInstanceUID
    /// (0020,000D) when there is no patient ID; nil without a salt or without either value.
    public var groupKey: String?

    public init(
        transferSyntax: String, transferSyntaxName: String, sopClass: String, modality: String?, photometric: String,
        bitsAllocated: Int, bitsStored: Int, signed: Bool, frames: Int, frameUsed: Int, window: String, modalityTransform: String,
        viewPosition: String?, bodyPart: String?, imageType: [String], groupKey: String?
    ) {
        self.transferSyntax = transferSyntax
        self.transferSyntaxName = transferSyntaxName
        self.sopClass = sopClass
        self.modality = modality
        self.photometric = photometric
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.signed = signed
        self.frames = frames
        self.frameUsed = frameUsed
        self.window = window
        self.modalityTransform = modalityTransform
        self.viewPosition = viewPosition
        self.bodyPart = bodyPart
        self.imageType = imageType
        self.groupKey = groupKey
    }

    enum CodingKeys: String, CodingKey {
        case transferSyntax = "transfer_syntax", transferSyntaxName = "transfer_syntax_name", sopClass = "sop_class", modality
        case photometric, bitsAllocated = "bits_allocated", bitsStored = "bits_stored", signed, frames, frameUsed = "frame_used"
        case window, modalityTransform = "modality_transform", viewPosition = "view_position", bodyPart = "body_part"
        case imageType = "image_type", groupKey = "group_key"
    }

    /// Names of the transfer syntaxes GDCM decodes (PS3.6 Annex A).
    static let syntaxNames: [String: String] = [
        "1.2.840.10008.1.2": "Implicit VR Little Endian",
        "1.2.840.10008.1.2.1": "Explicit VR Little Endian",
        "1.2.840.10008.1.2.1.99": "Deflated Explicit VR Little Endian",
        "1.2.840.10008.1.2.2": "Explicit VR Big Endian",
        "1.2.840.10008.1.2.4.50": "JPEG Baseline (lossy, 8-bit)",
        "1.2.840.10008.1.2.4.51": "JPEG Extended (lossy, 12-bit)",
        "1.2.840.10008.1.2.4.57": "JPEG Lossless (process 14)",
        "1.2.840.10008.1.2.4.70": "JPEG Lossless (process 14, SV1)",
        "1.2.840.10008.1.2.4.80": "JPEG-LS Lossless",
        "1.2.840.10008.1.2.4.81": "JPEG-LS Near-Lossless",
        "1.2.840.10008.1.2.4.90": "JPEG 2000 (lossless only)",
        "1.2.840.10008.1.2.4.91": "JPEG 2000",
        "1.2.840.10008.1.2.5": "RLE Lossless"
    ]
}

/// Which DICOM images a dataset accepts (configuration `dataset.<name>.dicom`): a lateral film in a
/// frontal chest set, a localizer or a derived secondary image is refused with the reason.
public struct DICOMGate: Sendable, Equatable {
    /// Accepted Modality values (empty: any).
    public var modalities: [String]
    /// Accepted View Position values (empty: any). An image without one passes only when empty.
    public var viewPositions: [String]
    /// Accepted Body Part Examined values (empty: any).
    public var bodyParts: [String]
    /// Refused Image Type patterns: a single value ("LOCALIZER") matches anywhere in Image Type; a
    /// backslash-separated one ("DERIVED\\SECONDARY") matches the leading values.
    public var excludedImageTypes: [String]

    public static let defaultExcludedImageTypes = ["LOCALIZER", "DERIVED\\SECONDARY"]

    public init(
        modalities: [String] = [], viewPositions: [String] = [], bodyParts: [String] = [],
        excludedImageTypes: [String] = DICOMGate.defaultExcludedImageTypes
    ) {
        self.modalities = modalities.map { $0.uppercased() }
        self.viewPositions = viewPositions.map { $0.uppercased() }
        self.bodyParts = bodyParts.map { $0.uppercased() }
        self.excludedImageTypes = excludedImageTypes.map { $0.uppercased() }
    }

    /// Why `image` is refused, or nil when it passes. The reason names technical values only.
    public func refusal(_ image: DICOMDescription) -> String? {
        func admits(_ accepted: [String], _ value: String?, _ name: String) -> String? {
            guard !accepted.isEmpty else { return nil }
            guard let value, accepted.contains(value.uppercased()) else {
                return "\(name) \(value.map { "'\($0)'" } ?? "absent") is not accepted here (accepted: \(accepted.joined(separator: ", ")))"
            }
            return nil
        }
        if let reason = admits(modalities, image.modality, "modality") { return reason }
        if let reason = admits(viewPositions, image.viewPosition, "view position") { return reason }
        if let reason = admits(bodyParts, image.bodyPart, "body part") { return reason }
        let types = image.imageType.map { $0.uppercased() }
        for pattern in excludedImageTypes {
            let parts = pattern.split(separator: "\\").map(String.init)
            let hit = parts.count == 1 ? types.contains(parts[0]) : Array(types.prefix(parts.count)) == parts
            if hit { return "image type \(types.joined(separator: "\\")) is excluded (\(pattern))" }
        }
        return nil
    }
}
