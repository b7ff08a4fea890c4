// The balance policy: per class, the target count, the deficit and how many synthetic samples to
// publish (pure arithmetic, table-tested), and which classes are withheld. With target `largest` it is
// MixingPolicy's symmetric rule: every class is filled to largest × (1 + balance.synthetic_share).
import Catalog
import Foundation

/// The balance of one class.
public struct ClassBalance: Sendable, Equatable, Codable {
    public var className: String
    /// Active real images (exact duplicates counted once).
    public var real: Int
    public var target: Int
    /// target − real, never negative.
    public var deficit: Int
    /// Synthetic samples the class should have: the deficit, capped by max_synthetic_per_real × real,
    /// and 0 for a suppressed class or a class without real images (nothing to learn it from).
    public var wanted: Int
    /// Below target by more than the tolerance.
    public var underTarget: Bool
    /// Withheld because synthetic data hurt this class (publish_when_harmful: false).
    public var suppressed: Bool
}

extension BalanceSettings {
    /// Classes whose synthetic samples are withheld: those a report found harmed, unless
    /// `publish_when_harmful` is on. A stored list that does not decode is an error, never "nothing
    /// withheld": the harm gate fails closed (nothing is published or scheduled for the dataset until the
    /// next report rewrites the list), and the error names the dataset and the stored text.
    func withheld(_ record: DatasetStateRecord) throws(WithheldClassesError) -> Set<String> {
        guard !publishWhenHarmful else { return [] }
        do { return Set(try record.withheldClasses()) } catch { throw WithheldClassesError(damage: error) }
    }
}

/// The catalog's list of withheld classes for a dataset is damaged.
struct WithheldClassesError: Error, CustomStringConvertible {
    var damage: CatalogValueError
    var description: String {
        "\(damage); nothing is published for this dataset until a classifier report rewrites it (cohortctl train classifier)"
    }
}

public enum BalancePolicy {
    /// Balance of every class of a dataset from its real counts.
    public static func balance(realCounts: [String: Int], settings: BalanceSettings, suppressed: Set<String> = []) -> [ClassBalance] {
        let target: Int
        switch settings.target {
        // The symmetric policy (MixingPolicy): the largest class gets synthetic samples too.
        case .largest: target = Int((Double(realCounts.values.max() ?? 0) * (1 + settings.syntheticShare)).rounded())
        case .fixed(let n): target = n
        }
        let names = realCounts.keys.sorted()
        // With target `largest` the counts are MixingPolicy's, the rule `cohort experiment` uses.
        let byPolicy: [String: Int]? = {
            guard case .largest = settings.target else { return nil }
            return Dictionary(uniqueKeysWithValues: zip(names, settings.mixingPolicy.syntheticCounts(realCounts: names.map { realCounts[$0]! })))
        }()
        return names.map { name in
            let real = realCounts[name]!
            let deficit = max(0, target - real)
            let cap = Int((Double(real) * settings.maxSyntheticPerReal).rounded(.down))
            let isSuppressed = suppressed.contains(name)
            let wanted = (real == 0 || isSuppressed) ? 0 : (byPolicy?[name] ?? min(deficit, cap))
            let under = Double(deficit) > settings.tolerance * Double(target)
            return ClassBalance(
                className: name, real: real, target: target, deficit: deficit, wanted: wanted,
                underTarget: under, suppressed: isSuppressed)
        }
    }
}
