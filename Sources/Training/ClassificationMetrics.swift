// Evaluation of a classifier: confusion matrix, accuracy, balanced accuracy, per-class precision /
// recall / F1, macro-F1 and one-vs-rest ROC AUC (scikit-learn's definitions: classification_report,
// balanced_accuracy_score, roc_auc_score(multi_class="ovr", average="macro")).

/// Metrics of predictions against true labels, over `classes` classes.
public struct ClassificationMetrics: Codable, Sendable, Equatable {
    public var classes: [String]
    /// confusion[true][predicted] counts.
    public var confusion: [[Int]]
    public var accuracy: Double
    public var balancedAccuracy: Double
    public var macroF1: Double
    public var precision: [Double]
    public var recall: [Double]
    public var f1: [Double]
    /// Macro average of one-vs-rest ROC AUCs over classes present in the labels (nil without scores).
    public var auc: Double?
    public var perClassAUC: [Double?]?

    enum CodingKeys: String, CodingKey {
        case classes, confusion, accuracy, precision, recall, f1, auc
        case balancedAccuracy = "balanced_accuracy"
        case macroF1 = "macro_f1"
        case perClassAUC = "per_class_auc"
    }

    /// - Parameters:
    ///   - labels: true class per sample.
    ///   - predictions: predicted class per sample.
    ///   - scores: optional per-sample class probabilities [sample][class] for the AUC.
    public init(labels: [Int], predictions: [Int], scores: [[Float]]? = nil, classes: [String]) {
        precondition(labels.count == predictions.count, "metrics: \(labels.count) labels for \(predictions.count) predictions")
        let k = classes.count
        self.classes = classes
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(labels, predictions) { confusion[t][p] += 1 }
        self.confusion = confusion
        let total = labels.count
        let correct = (0..<k).reduce(0) { $0 + confusion[$1][$1] }
        accuracy = total > 0 ? Double(correct) / Double(total) : 0
        var precision = [Double](repeating: 0, count: k), recall = precision, f1 = precision
        var presentRecalls: [Double] = []
        for c in 0..<k {
            let truePositives = Double(confusion[c][c])
            let predicted = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
            let actual = Double(confusion[c].reduce(0, +))
            precision[c] = predicted > 0 ? truePositives / predicted : 0
            recall[c] = actual > 0 ? truePositives / actual : 0
            f1[c] = precision[c] + recall[c] > 0 ? 2 * precision[c] * recall[c] / (precision[c] + recall[c]) : 0
            if actual > 0 { presentRecalls.append(recall[c]) }
        }
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        balancedAccuracy = presentRecalls.isEmpty ? 0 : presentRecalls.reduce(0, +) / Double(presentRecalls.count)
        macroF1 = k > 0 ? f1.reduce(0, +) / Double(k) : 0
        if let scores {
            let perClass: [Double?] = (0..<k).map { c in
                Self.rocAUC(positive: labels.map { $0 == c }, scores: scores.map { Double($0[c]) })
            }
            perClassAUC = perClass
            let defined = perClass.compactMap { $0 }
            auc = defined.isEmpty ? nil : defined.reduce(0, +) / Double(defined.count)
        }
    }

    /// Area under the ROC curve by the rank-sum (Mann–Whitney) formula, ties counted half.
    /// nil when only one class is present.
    public static func rocAUC(positive: [Bool], scores: [Double]) -> Double? {
        let positives = positive.filter { $0 }.count
        let negatives = positive.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let averageRank = Double(i + j) / 2 + 1  // 1-based ranks, ties share their mean
            for t in i...j where positive[order[t]] { rankSum += averageRank }
            i = j + 1
        }
        let u = rankSum - Double(positives) * Double(positives + 1) / 2
        return u / (Double(positives) * Double(negatives))
    }
}
