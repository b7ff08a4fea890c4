// Pointwise activations and their derivatives. Each backward takes what its derivative needs most
// cheaply: ReLU/LeakyReLU/SiLU the input, Sigmoid/Tanh their output.
// Math: torch.nn.ReLU, LeakyReLU, SiLU (x·σ(x)), Sigmoid, Tanh. Loops are specialized per activation
// (PointwiseFunctions.swift) so they vectorize; exp is FastMath's.

/// The activations a layer can apply (also fused after batch norm).
public enum Activation: Sendable, Equatable {
    case identity
    case relu
    case leakyReLU(Float)
    case silu
    case sigmoid
    case tanh
}

public enum ActivationKernel {
    /// y = f(x) elementwise (y may alias x).
    public static func forward(_ f: Activation, y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        struct Body: ActivationBody {
            let y: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int
            func run<F: PointwiseFunction>(_ f: F) {
                let (y, x) = (y, x)
                Parallel.forEachChunk(count, minimumPerChunk: 16384) { range in
                    for i in range { y[i] = f.value(x[i]) }
                }
            }
        }
        f.dispatch(Body(y: y, x: x, count: count))
    }

    /// dx = dy · f′(x), from the pre-activation input x (dx may alias dy).
    public static func backward(_ f: Activation, dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        struct Body: ActivationBody {
            let dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, x: UnsafePointer<Float>, count: Int
            func run<F: PointwiseFunction>(_ f: F) {
                let (dx, dy, x) = (dx, dy, x)
                Parallel.forEachChunk(count, minimumPerChunk: 16384) { range in
                    for i in range { dx[i] = dy[i] * f.derivative(x[i]) }
                }
            }
        }
        f.dispatch(Body(dx: dx, dy: dy, x: x, count: count))
    }

    /// dx = dy · f′ computed from the output y, for sigmoid (y(1−y)) and tanh (1−y²).
    public static func backwardFromOutput(
        _ f: Activation, dx: UnsafeMutablePointer<Float>, dy: UnsafePointer<Float>, y: UnsafePointer<Float>, count: Int
    ) {
        Parallel.forEachChunk(count, minimumPerChunk: 16384) { range in
            switch f {
            case .sigmoid: for i in range { dx[i] = dy[i] * y[i] * (1 - y[i]) }
            case .tanh: for i in range { dx[i] = dy[i] * (1 - y[i] * y[i]) }
            default: preconditionFailure("backwardFromOutput supports sigmoid and tanh only")
            }
        }
    }
}
