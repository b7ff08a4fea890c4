// Why a file was refused: every rejection names the file and a reason a user can act on.
#if canImport(Glibc)
    import Glibc
#endif

/// A file that could not be decoded into a usable scan.
public struct ImageDecodeError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Why the file was refused.
    public enum Reason: Sendable, Equatable {
        /// The file could not be opened or read (permissions, vanished, a directory…).
        case unreadable(String)
        /// Zero bytes.
        case empty
        /// Larger than `DecodeLimits.maxFileBytes`.
        case fileTooLarge(bytes: Int, limit: Int)
        /// Neither PNG nor JPEG by content (the extension is not trusted).
        case notAnImage(String)
        /// The file ends before the image does.
        case truncated(String)
        /// The data is damaged (bad checksum, invalid structure).
        case corrupt(String)
        /// A valid image of a kind Cohort does not read (CMYK JPEG, 12-bit JPEG, …).
        case unsupported(String)
        /// A DICOM object whose pixels may show patient data (burned-in annotation, ultrasound,
        /// secondary capture): never trained on, never copied.
        case possiblePatientData(String)
        /// Width or height is zero.
        case zeroDimensions
        /// width × height exceeds `DecodeLimits.maxPixels` (checked before any pixel buffer exists).
        case tooLarge(width: Int, height: Int, limit: Int)
    }

    /// The file the error is about.
    public var file: String
    public var reason: Reason
    /// The system error behind an `unreadable` refusal, if any (errno).
    public var systemError: Int32?

    public init(file: String, reason: Reason, systemError: Int32? = nil) {
        self.file = file
        self.reason = reason
        self.systemError = systemError
    }

    /// A refusal whose cause can pass without the file changing — permissions fixed, descriptors freed,
    /// disk space back, a read error gone — and is therefore retried; every other refusal is about the
    /// content and stays until the file changes.
    public var isTransient: Bool { systemError.map(Self.isTransient(errno:)) ?? false }

    /// The errno values that describe the moment, not the file.
    public static func isTransient(errno code: Int32) -> Bool {
        [EACCES, EPERM, EMFILE, ENFILE, ENOSPC, EIO, EAGAIN, EINTR, ETIMEDOUT, ENOMEM, EBUSY, ESTALE].contains(code)
    }

    /// A stable machine-readable code for the reason (`"truncated"`, `"too_large"`, …).
    public var code: String {
        switch reason {
        case .unreadable: "unreadable"
        case .empty: "empty"
        case .fileTooLarge: "file_too_large"
        case .notAnImage: "not_an_image"
        case .truncated: "truncated"
        case .corrupt: "corrupt"
        case .unsupported: "unsupported"
        case .possiblePatientData: "possible_patient_data"
        case .zeroDimensions: "zero_dimensions"
        case .tooLarge: "too_large"
        }
    }

    /// The reason in words, without the file name.
    public var message: String {
        switch reason {
        case .unreadable(let detail): "cannot read file: \(detail)"
        case .empty: "empty file (0 bytes)"
        case .fileTooLarge(let bytes, let limit): "file is \(bytes) bytes, above the limit of \(limit) bytes"
        case .notAnImage(let detail): "not an image: \(detail)"
        case .truncated(let detail): "truncated: \(detail)"
        case .corrupt(let detail): "corrupt: \(detail)"
        case .unsupported(let detail): "unsupported: \(detail)"
        case .possiblePatientData(let detail): "possible burned-in patient data: \(detail)"
        case .zeroDimensions: "image has zero width or height"
        case .tooLarge(let width, let height, let limit):
            "image is \(width)×\(height) = \(width * height) pixels, above the limit of \(limit) pixels"
        }
    }

    public var description: String { "\(file): \(message)" }
}
