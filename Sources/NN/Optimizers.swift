// Optimizers over a ParameterStore's flat slabs: one vectorizable loop each.
// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019) follow torch.optim.Adam/AdamW's update
// order exactly (https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html); SGD follows
// torch.optim.SGD (momentum buffer starts as the first gradient; Nesterov variant; L2 weight decay).
import Tensor

/// Something that updates parameters from their gradients, and whose state can be checkpointed.
public protocol Optimizer: AnyObject {
    /// Steps taken so far.
    var step: Int { get set }
    /// Learning rate for the next step (schedulers set it).
    var learningRate: Float { get set }
    /// Applies one update from `store.gradients` to `store.values`.
    func update(_ store: ParameterStore)
    /// Named state tensors for checkpoints (e.g. `exp_avg`), each with the parameter slab's length.
    var state: [(name: String, tensor: Tensor)] { get }
}

/// Adam, or AdamW when `decoupledWeightDecay` is true.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1, beta2, epsilon, weightDecay: Float
    public let decoupledWeightDecay: Bool
    public var step = 0
    public let firstMoment: Tensor
    public let secondMoment: Tensor

    public init(
        parameterCount: Int, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
        weightDecay: Float = 0, decoupledWeightDecay: Bool = false
    ) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon
        self.weightDecay = weightDecay; self.decoupledWeightDecay = decoupledWeightDecay
        firstMoment = Tensor(shape: [parameterCount])
        secondMoment = Tensor(shape: [parameterCount])
    }

    /// AdamW: Adam with decoupled weight decay (default 0.01 as PyTorch).
    public static func adamW(
        parameterCount: Int, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
        epsilon: Float = 1e-8, weightDecay: Float = 0.01
    ) -> Adam {
        Adam(
            parameterCount: parameterCount, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
            weightDecay: weightDecay, decoupledWeightDecay: true)
    }

    public var state: [(name: String, tensor: Tensor)] { [("exp_avg", firstMoment), ("exp_avg_sq", secondMoment)] }

    public func update(_ store: ParameterStore) {
        step += 1
        let w = store.values.data, g = store.gradients.data, m = firstMoment.data, v = secondMoment.data
        let count = store.parameterCount
        let (b1, b2, lr, eps, wd) = (beta1, beta2, learningRate, epsilon, weightDecay)
        let biasCorrection1 = 1 - pow(b1, Float(step))
        let biasCorrection2Sqrt = (1 - pow(b2, Float(step))).squareRoot()
        let stepSize = lr / biasCorrection1
        let decay = decoupledWeightDecay ? 1 - lr * wd : 1
        let l2 = decoupledWeightDecay ? 0 : wd
        for i in 0..<count {
            let grad = g[i] + l2 * w[i]
            w[i] *= decay
            m[i] = b1 * m[i] + (1 - b1) * grad
            v[i] = b2 * v[i] + (1 - b2) * grad * grad
            w[i] -= stepSize * m[i] / (v[i].squareRoot() / biasCorrection2Sqrt + eps)
        }
    }
}

/// Stochastic gradient descent with optional momentum (heavy-ball or Nesterov) and L2 weight decay.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum, weightDecay: Float
    public let nesterov: Bool
    public var step = 0
    public let velocity: Tensor

    public init(parameterCount: Int, learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
        velocity = Tensor(shape: [parameterCount])
    }

    public var state: [(name: String, tensor: Tensor)] { [("momentum_buffer", velocity)] }

    public func update(_ store: ParameterStore) {
        let w = store.values.data, g = store.gradients.data, b = velocity.data
        let first = step == 0
        step += 1
        for i in 0..<store.parameterCount {
            var d = g[i] + weightDecay * w[i]
            if momentum != 0 {
                b[i] = first ? d : momentum * b[i] + d
                d = nesterov ? d + momentum * b[i] : b[i]
            }
            w[i] -= learningRate * d
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
