// A standalone activation (ReLU, LeakyReLU, SiLU, Sigmoid, Tanh) as a layer. Sigmoid and tanh
// backpropagate from their saved output, the others from their saved input.
import Kernels
import Tensor

public final class ActivationLayer: Layer {
    public let activation: Activation
    private var saved = Slots<(input: Tensor, output: Tensor)>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init(_ activation: Activation) { self.activation = activation }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, x.shape)
        outputs[slot] = slotOutput
        ActivationKernel.forward(activation, y: y.data, x: x.data, count: x.count)
        saved[slot] = (x, y)
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let (x, y) = saved[slot] else { preconditionFailure("Activation: backward without forward in slot \(slot)") }
        let dx = reuse(&inputGrad, x.shape)
        switch activation {
        case .sigmoid, .tanh: ActivationKernel.backwardFromOutput(activation, dx: dx.data, dy: dy.data, y: y.data, count: x.count)
        default: ActivationKernel.backward(activation, dx: dx.data, dy: dy.data, x: x.data, count: x.count)
        }
        return dx
    }
}
