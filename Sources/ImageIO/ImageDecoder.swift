// The entry point for reading a scan: sniff the format from the content, check limits, decode to gray.
#if canImport(Glibc)
    import Glibc
#endif

/// Decodes PNG, JPEG and DICOM files to `GrayImage`, refusing anything else with a typed reason.
public struct ImageDecoder: Sendable {
    public var limits: DecodeLimits
    /// The installation's secret salt for DICOM group keys (DICOMDescription.groupKey); without one,
    /// DICOM images get no group key.
    public var dicomSalt: [UInt8]?

    public init(limits: DecodeLimits = .default, dicomSalt: [UInt8]? = nil) {
        self.limits = limits
        self.dicomSalt = dicomSalt
    }

    /// Reads and decodes the file at `path`.
    public func decode(path: String) throws(ImageDecodeError) -> DecodedImage {
        let bytes = try FileBytes.read(path, maxBytes: limits.maxFileBytes)
        return try decode(bytes: bytes, file: path)
    }

    /// Decodes an image held in memory; `file` names it in errors.
    public func decode(bytes: [UInt8], file: String) throws(ImageDecodeError) -> DecodedImage {
        do {
            return try bytes.withUnsafeBytes { raw in try decode(raw, file: file) }
        } catch let error as ImageDecodeError {
            throw error
        } catch {
            throw ImageDecodeError(file: file, reason: .corrupt("\(error)"))
        }
    }

    /// Reads only the headers of the file at `path` (format, size, depth, colour type), without
    /// judging them: a CMYK JPEG or a huge PNG still gets its facts reported.
    public func info(path: String) throws(ImageDecodeError) -> ImageInfo {
        let bytes = try FileBytes.read(path, maxBytes: limits.maxFileBytes)
        do {
            return try bytes.withUnsafeBytes { raw throws(ImageDecodeError) in
                switch try Self.sniff(raw, file: path) {
                case .png: return try PNGHeader.parse(raw, file: path).info
                case .jpeg: return try JPEGDecoder.describe(raw, file: path).info
                case .dicom: return try DICOMDecoder.describe(raw, file: path, salt: dicomSalt).0
                }
            }
        } catch let error as ImageDecodeError {
            throw error
        } catch {
            throw ImageDecodeError(file: path, reason: .corrupt("\(error)"))
        }
    }

    private func decode(_ raw: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError) -> DecodedImage {
        guard raw.count <= limits.maxFileBytes else {
            throw ImageDecodeError(file: file, reason: .fileTooLarge(bytes: raw.count, limit: limits.maxFileBytes))
        }
        switch try Self.sniff(raw, file: file) {
        case .png:
            let header = try PNGHeader.parse(raw, file: file)
            try limits.check(width: header.width, height: header.height, file: file)
            return try PNGDecoder.decode(raw, header: header, file: file)
        case .jpeg:
            return try JPEGDecoder.decode(raw, file: file, limits: limits)
        case .dicom:
            return try DICOMDecoder.decode(raw, file: file, limits: limits, salt: dicomSalt)
        }
    }

    /// A DICOM file's technical attributes without decoding its pixels (`cohort inspect`); nil for other formats.
    public func dicomDescription(path: String) throws(ImageDecodeError) -> DICOMDescription? {
        let bytes = try FileBytes.read(path, maxBytes: limits.maxFileBytes)
        do {
            return try bytes.withUnsafeBytes { raw throws(ImageDecodeError) in
                DICOMDecoder.isDICOM(raw) ? try DICOMDecoder.describe(raw, file: path, salt: dicomSalt).1 : nil
            }
        } catch let error as ImageDecodeError {
            throw error
        } catch {
            throw ImageDecodeError(file: path, reason: .corrupt("\(error)"))
        }
    }

    /// The format by magic number; the file name's extension is never trusted.
    static func sniff(_ raw: UnsafeRawBufferPointer, file: String) throws(ImageDecodeError) -> ImageFormat {
        if raw.isEmpty { throw ImageDecodeError(file: file, reason: .empty) }
        if DICOMDecoder.isDICOM(raw) { return .dicom }
        let signature = PNGHeader.signature
        if raw.count >= signature.count, raw.prefix(signature.count).elementsEqual(signature) { return .png }
        if raw.count < signature.count, raw.elementsEqual(signature.prefix(raw.count)) {
            throw ImageDecodeError(file: file, reason: .truncated("file ends inside the PNG signature"))
        }
        if raw.count >= 3, raw[0] == 0xFF, raw[1] == 0xD8, raw[2] == 0xFF { return .jpeg }
        let looksLikeText = raw.prefix(512).allSatisfy { $0 == 9 || $0 == 10 || $0 == 13 || (32..<127).contains($0) || $0 >= 0x80 }
        if looksLikeText { throw ImageDecodeError(file: file, reason: .notAnImage("text file")) }
        let head = raw.prefix(4).map { String($0, radix: 16, uppercase: true).leftPadded(to: 2) }.joined(separator: " ")
        throw ImageDecodeError(
            file: file, reason: .notAnImage("unknown signature \(head); only PNG, JPEG and DICOM (Part 10, \"DICM\" at byte 128) are read"))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Whole-file reads with a size bound checked before reading.
enum FileBytes {
    static func read(_ path: String, maxBytes: Int) throws(ImageDecodeError) -> [UInt8] {
        // O_NONBLOCK: opening a FIFO (or a device) blocks until a writer appears — a FIFO swapped in for a
        // scan wedged ingest for good. Non-blocking, the open returns at once and fstat refuses it below;
        // regular files ignore the flag.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            throw ImageDecodeError(file: path, reason: .unreadable(String(cString: strerror(code))), systemError: code)
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let code = errno
            throw ImageDecodeError(file: path, reason: .unreadable(String(cString: strerror(code))), systemError: code)
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw ImageDecodeError(file: path, reason: .unreadable("not a regular file"))
        }
        let size = Int(status.st_size)
        if size == 0 { throw ImageDecodeError(file: path, reason: .empty) }
        if size > maxBytes { throw ImageDecodeError(file: path, reason: .fileTooLarge(bytes: size, limit: maxBytes)) }
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        while offset < size {
            let got = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, size - offset) }
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw ImageDecodeError(file: path, reason: .unreadable(String(cString: strerror(code))), systemError: code)
            }
            if got == 0 { break }  // the file shrank while we read it
            offset += got
        }
        if offset < size { bytes.removeLast(size - offset) }
        return bytes
    }
}
