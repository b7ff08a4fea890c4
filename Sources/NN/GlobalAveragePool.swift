// Global average pooling [N, H, W, C] → [N, C] (torch.nn.AdaptiveAvgPool2d(1) + flatten).
import Kernels
import Tensor

public final class GlobalAveragePool: Layer {
    private var saved = Slots<[Int]>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init() {}

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, [n, c])
        outputs[slot] = slotOutput
        PoolKernel.globalAverageForward(y: y.data, x: x.data, n: n, pixels: h * w, channels: c)
        saved[slot] = x.shape
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let shape = saved[slot] else { preconditionFailure("GlobalAveragePool: backward without forward") }
        let dx = reuse(&inputGrad, shape)
        PoolKernel.globalAverageBackward(dx: dx.data, dy: dy.data, n: shape[0], pixels: shape[1] * shape[2], channels: shape[3], accumulate: false)
        return dx
    }
}
