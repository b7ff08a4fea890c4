// Is real+synthetic better or worse than real-only on the *same* validation images, beyond chance?
// The exact McNemar test on per-image correctness (McNemar 1947; the exact form is the two-sided
// binomial test on the discordant pairs, as statsmodels' `mcnemar(exact=True)` computes it):
// b = images only the first classifier gets right, c = images only the second gets right; under "no
// difference" each discordant image is a fair coin, so p = min(1, 2 · P[Binomial(b + c, ½) ≤ min(b, c)]).
//
// Several seeds: each image's correctness per variant is pooled over the seeds by majority (correct in
// more than half of the seeds); an image where either variant sits exactly at half counts as concordant.
// Pooling per image keeps one observation per validation image, so the test's independence assumption
// (images, not seeds × images) still holds and more seeds make each observation less noisy rather than
// inflating the sample size.
import Foundation

/// The result of comparing two classifiers on the same images.
public struct PairedComparison: Codable, Sendable, Equatable {
    /// Images only the first (baseline) classifier got right.
    public var onlyFirst: Int
    /// Images only the second classifier got right.
    public var onlySecond: Int
    /// Images compared.
    public var images: Int
    /// Two-sided exact McNemar p-value.
    public var pValue: Double

    enum CodingKeys: String, CodingKey {
        case images
        case onlyFirst = "only_first"
        case onlySecond = "only_second"
        case pValue = "p_value"
    }

    /// The significance level used for "helps" and "hurts".
    public static let alpha = 0.05

    /// First vs second from per-image correctness (`first[s][i]`: seed s, image i), pooled over seeds by majority.
    public init(first: [[Bool]], second: [[Bool]]) {
        precondition(!first.isEmpty && first.count == second.count, "paired comparison: seeds differ")
        let n = first[0].count
        precondition(first.allSatisfy { $0.count == n } && second.allSatisfy { $0.count == n }, "paired comparison: image counts differ")
        func pooled(_ runs: [[Bool]], _ i: Int) -> Int {  // 1 correct, -1 wrong, 0 tie
            let correct = runs.reduce(0) { $0 + ($1[i] ? 1 : 0) }
            return 2 * correct > runs.count ? 1 : (2 * correct < runs.count ? -1 : 0)
        }
        var b = 0, c = 0
        for i in 0..<n {
            let (x, y) = (pooled(first, i), pooled(second, i))
            if x == 1 && y == -1 { b += 1 }
            if x == -1 && y == 1 { c += 1 }
        }
        self.init(onlyFirst: b, onlySecond: c, images: n)
    }

    public init(onlyFirst: Int, onlySecond: Int, images: Int) {
        self.onlyFirst = onlyFirst
        self.onlySecond = onlySecond
        self.images = images
        pValue = Self.exactMcNemar(onlyFirst, onlySecond)
    }

    /// p = min(1, 2 · Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c)), summed in log space (exact to double rounding).
    public static func exactMcNemar(_ b: Int, _ c: Int) -> Double {
        let n = b + c
        guard n > 0 else { return 1 }
        let k = min(b, c)
        let logHalfPower = Double(n) * log(0.5)
        var terms: [Double] = []
        for i in 0...k { terms.append(logBinomial(n, i) + logHalfPower) }
        let top = terms.max()!
        let tail = exp(top) * terms.reduce(0) { $0 + exp($1 - top) }
        return min(1, 2 * tail)
    }

    static func logBinomial(_ n: Int, _ k: Int) -> Double {
        lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
    }

    /// The same test restricted to each class's images (a change in that class's recall), by class name.
    public static func byClass(first: [[Bool]], second: [[Bool]], labels: [Int], classes: [String]) -> [String: PairedComparison] {
        var result: [String: PairedComparison] = [:]
        for (c, name) in classes.enumerated() {
            let members = labels.indices.filter { labels[$0] == c }
            guard !members.isEmpty else { continue }
            result[name] = PairedComparison(
                first: first.map { run in members.map { run[$0] } }, second: second.map { run in members.map { run[$0] } })
        }
        return result
    }

    /// Holm's step-down correction (Holm 1979) of several tests at family-wise level `alpha`: which
    /// p-values are rejected. Used when one report tests every class.
    public static func holmRejections(_ pValues: [Double], alpha: Double = PairedComparison.alpha) -> [Bool] {
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var rejected = [Bool](repeating: false, count: pValues.count)
        for (rank, i) in order.enumerated() {
            guard pValues[i] <= alpha / Double(pValues.count - rank) else { break }
            rejected[i] = true
        }
        return rejected
    }

    /// The second classifier is better beyond chance.
    public var secondBetter: Bool { onlySecond > onlyFirst && pValue < Self.alpha }
    /// The second classifier is worse beyond chance.
    public var secondWorse: Bool { onlyFirst > onlySecond && pValue < Self.alpha }

    /// "helps (p = …)", "hurts (p = …)" or "no significant difference (p = …)", from the second's side.
    public var verdict: String {
        let p = pValue < 0.001 ? "p < 0.001" : String(format: "p = %.3f", pValue)
        let counts = "\(onlySecond) vs \(onlyFirst) discordant images of \(images), exact McNemar"
        if secondBetter { return "helps (\(p); \(counts))" }
        if secondWorse { return "hurts (\(p); \(counts))" }
        return "no significant difference (\(p); \(counts))"
    }
}

/// Mean and sample standard deviation of one figure over seeds.
public struct SeedStatistic: Codable, Sendable, Equatable {
    public var mean: Double
    public var standardDeviation: Double
    public var values: [Double]

    enum CodingKeys: String, CodingKey {
        case mean, values
        case standardDeviation = "sd"
    }

    public init(_ values: [Double]) {
        self.values = values
        mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        let m = mean
        standardDeviation = values.count < 2 ? 0 : (values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count - 1)).squareRoot()
    }

    /// "77.9 ± 1.2%" (or "77.9%" for one seed).
    public var percent: String {
        values.count < 2 ? String(format: "%.1f%%", mean * 100) : String(format: "%.1f ± %.1f%%", mean * 100, standardDeviation * 100)
    }
}
