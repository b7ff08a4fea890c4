// How good synthetic samples are, measured the same way by `cohort experiment` and cohortd's reports:
// - FCD per class: the Fréchet distance between the real *validation* images of a class and its synthetic
//   samples, in the penultimate features of one fixed network (the real-only classifier; in an experiment
//   the first seed's) — validation images, not training images, so a generator that memorised its
//   training set is not rewarded;
// - diversity per class: the synthetic samples' pixel spread over the real training images' spread
//   (below ~0.4 the generator repeats itself).
import Foundation

public enum SyntheticQuality {
    /// FCD per class name, for classes with at least two real validation images and two samples.
    public static func fcd(featureNetwork: ClassifierTrainer, realValidation: LabeledImages, synthetic: LabeledImages) -> [String: Double] {
        var result: [String: Double] = [:]
        for (c, name) in realValidation.classes.enumerated() {
            let real = realValidation.labels.indices.filter { realValidation.labels[$0] == c }
            let samples = synthetic.labels.indices.filter { synthetic.labels[$0] == c }
            guard real.count >= 2, samples.count >= 2 else { continue }
            result[name] = FrechetDistance.between(
                featureNetwork.features(realValidation.subset(real)),
                featureNetwork.features(synthetic.subset(samples)))
        }
        return result
    }

    /// Mean pairwise Euclidean distance of the synthetic samples' features ÷ that of the real validation
    /// images', per class, in the fixed network (at most `limit` images a side, the first ones): near 1 the
    /// samples vary as much as scans do in what the classifier sees; near 0 they are one image repeated.
    /// Pixel spread misses a generator that varies brightness but not anatomy; this does not.
    public static func featureDiversity(
        featureNetwork: ClassifierTrainer, realValidation: LabeledImages, synthetic: LabeledImages,
        limit: Int = 200
    ) -> [String: Double] {
        func meanPairwiseDistance(_ rows: [[Float]]) -> Double {
            guard rows.count >= 2 else { return 0 }
            var total = 0.0, pairs = 0
            for i in 0..<rows.count {
                for j in (i + 1)..<rows.count {
                    var squared = 0.0
                    for k in 0..<rows[i].count { let d = Double(rows[i][k] - rows[j][k]); squared += d * d }
                    total += squared.squareRoot()
                    pairs += 1
                }
            }
            return total / Double(pairs)
        }
        var result: [String: Double] = [:]
        for (c, name) in realValidation.classes.enumerated() {
            let real = Array(realValidation.labels.indices.filter { realValidation.labels[$0] == c }.prefix(limit))
            let samples = Array(synthetic.labels.indices.filter { synthetic.labels[$0] == c }.prefix(limit))
            guard real.count >= 2, samples.count >= 2 else { continue }
            let realSpread = meanPairwiseDistance(featureNetwork.features(realValidation.subset(real)))
            if realSpread > 0 { result[name] = meanPairwiseDistance(featureNetwork.features(synthetic.subset(samples))) / realSpread }
        }
        return result
    }

    /// Synthetic spread ÷ real spread per class name (classes with ≥ 2 of each).
    public static func diversity(realTrain: LabeledImages, synthetic: LabeledImages) -> [String: Double] {
        var result: [String: Double] = [:]
        for (c, name) in realTrain.classes.enumerated() {
            let samples = synthetic.labels.indices.filter { synthetic.labels[$0] == c }
            let real = realTrain.labels.indices.filter { realTrain.labels[$0] == c }
            let realSpread = ImageSpread.of(realTrain, indices: real)
            if samples.count >= 2 && realSpread > 0 { result[name] = ImageSpread.of(synthetic, indices: samples) / realSpread }
        }
        return result
    }
}

/// Spread of a set of images: the mean over pixels of the per-pixel standard deviation across images.
public enum ImageSpread {
    public static func of(_ images: LabeledImages, indices: [Int]) -> Double {
        guard indices.count >= 2 else { return 0 }
        let pixels = images.size * images.size
        var sum = [Double](repeating: 0, count: pixels), squares = sum
        for i in indices {
            for p in 0..<pixels {
                let v = Double(images.pixels[i * pixels + p])
                sum[p] += v
                squares[p] += v * v
            }
        }
        let n = Double(indices.count)
        var total = 0.0
        for p in 0..<pixels { total += max(0, squares[p] / n - (sum[p] / n) * (sum[p] / n)).squareRoot() }
        return total / Double(pixels)
    }
}
