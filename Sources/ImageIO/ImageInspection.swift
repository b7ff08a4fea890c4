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
        let isDICOM = DICOMPathRedaction.isDICOM(path)
        var report = ImageInspection(path: isDICOM && !showDICOMPaths ? DICOMPathRedaction.redacted(path) : path, ok: false)
        do {
            let decoded = try decoder.decode(path: path)
            report.ok = true
            report.fill(decoded.info)
            report.dicom = decoded.dicom
            if !decoded.text.isEmpty {
                report.metadata = Dictionary(decoded.text.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
            }
        } catch {
            report.reason = error.message
            report.code = error.code
            // Report whatever the headers still tell (a CMYK JPEG's size, a bomb's claimed size, a
            // refused DICOM object's attributes).
            if let info = try? decoder.info(path: path) { report.fill(info) }
            if isDICOM { report.dicom = try? decoder.dicomDescription(path: path) }
        }
        report.dicom?.groupKey = nil
        report.gate = report.dicom.map { gate.refusal($0) ?? "accepted" }
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
