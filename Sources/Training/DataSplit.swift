// The train/validation split: by a hash of each image's pixels, so it never changes when images are
// added, and by near-duplicate group, so copies never straddle it. A group is validation only if every
// member's own hash says validation: when a new copy joins a group the group can move to train, never
// from train to validation, so an image that was trained on never becomes a validation image.

public enum DataSplit: String, Codable, Sendable {
    case train
    case validation

    /// The side a single content hash (hex SHA-256) falls on, for a validation fraction in [0, 1].
    public static func side(ofContentHash hash: String, validationFraction: Double) -> DataSplit {
        // The first 8 hex digits as a number in [0, 2³²).
        let prefix = UInt64(hash.prefix(8), radix: 16) ?? 0
        return Double(prefix) / 4_294_967_296.0 < validationFraction ? .validation : .train
    }

    /// Sides for images with `contentHashes` grouped by `groups` (a group id per image).
    public static func assign(contentHashes: [String], groups: [Int], validationFraction: Double) -> [DataSplit] {
        var groupIsValidation: [Int: Bool] = [:]
        for (i, hash) in contentHashes.enumerated() {
            let own = side(ofContentHash: hash, validationFraction: validationFraction) == .validation
            groupIsValidation[groups[i]] = (groupIsValidation[groups[i]] ?? true) && own
        }
        return groups.map { groupIsValidation[$0]! ? .validation : .train }
    }
}
