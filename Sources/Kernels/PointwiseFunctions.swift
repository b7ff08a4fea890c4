// Activations as small value types so kernels can be specialized per activation at compile time:
// a generic loop over `some PointwiseFunction` inlines `value`/`derivative` and vectorizes, where a
// closure argument stayed an opaque call per element (measured: 26% of a classifier step in the
// batch-norm apply loop, all scalar). `Activation.dispatch` picks the type once per kernel call.

/// f and f′ of an activation, both from the pre-activation z.
public protocol PointwiseFunction {
    func value(_ z: Float) -> Float
    func derivative(_ z: Float) -> Float
}

public struct IdentityFunction: PointwiseFunction {
    @inline(__always) public func value(_ z: Float) -> Float { z }
    @inline(__always) public func derivative(_ z: Float) -> Float { 1 }
}

public struct ReLUFunction: PointwiseFunction {
    @inline(__always) public func value(_ z: Float) -> Float { Swift.max(z, 0) }
    @inline(__always) public func derivative(_ z: Float) -> Float { z > 0 ? 1 : 0 }
}

public struct LeakyReLUFunction: PointwiseFunction {
    public let slope: Float
    @inline(__always) public func value(_ z: Float) -> Float { z > 0 ? z : z * slope }
    @inline(__always) public func derivative(_ z: Float) -> Float { z > 0 ? 1 : slope }
}

public struct SiLUFunction: PointwiseFunction {
    @inline(__always) public func value(_ z: Float) -> Float { z * fastSigmoid(z) }
    @inline(__always) public func derivative(_ z: Float) -> Float {
        let s = fastSigmoid(z)
        return s * (1 + z * (1 - s))
    }
}

public struct SigmoidFunction: PointwiseFunction {
    @inline(__always) public func value(_ z: Float) -> Float { fastSigmoid(z) }
    @inline(__always) public func derivative(_ z: Float) -> Float {
        let s = fastSigmoid(z)
        return s * (1 - s)
    }
}

public struct TanhFunction: PointwiseFunction {
    @inline(__always) public func value(_ z: Float) -> Float { fastTanh(z) }
    @inline(__always) public func derivative(_ z: Float) -> Float {
        let t = fastTanh(z)
        return 1 - t * t
    }
}

/// Calls a generic kernel body with the concrete function type of an `Activation`.
public protocol ActivationBody {
    associatedtype Result
    func run<F: PointwiseFunction>(_ f: F) -> Result
}

extension Activation {
    @inline(__always)
    public func dispatch<B: ActivationBody>(_ body: B) -> B.Result {
        switch self {
        case .identity: body.run(IdentityFunction())
        case .relu: body.run(ReLUFunction())
        case .leakyReLU(let slope): body.run(LeakyReLUFunction(slope: slope))
        case .silu: body.run(SiLUFunction())
        case .sigmoid: body.run(SigmoidFunction())
        case .tanh: body.run(TanhFunction())
        }
    }
}
