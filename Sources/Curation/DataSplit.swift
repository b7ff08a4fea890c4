// The train/validation split: by a hash of each image's pixels, so it never changes when images are
// added, and by near-duplicate group, so copies never straddle it. A group is validation only if every
// member's own hash says validation: when a new copy joins a group the group can move to train, never
// from train to validation, so an image that was trained on never becomes a validation image.
// A group with a name (a patient or series key from `GroupPattern`) goes by the hash of its smallest key
// instead: a patient with ten images would otherwise almost never be validation (0.2¹⁰), and a new image
// of a known patient joins the side the patient is already on.
import ContentHash
import Foundation

public enum DataSplit: String, Codable, Sendable {
    case train
    case validation

    /// The side a single content hash (hex SHA-256) falls on, for a validation fraction in [0, 1].
    public static func side(ofContentHash hash: String, validationFraction: Double) -> DataSplit {
        // The first 8 hex digits as a number in [0, 2³²).
        let prefix = UInt64(hash.prefix(8), radix: 16) ?? 0
        return Double(prefix) / 4_294_967_296.0 < validationFraction ? .validation : .train
    }

    /// The side of a named group (a patient or series key).
    public static func side(ofGroupKey key: String, validationFraction: Double) -> DataSplit {
        let hash = SHA256Hasher.hex(of: "group:\(key)")
        return side(ofContentHash: hash, validationFraction: validationFraction)
    }

    /// The side of one group from its members' content hashes and group keys (nil: no key).
    public static func side(contentHashes: [String], keys: [String?], validationFraction: Double) -> DataSplit {
        if let key = keys.compactMap({ $0 }).min() { return side(ofGroupKey: key, validationFraction: validationFraction) }
        let all = contentHashes.allSatisfy { side(ofContentHash: $0, validationFraction: validationFraction) == .validation }
        return all ? .validation : .train
    }

    /// Sides for images with `contentHashes` grouped by `groups` (a group id per image) and optional keys.
    public static func assign(contentHashes: [String], groups: [Int], keys: [String?]? = nil, validationFraction: Double) -> [DataSplit] {
        var members: [Int: [Int]] = [:]
        for (i, g) in groups.enumerated() { members[g, default: []].append(i) }
        var sides: [Int: DataSplit] = [:]
        for (g, indices) in members {
            sides[g] = side(
                contentHashes: indices.map { contentHashes[$0] }, keys: indices.map { keys?[$0] ?? nil },
                validationFraction: validationFraction)
        }
        return groups.map { sides[$0]! }
    }
}
