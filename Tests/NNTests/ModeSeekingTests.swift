// MSGAN's mode-seeking term (Kernels.ModeSeekingKernel): the loss and its image gradient against
// bench/torch_models.py's mode_seeking_loss (Tests/Fixtures/mode_seeking.safetensors), against central
// differences, and its meaning: pairs that coincide (a collapsed generator) cost more than pairs apart.
import CohortTestSupport
import Kernels
import Tensor
import Testing

@Suite struct ModeSeekingTests {
    func loss(_ x: [Float], _ z: [Float], pairs: Int, gradient: UnsafeMutablePointer<Float>? = nil) -> Float {
        ModeSeekingKernel.forward(
            images: x, imageSize: x.count / (2 * pairs), latents: z, latentSize: z.count / (2 * pairs), pairs: pairs,
            accumulatingInto: gradient)
    }

    @Test func matchesPyTorch() throws {
        let file = try Fixtures.load("mode_seeking.safetensors")
        var log: [String] = []
        for name in ["spread", "collapsed"] {
            let x = file.floats("\(name).x"), z = file.floats("\(name).z")
            var g = [Float](repeating: 0, count: x.count)
            let y = loss(x, z, pairs: 3, gradient: &g)
            _ = expectMatches([y], file, "\(name).y", log: &log)
            _ = expectMatches(g, file, "\(name).gx", log: &log)
            // It accumulates, scaled: onto an upstream gradient u, u + 0.5 · dL.
            let upstream = (0..<x.count).map { Float($0 % 7) - 3 }
            var sum = upstream
            _ = ModeSeekingKernel.forward(
                images: x, imageSize: x.count / 6, latents: z, latentSize: z.count / 6, pairs: 3, scale: 0.5, accumulatingInto: &sum)
            #expect(zip(sum, zip(upstream, g)).allSatisfy { abs($0 - ($1.0 + 0.5 * $1.1)) <= 1e-6 * max(1, abs($0)) }, "\(name)")
        }
        #expect(file.floats("collapsed.y")[0] > 10 * file.floats("spread.y")[0], "near-identical pairs cost more")
    }

    @Test func gradientMatchesFiniteDifferences() {
        var rng = RandomGenerator(seed: 11)
        var x = (0..<(4 * 9)).map { _ in rng.uniform(-1, 1) }
        let z = (0..<(4 * 5)).map { _ in rng.normal() }
        var analytic = [Float](repeating: 0, count: x.count)
        _ = loss(x, z, pairs: 2, gradient: &analytic)
        let report = x.withUnsafeMutableBufferPointer { values in
            GradientCheck.check("mode seeking", values: values.baseAddress!, count: values.count, analytic: analytic, step: 1e-3, samples: 36) {
                Double(loss(Array(values), z, pairs: 2))
            }
        }
        #expect(report.worstError < 1e-2, "\(report)")
        // The gradient pushes each pair apart: moving along −gradient raises the images' distance.
        let before = zip(x[0..<18], x[18..<36]).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
        for i in x.indices { x[i] -= 0.01 * analytic[i] / (analytic.map(abs).max() ?? 1) }
        let after = zip(x[0..<18], x[18..<36]).reduce(Float(0)) { $0 + abs($1.0 - $1.1) }
        #expect(after > before)
    }
}
