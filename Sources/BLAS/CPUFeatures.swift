// What vector instructions this CPU and OS support, and which OpenBLAS core that calls for.
import CBLAS

/// Vector features usable by user code (reported by cpuid and enabled by the OS via XCR0).
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let avx = CPUFeatures(rawValue: UInt32(COHORT_CPU_AVX))
    public static let avx2 = CPUFeatures(rawValue: UInt32(COHORT_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(COHORT_CPU_FMA))
    public static let avx512f = CPUFeatures(rawValue: UInt32(COHORT_CPU_AVX512F))

    /// The features of the processor this process runs on.
    public static var current: CPUFeatures { CPUFeatures(rawValue: cohort_cpu_features()) }

    public var description: String {
        var names: [String] = []
        if contains(.avx) { names.append("AVX") }
        if contains(.avx2) { names.append("AVX2") }
        if contains(.fma) { names.append("FMA") }
        if contains(.avx512f) { names.append("AVX-512F") }
        return names.isEmpty ? "none" : names.joined(separator: "+")
    }
}

/// OpenBLAS x86-64 kernel families grouped by the widest vector unit their sgemm uses.
public enum OpenBLASCoreTier: Int, Comparable, Sendable {
    /// SSE-only kernels (Prescott, Core2, Nehalem, Atom, Barcelona, …).
    case sse = 0
    /// AVX without FMA (Sandybridge, Bulldozer family).
    case avx = 1
    /// AVX2 + FMA (Haswell, Zen).
    case avx2 = 2
    /// AVX-512 (SkylakeX, CooperLake, SapphireRapids).
    case avx512 = 3

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The tier of an OpenBLAS core name as returned by `openblas_get_corename` (case-insensitive).
    public init(coreName: String) {
        switch coreName.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids": self = .avx512
        case "haswell", "zen", "zen2", "zen3": self = .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator": self = .avx
        default: self = .sse
        }
    }

    /// The best tier the features allow, with the `OPENBLAS_CORETYPE` value that selects it.
    public static func best(for features: CPUFeatures) -> (tier: OpenBLASCoreTier, coreType: String)? {
        if features.contains(.avx512f) && features.contains(.avx2) && features.contains(.fma) {
            return (.avx512, "SkylakeX")
        }
        if features.contains(.avx2) && features.contains(.fma) { return (.avx2, "Haswell") }
        return nil
    }
}
