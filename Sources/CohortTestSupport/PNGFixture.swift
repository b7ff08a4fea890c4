// A hand-written PNG writer for tests, independent of libpng: any colour type and bit depth,
// palette + tRNS, Adam7 interlacing, stored (uncompressed) deflate. It lets tests make every PNG
// variant Cohort must read, and damage them precisely. Spec: https://www.w3.org/TR/png-3/

public enum PNGFixture {
    /// Builds a PNG. `pixel(x, y)` returns the channel values of one pixel (palette index for type 3).
    public static func make(
        width: Int, height: Int, bitDepth: Int, colorType: Int, interlaced: Bool = false,
        palette: [(UInt8, UInt8, UInt8)]? = nil, transparency: [UInt8]? = nil,
        extraChunks: [(String, [UInt8])] = [],
        pixel: (Int, Int) -> [UInt16]
    ) -> [UInt8] {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var ihdr = be32(width) + be32(height)
        ihdr += [UInt8(bitDepth), UInt8(colorType), 0, 0, interlaced ? 1 : 0]
        png += chunk("IHDR", ihdr)
        if let palette { png += chunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }) }
        if let transparency { png += chunk("tRNS", transparency) }
        for (type, data) in extraChunks { png += chunk(type, data) }
        let channels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][colorType]!
        var raw: [UInt8] = []
        let passes: [(Int, Int, Int, Int)] =
            interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        for (x0, y0, dx, dy) in passes {
            let passWidth = width > x0 ? (width - x0 + dx - 1) / dx : 0
            let passHeight = height > y0 ? (height - y0 + dy - 1) / dy : 0
            if passWidth == 0 || passHeight == 0 { continue }
            for py in 0..<passHeight {
                raw.append(0)  // filter type None
                var bits = BitWriter()
                for px in 0..<passWidth {
                    for value in pixel(x0 + px * dx, y0 + py * dy).prefix(channels) {
                        bits.write(Int(value), bits: bitDepth)
                    }
                }
                raw += bits.finish()
            }
        }
        png += chunk("IDAT", zlibStored(raw))
        png += chunk("IEND", [])
        return png
    }

    /// A PNG chunk: length, type, data, CRC-32 of type + data.
    public static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return be32(data.count) + body + be32(Int(crc32(body)))
    }

    public static func be32(_ value: Int) -> [UInt8] {
        [
            UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)
        ]
    }

    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }

    /// A zlib stream of stored deflate blocks (RFC 1950/1951).
    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<(offset + length)]
            offset += length
        } while offset < data.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + be32(Int(b << 16 | a))
    }

    struct BitWriter {
        var bytes: [UInt8] = []
        var current = 0
        var used = 0
        mutating func write(_ value: Int, bits: Int) {
            if bits == 16 {
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
                return
            }
            current = (current << bits) | (value & ((1 << bits) - 1))
            used += bits
            if used == 8 {
                bytes.append(UInt8(current))
                current = 0
                used = 0
            }
        }
        mutating func finish() -> [UInt8] {
            if used > 0 { bytes.append(UInt8(current << (8 - used))) }
            return bytes
        }
    }
}
