import BLAS
import Kernels
import Models
import NN
import Tensor

// `cohort bench train`: throughput of the benchmark models' training and inference steps, printed in
// the same JSON as bench/torch_reference.py so the two compare directly (make bench prints ratios).
#if canImport(Glibc)
    import Glibc
#endif

public enum TrainingBenchmark {
    public struct Result: Codable, Sendable {
        public var model: String
        public var threads: Int
        public var batch: Int
        public var trainImagesPerSecond: Double
        public var inferenceImagesPerSecond: Double
        public var peakRSSBytes: Int
        /// Achieved training GFLOP/s.
        public var gflops: Double
        public var trainGflopPerImage: Double
        public var steps: Int

        enum CodingKeys: String, CodingKey {
            case model, threads, batch, gflops, steps
            case trainImagesPerSecond = "train_images_per_second"
            case inferenceImagesPerSecond = "inference_images_per_second"
            case peakRSSBytes = "peak_rss_bytes"
            case trainGflopPerImage = "train_gflop_per_image"
        }
    }

    public enum Model: String, Sendable, CaseIterable {
        case cgan
        case classifier
    }

    /// Times `steps` training steps and as many inference batches after 3 warm-up steps each;
    /// throughput = batch / median step time.
    public static func run(model: Model, batch: Int, steps: Int, threads: Int) -> Result {
        // Kernels split work (GEMMs included) over `Parallel.workers`; OpenBLAS itself stays single-threaded.
        Parallel.workers = max(1, threads)
        GEMM.useSingleThreadedBLAS()
        var rng = RandomGenerator(seed: 1234)
        switch model {
        case .cgan:
            let step = GANTrainingStep(generator: Generator(seed: 1), discriminator: Discriminator(seed: 2))
            let real = randomImages(batch, size: 64, rng: &rng)
            let z = Tensor(shape: [batch, 128])
            let labels = (0..<batch).map { $0 % 4 }
            let train = medianSeconds(steps) {
                for i in 0..<z.count { z[i] = rng.normal() }
                step.run(real: real, labels: labels, z: z, fakeLabels: labels.reversed())
            }
            let infer = medianSeconds(steps) { _ = step.generator.forward(z: z, labels: labels, mode: .inference, slot: 3) }
            return result(model, threads, batch, steps, train, infer, flops: step.flopsPerImage)
        case .classifier:
            let step = ClassifierTrainingStep(model: Classifier(seed: 1))
            let images = randomImages(batch, size: 128, rng: &rng)
            let labels = (0..<batch).map { $0 % 4 }
            let train = medianSeconds(steps) { step.run(images: images, labels: labels) }
            let infer = medianSeconds(steps) { _ = step.model.forward(images, mode: .inference, slot: 1) }
            return result(model, threads, batch, steps, train, infer, flops: step.flopsPerImage(size: 128))
        }
    }

    static func result(_ model: Model, _ threads: Int, _ batch: Int, _ steps: Int, _ train: Double, _ infer: Double, flops: Double) -> Result {
        let trainRate = Double(batch) / train
        return Result(
            model: model.rawValue, threads: threads, batch: batch, trainImagesPerSecond: trainRate,
            inferenceImagesPerSecond: Double(batch) / infer, peakRSSBytes: peakRSS(), gflops: trainRate * flops / 1e9,
            trainGflopPerImage: flops / 1e9, steps: steps)
    }

    static func randomImages(_ n: Int, size: Int, rng: inout RandomGenerator) -> Tensor {
        let t = Tensor(shape: [n, size, size, 1])
        for i in 0..<t.count { t[i] = rng.uniform(-1, 1) }
        return t
    }

    static func medianSeconds(_ steps: Int, _ body: () -> Void) -> Double {
        for _ in 0..<3 { body() }
        var times: [Double] = []
        for _ in 0..<max(1, steps) {
            let start = SgemmBenchmark.monotonicSeconds()
            body()
            times.append(SgemmBenchmark.monotonicSeconds() - start)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// Peak resident set size of this process (getrusage's ru_maxrss is in KiB on Linux).
    public static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
    }
}
