// Keeping the best GAN checkpoint instead of the last one (issue 13, "schedule and selection"). The
// judge is the classification accuracy score (CAS: per-class recall on real validation images of a
// classifier that saw synthetic images only; Ravuri & Vinyals 2019), computed cheaply enough to run every
// few hundred steps: the "classifier" is k nearest neighbours among the samples' features in the fixed
// feature network (the real-only classifier the experiment also uses for FCD), so no network is trained
// per evaluation. Samples are drawn as for publishing, near-copies of real training images rejected, so a
// generator that memorises its few rare-class images loses that class's neighbours instead of gaining them.
import Foundation

/// Per-class recall of a k-nearest-neighbour rule fitted on synthetic features and applied to real ones.
public enum NeighbourCAS {
    /// For every real feature row, the majority class among its `k` nearest sample rows (squared Euclidean
    /// distance; ties between classes go to the class of the nearest of the tied neighbours); returns the
    /// per-class recall over the real rows (0 for a class with real rows but no samples able to win; NaN for
    /// a class without real rows).
    public static func recall(real: [[Float]], realLabels: [Int], samples: [[Float]], sampleLabels: [Int], classes: Int, k: Int = 5) -> [Double] {
        precondition(real.count == realLabels.count && samples.count == sampleLabels.count, "NeighbourCAS: rows and labels differ in count")
        var hits = [Int](repeating: 0, count: classes), totals = hits
        let neighbours = min(k, samples.count)
        for (row, label) in zip(real, realLabels) {
            totals[label] += 1
            guard neighbours > 0 else { continue }
            // The k smallest distances by insertion into a short sorted list (k is small).
            var nearest: [(distance: Float, label: Int)] = []
            for (sample, sampleLabel) in zip(samples, sampleLabels) {
                var d: Float = 0
                for j in 0..<row.count { let e = row[j] - sample[j]; d += e * e }
                if nearest.count == neighbours, d >= nearest[neighbours - 1].distance { continue }
                let at = nearest.firstIndex { d < $0.distance } ?? nearest.count
                nearest.insert((d, sampleLabel), at: at)
                if nearest.count > neighbours { nearest.removeLast() }
            }
            var votes = [Int](repeating: 0, count: classes)
            for n in nearest { votes[n.label] += 1 }
            let top = votes.max()!
            let predicted = nearest.first { votes[$0.label] == top }!.label
            if predicted == label { hits[label] += 1 }
        }
        return (0..<classes).map { totals[$0] == 0 ? .nan : Double(hits[$0]) / Double(totals[$0]) }
    }
}

/// Scores a GAN's current EMA generator by neighbour CAS in a fixed feature network.
public struct GeneratorSelection {
    /// One evaluation during training.
    public struct Point: Codable, Sendable, Equatable {
        public var step: Int
        /// Neighbour-CAS recall per class name.
        public var recall: [String: Double]
        /// The mean over classes with real validation images: what selection maximises.
        public var score: Double
        /// Binomial standard error of `score`, √(Σ_c r_c(1 − r_c)/n_c) / C over the C classes with n_c real
        /// images (nil in traces written before it was recorded).
        public var standardError: Double?

        /// "81.0% (bacterial 81.9%, normal 96.1%, …)": the score and each class's recall, for logs.
        public var summary: String {
            String(format: "%.1f%%", score * 100) + " ("
                + recall.keys.sorted().map { "\($0) \(String(format: "%.1f%%", recall[$0]! * 100))" }.joined(separator: ", ") + ")"
        }
    }

    /// Which checkpoint to keep, offered the evaluations in training order: the **latest** one scoring within
    /// one standard error of the best so far (Breiman's one-standard-error rule). Neighbour CAS on ~1,000
    /// validation images moves by about a point from sampling alone, so the strict maximum would often keep
    /// an earlier, less-trained generator for noise; this keeps training's progress unless an earlier
    /// checkpoint was clearly better.
    public struct Choice: Sendable {
        /// The highest-scoring evaluation so far.
        public private(set) var best: Point?
        /// The evaluation to keep.
        public private(set) var chosen: Point?

        public init() {}

        /// Offers the next evaluation; true when it becomes the one to keep (the caller snapshots it).
        public mutating func offer(_ point: Point) -> Bool {
            if best == nil || point.score > best!.score { best = point }
            guard point.score >= best!.score - (best!.standardError ?? 0) else { return false }
            chosen = point
            return true
        }

        /// Offers the evaluation of `gan`'s current state and, when it becomes the one to keep, saves `gan` to
        /// `snapshotPath` — except after the final evaluation (`isFinal`), where `gan` itself is that state.
        public mutating func offer(_ point: Point, of gan: GANTrainer, snapshotPath: String, isFinal: Bool) throws {
            if offer(point), !isFinal { try GANCheckpoint.save(gan, to: snapshotPath) }
        }

        /// The trainer holding the kept state: `gan` when the kept evaluation is its current iteration (or
        /// nothing was offered), else the snapshot at `snapshotPath` loaded by `resume`.
        public func keptTrainer(_ gan: GANTrainer, snapshotPath: String, resume: (String) throws -> GANTrainer) throws -> GANTrainer {
            guard let chosen, chosen.step != gan.iteration else { return gan }
            return try resume(snapshotPath)
        }
    }

    let featureNetwork: ClassifierTrainer
    let realFeatures: [[Float]]
    let realLabels: [Int]
    /// Real validation images per class: the denominators of the recalls and of their standard error.
    let realCounts: [Int]
    let realOfClass: [[[Float]]]
    public let samplesPerClass: Int
    public let k: Int
    public let seed: UInt64

    /// - Parameters:
    ///   - realValidation: the real images recall is measured on (a validation split, never a test set).
    ///   - realTrain: the GAN's training images, the near-copy reference.
    public init(
        featureNetwork: ClassifierTrainer, realValidation: LabeledImages, realTrain: LabeledImages, samplesPerClass: Int = 128, k: Int = 5,
        seed: UInt64 = 0x5E1EC7
    ) {
        self.featureNetwork = featureNetwork
        realFeatures = featureNetwork.features(realValidation)
        realLabels = realValidation.labels
        realCounts = realValidation.classes.indices.map { c in realValidation.labels.filter { $0 == c }.count }
        realOfClass = realTrain.classes.indices.map { realTrain.rows(ofClass: $0) }
        self.samplesPerClass = samplesPerClass
        self.k = k
        self.seed = seed
    }

    /// Draws `samplesPerClass` non-copy samples per class from `gan`'s EMA generator (the same seeds at
    /// every evaluation, so checkpoints are compared on the same latents) and scores them.
    public func evaluate(_ gan: GANTrainer) -> Point {
        var samples = LabeledImages(size: gan.generator.configuration.imageSize, classes: gan.classes)
        for c in gan.classes.indices where !realOfClass[c].isEmpty {
            let drawn = SyntheticDrawing.draw(
                label: c, count: samplesPerClass, gan: gan, realOfClass: realOfClass[c], seed: seed &+ UInt64(c) &* 1_000_003)
            for sample in drawn.accepted { samples.append(sample.pixels[...], label: c, path: "synthetic") }
        }
        let recall = NeighbourCAS.recall(
            real: realFeatures, realLabels: realLabels, samples: samples.count > 0 ? featureNetwork.features(samples) : [],
            sampleLabels: samples.labels, classes: gan.classes.count, k: k)
        let measured = recall.indices.filter { !recall[$0].isNaN }
        var byName: [String: Double] = [:]
        for (name, value) in zip(gan.classes, recall) where !value.isNaN { byName[name] = value }
        let variance = measured.reduce(0.0) { $0 + recall[$1] * (1 - recall[$1]) / Double(realCounts[$1]) }
        let classes = Double(max(1, measured.count))
        return Point(
            step: gan.iteration, recall: byName, score: measured.reduce(0.0) { $0 + recall[$1] } / classes,
            standardError: variance.squareRoot() / classes)
    }

    /// Trains `gan` for `steps` more iterations, evaluating every `every` steps (and at the end); keeps a
    /// checkpoint of the state `Choice` keeps at `snapshotPath` and returns the trainer to use — that one
    /// (resumed from the snapshot) or `gan` itself when the last evaluation is kept — with every point.
    /// `train(gan, n)` runs n iterations (the caller's progress reporting stays its own).
    public func trainSelecting(
        _ gan: GANTrainer, steps: Int, every: Int, snapshotPath: String, train: (GANTrainer, Int) -> Void,
        log: (String) -> Void = { _ in }
    ) throws -> (trainer: GANTrainer, points: [Point], kept: Point) {
        try Self.trainSelecting(gan, steps: steps, every: every, snapshotPath: snapshotPath, train: train, evaluate: evaluate, log: log)
    }

    /// The selection loop with any judge `evaluate` (the instance method's is neighbour CAS) under `Choice`'s rule.
    public static func trainSelecting(
        _ gan: GANTrainer, steps: Int, every: Int, snapshotPath: String, train: (GANTrainer, Int) -> Void,
        evaluate: (GANTrainer) -> Point, log: (String) -> Void = { _ in }
    ) throws -> (trainer: GANTrainer, points: [Point], kept: Point) {
        precondition(every > 0, "GeneratorSelection: evaluate every ≥ 1 steps")
        var points: [Point] = []
        var choice = Choice()
        var done = 0
        while done < steps {
            let chunk = min(every, steps - done)
            train(gan, chunk)
            done += chunk
            let point = evaluate(gan)
            points.append(point)
            log("gan selection: step \(point.step) neighbour CAS \(point.summary)")
            try choice.offer(point, of: gan, snapshotPath: snapshotPath, isFinal: done >= steps)
        }
        guard let kept = choice.chosen else { return (gan, points, evaluate(gan)) }
        return (try choice.keptTrainer(gan, snapshotPath: snapshotPath) { try GANCheckpoint.resume(from: $0) }, points, kept)
    }
}
