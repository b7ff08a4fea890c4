// Colour to gray with ITU-R BT.601 luma weights, rounded exactly as Pillow's convert('L') does
// (Pillow src/libImaging/Convert.c: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16), which is how
// ../shared/data was converted; matching it bit for bit keeps our preprocessing identical to theirs.

enum Luma {
    /// Gray value of one RGB sample triple (8- or 16-bit, all three the same depth).
    @inline(__always)
    static func gray(_ r: UInt32, _ g: UInt32, _ b: UInt32) -> UInt16 {
        UInt16(truncatingIfNeeded: (UInt64(r) * 19595 + UInt64(g) * 38470 + UInt64(b) * 7471 + 0x8000) >> 16)
    }

    /// Converts interleaved 8-bit RGB rows to gray samples.
    static func fromRGB8(_ rgb: UnsafeRawBufferPointer, pixelCount: Int, into out: UnsafeMutableBufferPointer<UInt16>) {
        for i in 0..<pixelCount {
            out[i] = gray(UInt32(rgb[3 * i]), UInt32(rgb[3 * i + 1]), UInt32(rgb[3 * i + 2]))
        }
    }
}
