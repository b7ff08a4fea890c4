// SHA-256 against the FIPS 180-4 / NIST CAVP known answers, and chunked input equal to one-shot input.
import ContentHash
import Foundation
import Testing

@Suite struct SHA256HasherTests {
    @Test func knownAnswers() {
        #expect(SHA256Hasher.hex(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256Hasher.hex(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            SHA256Hasher.hex(of: "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million "a" fed in uneven pieces: the incremental path crosses block boundaries.
        var hasher = SHA256Hasher()
        var fed = 0
        var piece = 1
        while fed < 1_000_000 {
            let n = min(piece, 1_000_000 - fed)
            hasher.update(Data(repeating: UInt8(ascii: "a"), count: n))
            fed += n
            piece = piece * 3 % 997 + 1
        }
        #expect(hasher.hexDigest() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func fileHashEqualsTheHashOfItsBytes() throws {
        let path = NSTemporaryDirectory() + "sha256-\(getpid()).bin"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Larger than the 1 MiB read chunk, so the file is hashed in several reads.
        let bytes = Data((0..<(3 << 19)).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 7) })
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try SHA256Hasher.hex(ofFile: path) == SHA256Hasher.hex(of: bytes))
        #expect(throws: (any Error).self) { try SHA256Hasher.hex(ofFile: path + ".missing") }
    }
}
