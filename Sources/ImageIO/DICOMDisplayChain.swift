// The grayscale display pipeline of DICOM PS3.3 C.11, in the standard's order: stored value (bits
// stored at the high bit, sign, padding) → Modality LUT (C.11.1: rescale slope/intercept or a LUT)
// → VOI (C.11.2: a window — LINEAR, LINEAR_EXACT or SIGMOID — or a VOI LUT) → then the MONOCHROME1 /
// INVERSE presentation inversion (C.11.6) → 16-bit samples. The arithmetic follows pydicom's
// apply_modality_lut / apply_voi_lut (pydicom.pixel_data_handlers.util), which the fixture tests
// compare against; where pydicom leaves a choice open, the choice is documented here.
import Foundation

/// One lookup table: `data[i]` maps input `firstMapped + i`; inputs below the first map to entry 0,
/// inputs past the last to the last entry (PS3.3 C.11.1.1.1, C.11.2.1.1).
public struct DICOMLookupTable: Sendable, Equatable {
    public var firstMapped: Int
    /// Bits per entry (the output range is 0 … 2^bits − 1).
    public var bits: Int
    public var data: [UInt16]

    public init(firstMapped: Int, bits: Int, data: [UInt16]) {
        self.firstMapped = firstMapped
        self.bits = bits
        self.data = data
    }

    /// pydicom's indexing: the input minus the first mapped value, truncated to an integer, clamped.
    func lookup(_ x: Double) -> Double {
        let index = x >= Double(firstMapped) ? Int(x - Double(firstMapped)) : 0
        return Double(data[min(max(index, 0), data.count - 1)])
    }

    var maximum: Double { Double((1 << bits) - 1) }
}

/// How stored values become display values. Built from a file by DICOMAttributes; testable alone.
public struct DICOMDisplayChain: Sendable, Equatable {
    /// The Modality LUT stage (C.11.1).
    public enum Modality: Sendable, Equatable {
        case identity
        case rescale(slope: Double, intercept: Double)
        case lut(DICOMLookupTable)
    }

    /// The VOI LUT Function of a window (C.11.2.1.2).
    public enum WindowFunction: String, Sendable, Equatable {
        case linear = "LINEAR"
        case linearExact = "LINEAR_EXACT"
        case sigmoid = "SIGMOID"
    }

    /// The VOI stage (C.11.2). `.minMax` is Cohort's fallback when the file has neither a window nor a
    /// VOI LUT (the standard leaves it to the application): the full range of the image's own modality
    /// values, padding excluded.
    public enum VOI: Sendable, Equatable {
        case window(center: Double, width: Double, function: WindowFunction)
        case lut(DICOMLookupTable)
        case minMax
    }

    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    public var signed: Bool
    public var modality: Modality
    public var voi: VOI
    /// MONOCHROME1, or Presentation LUT Shape INVERSE: low values are white (applied after VOI).
    public var inverted: Bool
    /// Stored values that are padding, not anatomy (Pixel Padding Value … Range Limit): shown black
    /// and left out of the `.minMax` fallback's range.
    public var padding: ClosedRange<Int>?

    public init(
        bitsAllocated: Int, bitsStored: Int, highBit: Int, signed: Bool, modality: Modality = .identity, voi: VOI = .minMax,
        inverted: Bool = false, padding: ClosedRange<Int>? = nil
    ) {
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored
        self.highBit = highBit
        self.signed = signed
        self.modality = modality
        self.voi = voi
        self.inverted = inverted
        self.padding = padding
    }

    /// The stored value of one raw sample word: `bitsStored` bits ending at `highBit`, sign-extended when
    /// signed (PS3.5 §8.1.1); bits outside them (overlays, garbage) are ignored.
    public func storedValue(_ word: UInt32) -> Int {
        let shift = highBit + 1 - bitsStored
        let mask: UInt32 = bitsStored >= 32 ? .max : (1 << UInt32(bitsStored)) - 1
        let value = Int((word >> UInt32(max(shift, 0))) & mask)
        if signed && bitsStored < 64 && value >= 1 << (bitsStored - 1) { return value - (1 << bitsStored) }
        return value
    }

    /// The Modality LUT output of a stored value.
    public func modalityValue(_ stored: Int) -> Double {
        switch modality {
        case .identity: Double(stored)
        case .rescale(let slope, let intercept): Double(stored) * slope + intercept
        case .lut(let table): table.lookup(Double(stored))
        }
    }

    /// Renders one frame of raw sample words (bitsAllocated wide, host order) as 16-bit display samples.
    public func render(words: [UInt32]) -> [UInt16] {
        words.withUnsafeBytes { render(frame: $0, bytesPerWord: 4) }
    }

    /// Renders one frame held as raw little-endian words of `bytesPerWord` (1, 2 or 4) bytes.
    /// Up to 16 stored bits, the chain is evaluated once per stored value present in the frame (a table
    /// of at most 65,536 entries) and each pixel is one lookup: the same values as per pixel, far fewer
    /// exponentials and divisions on a 3-megapixel radiograph.
    public func render(frame: UnsafeRawBufferPointer, bytesPerWord: Int) -> [UInt16] {
        guard bitsStored <= 16 else {
            let count = frame.count / bytesPerWord
            return render(
                stored: (0..<count).map { i in
                    storedValue(bytesPerWord == 4 ? frame.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self) : UInt32(frame[i]))
                })
        }
        switch bytesPerWord {
        case 1: return renderByTable(frame.bindMemory(to: UInt8.self))
        case 2:
            var copy: [UInt16] = []
            if Int(bitPattern: frame.baseAddress) % 2 != 0 {  // unaligned: one copy, then the fast path
                copy = (0..<(frame.count / 2)).map { frame.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
                return copy.withUnsafeBufferPointer { renderByTable($0) }
            }
            return renderByTable(frame.bindMemory(to: UInt16.self))
        default:
            let words = (0..<(frame.count / 4)).map { frame.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self) }
            return words.withUnsafeBufferPointer { renderByTable($0) }
        }
    }

    /// Two passes over the words: which stored values occur, then one table lookup per pixel. The
    /// table slot of a word is its stored bits, with the sign bit flipped when signed — stored value
    /// + 2^(bits−1), so slots run from the most negative value up.
    private func renderByTable<Word: FixedWidthInteger & UnsignedInteger>(_ words: UnsafeBufferPointer<Word>) -> [UInt16] {
        let shift = UInt32(max(highBit + 1 - bitsStored, 0))
        let mask = UInt32((1 << bitsStored) - 1)
        let flip: UInt32 = signed ? 1 << UInt32(bitsStored - 1) : 0
        let offset = signed ? 1 << (bitsStored - 1) : 0
        var present = [Bool](repeating: false, count: 1 << bitsStored)
        present.withUnsafeMutableBufferPointer { seen in
            for word in words { seen[Int(((UInt32(word) >> shift) & mask) ^ flip)] = true }
        }
        let stored = present.indices.map { $0 - offset }
        let values = present.indices.map { present[$0] ? modalityValue(stored[$0]) : 0 }
        let table = outputs(stored: stored, values: values, present: present)
        return [UInt16](unsafeUninitializedCapacity: words.count) { out, initialized in
            table.withUnsafeBufferPointer { table in
                for i in 0..<words.count { out[i] = table[Int(((UInt32(words[i]) >> shift) & mask) ^ flip)] }
            }
            initialized = words.count
        }
    }

    /// Renders stored values directly (more than 16 stored bits: no table).
    func render(stored: [Int]) -> [UInt16] {
        outputs(stored: stored, values: stored.map(modalityValue), present: nil)
    }

    /// The display sample of each stored value (`present`: which ones count for the min–max fallback).
    private func outputs(stored: [Int], values: [Double], present: [Bool]?) -> [UInt16] {
        let isPadding: (Int) -> Bool = { value in self.padding?.contains(value) ?? false }
        var low = Double.infinity, high = -Double.infinity
        if voi == .minMax {
            for i in stored.indices where (present?[i] ?? true) && !isPadding(stored[i]) {
                low = min(low, values[i])
                high = max(high, values[i])
            }
        }
        return stored.indices.map { i in
            if isPadding(stored[i]) { return 0 }
            var t = unitDisplay(values[i], low: low, high: high)
            if inverted { t = 1 - t }
            return UInt16((min(max(t, 0), 1) * 65535).rounded())
        }
    }

    /// The VOI output of a modality value on [0, 1] (0 the lowest output the stage can give, 1 the
    /// highest): pydicom's window output (y − y_min) / (y_max − y_min), which no longer depends on
    /// y_min and y_max; a VOI LUT's entry over its 2^bits − 1; the fallback's linear min–max map.
    func unitDisplay(_ x: Double, low: Double, high: Double) -> Double {
        switch voi {
        case .window(var center, var width, let function):
            switch function {
            case .linear, .linearExact:
                if function == .linear {
                    center -= 0.5
                    width -= 1
                }
                if x <= center - width / 2 { return 0 }
                if x > center + width / 2 { return 1 }
                return (x - center) / width + 0.5
            case .sigmoid:
                return 1 / (1 + Foundation.exp(-4 * (x - center) / width))
            }
        case .lut(let table):
            return table.lookup(x) / table.maximum
        case .minMax:
            return high > low ? (x - low) / (high - low) : 0
        }
    }
}
