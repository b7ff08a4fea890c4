// Squeeze-and-Excitation (Hu et al. 2018; torchvision.ops.SqueezeExcitation with SiLU):
// y = x · σ(fc2(SiLU(fc1(avgpool(x))))), the gate broadcast over H·W. fc1/fc2 are 1×1 convolutions
// with bias, stored as `name.fc1.weight` [r, C, 1, 1] etc. and computed as Linear on the pooled vector.
import Kernels
import Tensor

public final class SqueezeExcitation: Layer {
    public let channels, reduced: Int
    let pool = GlobalAveragePool()
    let fc1: Linear
    let act = ActivationLayer(.silu)
    let fc2: Linear
    let gate = ActivationLayer(.sigmoid)
    private var saved = Slots<(input: Tensor, gate: Tensor)>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?
    private var gateGrad: Tensor?

    public init(_ name: String, store: ParameterStore, channels: Int, reduced: Int, rng: inout RandomGenerator) {
        self.channels = channels; self.reduced = reduced
        fc1 = Linear("\(name).fc1", store: store, inFeatures: channels, outFeatures: reduced, weightShape: [reduced, channels, 1, 1], rng: &rng)
        fc2 = Linear("\(name).fc2", store: store, inFeatures: reduced, outFeatures: channels, weightShape: [channels, reduced, 1, 1], rng: &rng)
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        let g = gate.forward(
            fc2.forward(
                act.forward(fc1.forward(pool.forward(x, mode: mode, slot: slot), mode: mode, slot: slot), mode: mode, slot: slot), mode: mode,
                slot: slot), mode: mode, slot: slot)
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, x.shape)
        outputs[slot] = slotOutput
        let (n, pixels, c) = (x.shape[0], x.shape[1] * x.shape[2], channels)
        Parallel.forEachChunk(n) { images in
            for i in images {
                let gi = g.data + i * c
                for p in 0..<pixels {
                    let xr = x.data + (i * pixels + p) * c, yr = y.data + (i * pixels + p) * c
                    for ch in 0..<c { yr[ch] = xr[ch] * gi[ch] }
                }
            }
        }
        saved[slot] = (x, g)
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let (x, g) = saved[slot] else { preconditionFailure("SqueezeExcitation: backward without forward") }
        let (n, pixels, c) = (x.shape[0], x.shape[1] * x.shape[2], channels)
        let dx = reuse(&inputGrad, x.shape)
        let dg = reuse(&gateGrad, [n, c])
        // dx = dy · gate;  dgate[n, c] = Σ_p dy · x.
        Parallel.forEachChunk(n) { images in
            for i in images {
                let gi = g.data + i * c, dgi = dg.data + i * c
                dgi.update(repeating: 0, count: c)
                for p in 0..<pixels {
                    let offset = (i * pixels + p) * c
                    let xr = x.data + offset, dyr = dy.data + offset, dxr = dx.data + offset
                    for ch in 0..<c {
                        dxr[ch] = dyr[ch] * gi[ch]
                        dgi[ch] += dyr[ch] * xr[ch]
                    }
                }
            }
        }
        let dPooled =
            (fc1.backward(
                act.backward(
                    fc2.backward(
                        gate.backward(dg, slot: slot, parameterGradients: parameterGradients),
                        slot: slot, parameterGradients: parameterGradients),
                    slot: slot, parameterGradients: parameterGradients),
                slot: slot, parameterGradients: parameterGradients))
        // The pool's own backward would overwrite dx; add its broadcast instead.
        PoolKernel.globalAverageBackward(dx: dx.data, dy: dPooled.data, n: n, pixels: pixels, channels: c, accumulate: true)
        return dx
    }
}
