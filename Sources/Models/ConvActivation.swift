// Convolution (with its own bias) followed by an activation, no normalization: the discriminator's
// down-block when it runs without batch norm (SNGAN's discriminator: spectral normalization alone,
// Miyato et al. 2018). Names are the caller's (the GAN uses Sequential indices: `blocks.<3i>`).
import Kernels
import NN
import Tensor

public final class ConvActivation: Layer {
    public let conv: Conv2D
    public let activation: ActivationLayer

    public init(conv: Conv2D, activation: Kernels.Activation) {
        self.conv = conv
        self.activation = ActivationLayer(activation)
    }

    /// activation(conv(x)); both layers save what their backward needs in `slot`.
    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        activation.forward(conv.forward(x, mode: mode, slot: slot), mode: mode, slot: slot)
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        conv.backward(activation.backward(dy, slot: slot, parameterGradients: parameterGradients), slot: slot, parameterGradients: parameterGradients)
    }

    public func macs(h: Int, w: Int) -> Int { conv.macs(h: h, w: w) }
}
