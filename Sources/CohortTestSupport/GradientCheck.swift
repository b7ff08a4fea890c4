// Finite-difference gradient checking (central differences, loss accumulated in Double). A layer's
// Float32 forward is run at x ± h for sampled elements; the slope is compared with the analytic
// gradient from its backward. On failure the report says which element and by how much.

public enum GradientCheck {
    public struct Report: CustomStringConvertible, Sendable {
        public var name: String
        public var worstError: Double
        public var worstIndex: Int
        public var analytic: Double
        public var numeric: Double
        public var checked: Int
        public var description: String {
            "\(name): worst relative error \(worstError) at element \(worstIndex) (analytic \(analytic), numeric \(numeric); \(checked) elements checked)"
        }
    }

    /// Compares `analytic` (dL/dvalues) with central differences of `loss()` over up to `samples`
    /// elements of `values` (evenly spread). Error = |a − n| / max(|a|, |n|, floor).
    public static func check(
        _ name: String, values: UnsafeMutablePointer<Float>, count: Int, analytic: [Float],
        step: Float = 1e-2, floor: Double = 1e-2, samples: Int = 64, loss: () -> Double
    ) -> Report {
        precondition(analytic.count == count, "GradientCheck \(name): \(analytic.count) gradients for \(count) values")
        var report = Report(name: name, worstError: 0, worstIndex: -1, analytic: 0, numeric: 0, checked: 0)
        let stride = max(1, count / samples)
        var index = 0
        while index < count {
            let saved = values[index]
            values[index] = saved + step
            let plus = loss()
            values[index] = saved - step
            let minus = loss()
            values[index] = saved
            let numeric = (plus - minus) / (2 * Double(step))
            let a = Double(analytic[index])
            let error = abs(a - numeric) / max(abs(a), abs(numeric), floor)
            if error > report.worstError || report.worstIndex < 0 {
                report.worstError = error
                report.worstIndex = index
                report.analytic = a
                report.numeric = numeric
            }
            report.checked += 1
            index += stride
        }
        return report
    }

    /// Σ y·r in Double: the scalar whose gradient with respect to y is r.
    public static func projection(_ y: UnsafePointer<Float>, _ r: [Float]) -> Double {
        var sum = 0.0
        for i in 0..<r.count { sum += Double(y[i]) * Double(r[i]) }
        return sum
    }
}
