// The batch-tiled convolution paths (used at training batch sizes) against the whole-batch paths
// (used by the small-batch gradient and fixture tests): same outputs and gradients.
import Kernels
import NN
import Tensor
import Testing

@Suite struct TiledKernelTests {
    /// Runs forward + backward of a fresh layer built by `make` and returns output, dx and all gradients.
    func run(_ input: Tensor, make: (ParameterStore, Workspace, inout RandomGenerator) -> Layer) -> ([Float], [Float], [Float]) {
        var rng = RandomGenerator(seed: 31)
        let store = ParameterStore()
        let layer = make(store, Workspace(), &rng)
        store.finalize()
        let y = layer.forward(input, mode: .training)
        let out = y.array
        store.zeroGradients()
        let dx = layer.backward(randomTensor(y.shape, seed: 32)).array
        return (out, dx, store.gradients.array)
    }

    func compare(_ name: String, input: Tensor, make: (ParameterStore, Workspace, inout RandomGenerator) -> Layer) {
        let whole = run(input, make: make)
        let tiled = TileSizing.$forcedImagesPerTile.withValue(1) { run(input, make: make) }
        for (label, a, b) in [("y", tiled.0, whole.0), ("dx", tiled.1, whole.1), ("grads", tiled.2, whole.2)] {
            let scale = b.map { abs($0) }.max() ?? 1
            let error = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(error <= 1e-5 * max(scale, 1e-6), "\(name) \(label): tiled differs by \(error) (scale \(scale))")
        }
    }

    @Test func conv2DTiledMatchesWholeBatch() {
        compare("conv k3 s1", input: randomTensor([5, 7, 6, 3], seed: 33)) { store, workspace, rng in
            Conv2D("c", store: store, workspace: workspace, inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1, bias: true, rng: &rng)
        }
        compare("conv k4 s2", input: randomTensor([5, 8, 8, 4], seed: 34)) { store, workspace, rng in
            Conv2D("c", store: store, workspace: workspace, inChannels: 4, outChannels: 6, kernel: 4, stride: 2, padding: 1, bias: false, rng: &rng)
        }
    }

    @Test func convTranspose2DTiledMatchesWholeBatch() {
        compare("convT", input: randomTensor([5, 4, 3, 4], seed: 35)) { store, workspace, rng in
            ConvTranspose2D(
                "t", store: store, workspace: workspace, inChannels: 4, outChannels: 3, kernel: 4, stride: 2, padding: 1, bias: true, rng: &rng)
        }
    }
}
