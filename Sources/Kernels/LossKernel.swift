// Losses with their gradients, reductions as PyTorch's defaults ("mean").
// Cross-entropy: https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html — with class
// weights w and label smoothing ε the loss is (1−ε)·Σ w[t]·(−log p_t)/Σ w[t] + (ε/C)·Σ_n Σ_c w[c]·(−log p_c)/Σ w[t]
// (aten/src/ATen/native/LossNLL.cpp). Optional per-sample weights s_n (synthetic images weighted down) scale
// each sample's term and its share of the normalizer: Σ s_n·l_n / Σ s_n·w[t_n], which is PyTorch's
// `(s * F.cross_entropy(..., reduction="none")).sum() / (s * w[t]).sum()` and equals the mean when s ≡ 1.
// BCE-with-logits in its stable form max(x,0) − x·t + log(1 + e^−|x|).
// Hinge GAN losses as in Miyato & Koyama (2018), projection discriminator.
#if canImport(Glibc)
    import Glibc
#endif

public enum LossKernel {
    /// Softmax cross-entropy of logits [N, C] against class indices; writes dLogits (gradient of the loss).
    /// `sampleWeights` (one per row, ≥ 0, not all zero) weight rows against each other; nil: all 1.
    public static func crossEntropy(
        logits: UnsafePointer<Float>, targets: [Int], classes c: Int, classWeights: [Float]? = nil,
        sampleWeights: [Float]? = nil, labelSmoothing: Float = 0, dLogits: UnsafeMutablePointer<Float>?
    ) -> Float {
        let n = targets.count
        let weights = classWeights ?? [Float](repeating: 1, count: c)
        precondition(sampleWeights == nil || sampleWeights!.count == n, "crossEntropy: one sample weight per row")
        let eps = Double(labelSmoothing)
        var denominator = 0.0
        for i in 0..<n { denominator += Double(sampleWeights?[i] ?? 1) * Double(weights[targets[i]]) }
        var loss = 0.0
        var probabilities = [Double](repeating: 0, count: c)
        for i in 0..<n {
            let row = logits + i * c
            var maxLogit = -Double.infinity
            for k in 0..<c { maxLogit = max(maxLogit, Double(row[k])) }
            var total = 0.0
            for k in 0..<c {
                probabilities[k] = exp(Double(row[k]) - maxLogit)
                total += probabilities[k]
            }
            let logTotal = log(total)
            let t = targets[i]
            var smooth = 0.0
            for k in 0..<c {
                let logP = Double(row[k]) - maxLogit - logTotal
                smooth -= Double(weights[k]) * logP
                probabilities[k] /= total
            }
            let nll = -(Double(row[t]) - maxLogit - logTotal) * Double(weights[t])
            let s = Double(sampleWeights?[i] ?? 1)
            loss += s * ((1 - eps) * nll + eps / Double(c) * smooth)
            if let dLogits {
                // d/dlogit_k of −w·log p_t is w·(p_k − [k = t]); of −Σ_j w_j log p_j it is (Σ_j w_j)·p_k − w_k.
                let sumWeights = weights.reduce(0.0) { $0 + Double($1) }
                for k in 0..<c {
                    let hard = Double(weights[t]) * (probabilities[k] - (k == t ? 1 : 0))
                    let soft = sumWeights * probabilities[k] - Double(weights[k])
                    dLogits[i * c + k] = Float(s * ((1 - eps) * hard + eps / Double(c) * soft) / denominator)
                }
            }
        }
        return Float(loss / denominator)
    }

    /// Mean binary cross-entropy of logits against targets in [0, 1]; writes dLogits.
    public static func bceWithLogits(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, count n: Int, dLogits: UnsafeMutablePointer<Float>?)
        -> Float
    {
        var loss = 0.0
        for i in 0..<n {
            let x = Double(logits[i]), t = Double(targets[i])
            loss += max(x, 0) - x * t + log1p(exp(-abs(x)))
            dLogits?[i] = Float((1 / (1 + exp(-x)) - t) / Double(n))
        }
        return Float(loss / Double(n))
    }

    /// Discriminator hinge loss mean(relu(1 − real)) + mean(relu(1 + fake)); writes both gradients.
    public static func hingeDiscriminator(
        real: UnsafePointer<Float>, realCount: Int, fake: UnsafePointer<Float>, fakeCount: Int,
        dReal: UnsafeMutablePointer<Float>?, dFake: UnsafeMutablePointer<Float>?
    ) -> Float {
        var lossReal = 0.0, lossFake = 0.0
        for i in 0..<realCount {
            lossReal += Double(max(1 - real[i], 0))
            dReal?[i] = real[i] < 1 ? -1 / Float(realCount) : 0
        }
        for i in 0..<fakeCount {
            lossFake += Double(max(1 + fake[i], 0))
            dFake?[i] = fake[i] > -1 ? 1 / Float(fakeCount) : 0
        }
        return Float(lossReal / Double(realCount) + lossFake / Double(fakeCount))
    }

    /// Generator hinge loss −mean(fake); writes its gradient.
    public static func hingeGenerator(fake: UnsafePointer<Float>, count n: Int, dFake: UnsafeMutablePointer<Float>?) -> Float {
        var total = 0.0
        for i in 0..<n {
            total += Double(fake[i])
            dFake?[i] = -1 / Float(n)
        }
        return Float(-total / Double(n))
    }
}
