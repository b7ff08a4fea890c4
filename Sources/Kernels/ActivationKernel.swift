// Pointwise activations and their derivatives. Each backward takes what its derivative needs most
// cheaply: ReLU/LeakyReLU the input sign, SiLU the input, Sigmoid/Tanh their output.
// Math: torch.nn.ReLU, LeakyReLU, SiLU (x·σ(x)), Sigmoid, Tanh.
#if canImport(Glibc)
import Glibc
#endif

/// The activations a layer can apply (also fused after batch norm).
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case leakyReLU(Float)
    case silu
    case sigmoid
    case tanh

    /// f(z).
    @inlinable @inline(__always)
    public func apply(_ z: Float) -> Float {
        switch self {
        case .identity: return z
        case .relu: return z > 0 ? z : 0
        case .leakyReLU(let slope): return z > 0 ? z : z * slope
        case .silu: return z / (1 + expf(-z))
        case .sigmoid: return 1 / (1 + expf(-z))
        case .tanh: return tanhf(z)
        }
    }

    /// f′(z), from the pre-activation z.
    @inlinable @inline(__always)
    public func derivative(_ z: Float) -> Float {
        switch self {
        case .identity: return 1
        case .relu: return z > 0 ? 1 : 0
        case .leakyReLU(let slope): return z > 0 ? 1 : slope
        case .silu:
            let s = 1 / (1 + expf(-z))
            return s * (1 + z * (1 - s))
        case .sigmoid:
            let s = 1 / (1 + expf(-z))
            return s * (1 - s)
        case .tanh:
            let t = tanhf(z)
            return 1 - t * t
        }
    }
}

public enum ActivationKernel {
    /// y = f(x) elementwise (y may alias x).
    public static func forward(_ f: Activation, y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, minimumPerChunk: 16384) { range in
            switch f {
            case .identity: for i in range { y[i] = x[i] }
            case .relu: for i in range { y[i] = max(x[i], 0) }
            case .leakyReLU(let slope): for i in range { y[i] = x[i] > 0 ? x[i] : x[i] * slope }
            default: for i in range { y[i] = f.apply(x[i]) }
            }
        }
    }

    /// dx = dy · f′(x), from the pre-activation input x (dx may alias dy).
    public static func backward(_ f: Activation, dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, minimumPerChunk: 16384) { range in
            switch f {
            case .identity: for i in range { dx[i] = dy[i] }
            case .relu: for i in range { dx[i] = x[i] > 0 ? dy[i] : 0 }
            case .leakyReLU(let slope): for i in range { dx[i] = x[i] > 0 ? dy[i] : dy[i] * slope }
            default: for i in range { dx[i] = dy[i] * f.derivative(x[i]) }
            }
        }
    }

    /// dx = dy · f′ computed from the output y, for sigmoid (y(1−y)) and tanh (1−y²).
    public static func backwardFromOutput(_ f: Activation, dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int) {
        Parallel.forEachChunk(count, minimumPerChunk: 16384) { range in
            switch f {
            case .sigmoid: for i in range { dx[i] = dy[i] * y[i] * (1 - y[i]) }
            case .tanh: for i in range { dx[i] = dy[i] * (1 - y[i] * y[i]) }
            default: preconditionFailure("backwardFromOutput supports sigmoid and tanh only")
            }
        }
    }
}
