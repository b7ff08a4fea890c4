// `cohort inspect`: what a file is and whether Cohort accepts it — the answer a user needs when a
// scan was refused. One file's failure never affects another's report.

/// One file's verdict. Encodes to the JSON of `cohort inspect --json`.
public struct ImageInspection: Codable, Sendable, Equatable {
    public var path: String
    public var ok: Bool
    public var format: String?
    public var width: Int?
    public var height: Int?
    public var bitDepth: Int?
    public var colorType: String?
    public var interlaced: Bool?
    /// The rejection reason in words (nil when ok).
    public var reason: String?
    /// The rejection code (`truncated`, `too_large`, …; nil when ok).
    public var code: String?
    /// PNG text metadata, e.g. `synthetic=true` on Cohort's own samples.
    public var metadata: [String: String]?
    /// A DICOM file's technical attributes (syntax, photometric, bits, frames, where the window came
    /// from…) — never a name, ID or date; `path` is then shown redacted (DICOMPathRedaction).
    public var dicom: DICOMDescription?
    /// For DICOM: "accepted", or why the gate given to `inspect` refuses it.
    public var gate: String?

    enum CodingKeys: String, CodingKey {
        case path, ok, format, width, height, reason, code, metadata, interlaced, dicom, gate
        case bitDepth = "bit_depth"
        case colorType = "color_type"
    }

    /// Decodes `path` fully with `decoder` and reports the outcome.
    /// `gate` judges DICOM images as a dataset's configuration would; `showDICOMPaths` keeps their paths.
    public static func inspect(_ path: String, decoder: ImageDecoder = ImageDecoder(), gate: DICOMGate = DICOMGate(), showDICOMPaths: Bool = false)
        -> ImageInspection
    {
        let shownPath = showDICOMPaths ? path : DICOMPathRedaction.shown(path)
        var report = ImageInspection(path: shownPath, ok: false)
        if shownPath != path || DICOMPathRedaction.isDICOM(path) {
            report.dicom = try? decoder.dicomDescription(path: path)
            report.dicom?.groupKey = nil
            report.gate = report.dicom.map { gate.refusal($0) ?? "accepted" }
        }
        do {
            let decoded = try decoder.decode(path: path)
            report.ok = true
            report.fill(decoded.info)
            if !decoded.text.isEmpty {
                report.metadata = Dictionary(decoded.text.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            }
        } catch {
            report.reason = error.message
            report.code = error.code
            // Report whatever the headers still tell (a CMYK JPEG's size, a bomb's claimed size).
            if let info = try? decoder.info(path: path) { report.fill(info) }
        }
        return report
    }

    public init(path: String, ok: Bool) {
        self.path = path
        self.ok = ok
    }

    private mutating func fill(_ info: ImageInfo) {
        format = info.format.rawValue
        width = info.width
        height = info.height
        bitDepth = info.bitDepth
        colorType = info.colorType
        interlaced = info.interlaced
    }
}
