// Inverted dropout (torch.nn.Dropout): in training, zero each element with probability p and scale
// the rest by 1/(1−p); identity in inference. The mask comes from the layer's own seeded generator.
import Tensor

public final class Dropout: Layer {
    public let probability: Float
    public var rng: RandomGenerator
    private var masks = Slots<[Float]>()
    private var outputs = Slots<Tensor?>()
    private var inputGrad: Tensor?

    public init(probability: Float, seed: UInt64) {
        precondition(probability >= 0 && probability < 1, "Dropout: probability must be in [0, 1)")
        self.probability = probability
        rng = RandomGenerator(seed: seed)
    }

    public func forward(_ x: Tensor, mode: Mode, slot: Int) -> Tensor {
        guard mode == .training, probability > 0 else {
            masks[slot] = nil
            return x
        }
        var slotOutput = outputs[slot] ?? nil
        let y = reuse(&slotOutput, x.shape)
        outputs[slot] = slotOutput
        let keep = 1 / (1 - probability)
        var mask = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            mask[i] = rng.uniform() >= probability ? keep : 0
            y[i] = x[i] * mask[i]
        }
        masks[slot] = mask
        return y
    }

    public func backward(_ dy: Tensor, slot: Int, parameterGradients: Bool) -> Tensor {
        guard let mask = masks[slot] else { return dy }
        let dx = reuse(&inputGrad, dy.shape)
        for i in 0..<dy.count { dx[i] = dy[i] * mask[i] }
        return dx
    }
}
