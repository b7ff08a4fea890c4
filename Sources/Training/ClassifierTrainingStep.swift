// One classifier update: forward in training mode, softmax cross-entropy with label smoothing (and
// optional class weights), backward, optional global-norm clipping, AdamW step.
import Kernels
import Models
import NN
import Tensor

public final class ClassifierTrainingStep {
    public let model: Classifier
    public let optimizer: Adam
    public var labelSmoothing: Float
    public var classWeights: [Float]?
    public var clipNorm: Float?
    private var dLogits: Tensor?

    public init(model: Classifier, learningRate: Float = 1e-3, weightDecay: Float = 0.05, labelSmoothing: Float = 0.1) {
        self.model = model
        optimizer = Adam.adamW(parameterCount: model.store.parameterCount, learningRate: learningRate, weightDecay: weightDecay)
        self.labelSmoothing = labelSmoothing
    }

    /// One step on images [N, S, S, 1]; returns the loss. `sampleWeights` (one per image) weight the
    /// images' loss terms against each other (nil: all 1).
    @discardableResult
    public func run(images: Tensor, labels: [Int], sampleWeights: [Float]? = nil) -> Float {
        model.store.zeroGradients()
        let logits = model.forward(images, mode: .training)
        let d = reuse(&dLogits, logits.shape)
        let loss = LossKernel.crossEntropy(
            logits: logits.data, targets: labels, classes: model.configuration.classes,
            classWeights: classWeights, sampleWeights: sampleWeights, labelSmoothing: labelSmoothing, dLogits: d.data)
        model.backward(d)
        if let clipNorm { GradientClipping.clipGlobalNorm(model.store, maxNorm: clipNorm) }
        optimizer.update(model.store)
        return loss
    }

    /// Training FLOPs per image of `size` px: forward plus a backward of twice its cost.
    public func flopsPerImage(size: Int) -> Double { 3 * 2 * Double(model.macsPerImage(size: size)) }
}
