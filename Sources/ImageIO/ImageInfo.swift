// What a file is, as far as its headers tell: reported by `cohort inspect` even when decoding fails.

/// The container formats Cohort reads.
public enum ImageFormat: String, Sendable, Codable {
    case png
    case jpeg
    case dicom
}

/// Header facts about an image file.
public struct ImageInfo: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Bits per sample as stored (PNG 1/2/4/8/16; JPEG 8 or 12).
    public var bitDepth: Int
    /// `gray`, `gray+alpha`, `rgb`, `rgba`, `palette` (PNG); `gray`, `ycbcr`, `rgb`, `cmyk`, `ycck` (JPEG).
    public var colorType: String
    /// PNG Adam7 interlacing or progressive JPEG.
    public var interlaced: Bool

    public init(format: ImageFormat, width: Int, height: Int, bitDepth: Int, colorType: String, interlaced: Bool) {
        self.format = format
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.colorType = colorType
        self.interlaced = interlaced
    }
}

/// A successfully decoded file: the gray image, its header facts, PNG text metadata (in file order), and
/// for DICOM its technical attributes.
public struct DecodedImage: Sendable {
    public var info: ImageInfo
    public var image: GrayImage
    public var text: [(key: String, value: String)]
    /// A DICOM file's technical attributes and salted group key (nil for PNG and JPEG).
    public var dicom: DICOMDescription? = nil

    /// The value of the first text chunk with this key.
    public func textValue(_ key: String) -> String? { text.first { $0.key == key }?.value }
}
