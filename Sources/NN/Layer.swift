// What every layer shares: the explicit training/inference mode, per-call "slots" for saved
// activations, and a scratch workspace. A slot lets one layer be called several times before its
// backward passes (the discriminator sees a real batch, a fake batch, then the generator's batch),
// each call keeping its own saved tensors. Backward with `parameterGradients: false` computes input
// gradients only: backward through a frozen module.
import Kernels
import Tensor

/// Training or inference: passed explicitly to every forward call, never global.
public enum Mode: Sendable, Equatable {
    /// Batch statistics in batch norm, dropout active.
    case training
    /// Running statistics, no dropout.
    case inference
}

/// A layer over one input tensor.
public protocol Layer: AnyObject {
    /// Computes the output; saves what backward needs in `slot`.
    func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor
    /// Given dL/dy for the call saved in `slot`, accumulates parameter gradients (unless frozen) and
    /// returns dL/dx. The returned tensor is owned by the layer and overwritten by its next backward.
    func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor
}

extension Layer {
    public func forward(_ x: Tensor, mode: Mode) -> Tensor { forward(x, mode: mode, slot: 0) }
    public func backward(_ dy: Tensor) -> Tensor { backward(dy, slot: 0, parameterGradients: true) }
}

/// Per-slot saved state, grown on demand.
public struct Slots<State> {
    private var states: [State?] = []
    public init() {}
    public subscript(slot: Int) -> State? {
        get { slot < states.count ? states[slot] : nil }
        set {
            while states.count <= slot { states.append(nil) }
            states[slot] = newValue
        }
    }
}

/// Scratch memory shared by the layers of one model (per-worker im2col columns and weight-gradient
/// partials); layers run one at a time, so one set serves them all.
public final class Workspace: @unchecked Sendable {
    public let scratch = ScratchBuffers()
    public init() {}
}
