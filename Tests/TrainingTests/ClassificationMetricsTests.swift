// Metrics against hand-computed values (scikit-learn's definitions).
import Testing

@testable import Training

@Suite struct ClassificationMetricsTests {
    @Test func confusionAndPerClassFigures() {
        // true:      0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        let m = ClassificationMetrics(labels: [0, 0, 0, 1, 1, 2], predictions: [0, 0, 1, 1, 2, 2], classes: ["a", "b", "c"])
        #expect(m.confusion == [[2, 1, 0], [0, 1, 1], [0, 0, 1]])
        #expect(abs(m.accuracy - 4.0 / 6) < 1e-12)
        #expect(m.recall.map { ($0 * 1000).rounded() / 1000 } == [0.667, 0.5, 1])
        #expect(m.precision.map { ($0 * 1000).rounded() / 1000 } == [1, 0.5, 0.5])
        #expect(abs(m.balancedAccuracy - (2.0 / 3 + 0.5 + 1) / 3) < 1e-12)
        let f1 = [0.8, 0.5, 2.0 / 3]
        #expect(zip(m.f1, f1).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(m.macroF1 - f1.reduce(0, +) / 3) < 1e-12)
    }

    @Test func rocAUCWithTies() {
        #expect(ClassificationMetrics.rocAUC(positive: [false, false, true, true], scores: [0.1, 0.4, 0.35, 0.8]) == 0.75)
        #expect(ClassificationMetrics.rocAUC(positive: [false, true], scores: [0.5, 0.5]) == 0.5)
        #expect(ClassificationMetrics.rocAUC(positive: [true, true], scores: [0.5, 0.6]) == nil)
    }

    @Test func macroAUCOverPresentClasses() {
        let scores: [[Float]] = [[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.4, 0.6]]
        let m = ClassificationMetrics(labels: [0, 0, 1, 1], predictions: [0, 0, 1, 1], scores: scores, classes: ["x", "y"])
        #expect(m.auc == 1)
        #expect(m.accuracy == 1 && m.balancedAccuracy == 1 && m.macroF1 == 1)
    }
}
