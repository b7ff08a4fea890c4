// SHA-256 for content hashes (catalog rows, the split's group hashes, cache keys, checkpoint hashes):
// the thin Swift wrapper over OpenSSL's libcrypto (EVP digest API, FIPS 180-4). The system library
// replaces a vendored BoringSSL that cost a fifth of a fresh build's compile steps for this one hash.
import CLibCrypto
import Foundation

/// An incremental SHA-256 (FIPS 180-4): feed bytes with `update`, read the 32-byte digest once.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        // Allocation and initialisation fail only when memory is exhausted.
        guard let context = EVP_MD_CTX_new() else { fatalError("SHA-256: EVP_MD_CTX_new failed (out of memory)") }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else { fatalError("SHA-256: EVP_DigestInit_ex failed") }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else { fatalError("SHA-256: EVP_DigestUpdate failed") }
    }

    /// Adds the bytes of `data` (any contiguous or chunked byte collection) to the message.
    public mutating func update(_ data: some DataProtocol) {
        for region in data.regions { region.withUnsafeBytes { update($0) } }
    }

    /// The 32-byte digest of everything added.
    public consuming func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        guard ok == 1, length == 32 else { fatalError("SHA-256: EVP_DigestFinal_ex failed") }
        return digest
    }

    /// The digest as 64 lowercase hexadecimal digits.
    public consuming func hexDigest() -> String { Self.hex(finalize()) }

    /// SHA-256 of `data`, as 64 lowercase hexadecimal digits.
    public static func hex(of data: some DataProtocol) -> String {
        var hasher = SHA256Hasher()
        hasher.update(data)
        return hasher.hexDigest()
    }

    /// SHA-256 of a string's UTF-8 bytes, as 64 lowercase hexadecimal digits.
    public static func hex(of string: String) -> String { hex(of: Data(string.utf8)) }

    /// SHA-256 of a file's bytes, as 64 lowercase hexadecimal digits; read in 1 MiB chunks, so a
    /// checkpoint of any size costs constant memory.
    public static func hex(ofFile path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256Hasher()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.hexDigest()
    }

    private static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 15)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
