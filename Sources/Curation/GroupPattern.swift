// Group keys from file names: the images of one patient (or study) must stay on one side of the
// train/validation split, or the validation score measures how well the network recognises a patient it
// has already seen. Chest X-ray pneumonia files are named `person<N>_bacteria_<M>.jpeg` /
// `person<N>_virus_<M>.jpeg` (2,530 bacterial images from 1,353 children), so
// `--group-pattern '^(person[0-9]+)_'` keeps every child's images together. The normal files
// (`IM-<N>-<M>.jpeg`, `NORMAL2-IM-<N>-<M>.jpeg`) carry a series number, not a patient: the pattern
// `^((?:NORMAL2-)?IM-[0-9]+|person[0-9]+)[-_]` groups them by series. A DICOM PatientID / StudyInstanceUID
// hash will feed the same mechanism.
import Foundation

/// A regular expression with exactly one capture group, applied to an image's file name (not its
/// folder): images whose names give the same captured text form one group. Names it does not match
/// have no key (they are grouped by near-duplicates only).
public struct GroupPattern: Sendable, CustomStringConvertible {
    public let pattern: String
    private let expression: NSRegularExpression

    public struct InvalidPattern: Error, CustomStringConvertible {
        public var pattern: String
        public var reason: String
        public var description: String { "group pattern \(pattern): \(reason)" }
    }

    public init(_ pattern: String) throws(InvalidPattern) {
        let expression: NSRegularExpression
        do { expression = try NSRegularExpression(pattern: pattern) } catch {
            throw InvalidPattern(pattern: pattern, reason: "not a regular expression (\(error.localizedDescription))")
        }
        guard expression.numberOfCaptureGroups == 1 else {
            throw InvalidPattern(pattern: pattern, reason: "needs exactly one capture group, has \(expression.numberOfCaptureGroups)")
        }
        self.pattern = pattern
        self.expression = expression
    }

    /// The group key of the file at `path` (its last component), or nil when the name does not match.
    public func key(forPath path: String) -> String? {
        let name = (path as NSString).lastPathComponent
        let range = NSRange(name.startIndex..<name.endIndex, in: name)
        guard let match = expression.firstMatch(in: name, range: range), match.range(at: 1).location != NSNotFound,
            let captured = Range(match.range(at: 1), in: name)
        else { return nil }
        let key = String(name[captured])
        return key.isEmpty ? nil : key
    }

    public var description: String { pattern }
}

/// What a group pattern makes of a tree: how many groups, the largest, the names it does not match, and
/// (against a test tree) the groups present on both sides — patient leakage.
public struct GroupPatternSummary: Codable, Sendable {
    public var pattern: String
    public var groups: Int
    public var largestGroup: Int
    public var largestGroupKey: String?
    public var unmatchedFiles: Int
    public var groupsAlsoInTest: Int?

    enum CodingKeys: String, CodingKey {
        case pattern, groups
        case largestGroup = "largest_group"
        case largestGroupKey = "largest_group_key"
        case unmatchedFiles = "unmatched_files"
        case groupsAlsoInTest = "groups_also_in_test"
    }

    public init(_ pattern: GroupPattern, trainPaths: [String], testPaths: [String]? = nil) {
        var sizes: [String: Int] = [:]
        var unmatched = 0
        for path in trainPaths {
            if let key = pattern.key(forPath: path) { sizes[key, default: 0] += 1 } else { unmatched += 1 }
        }
        self.pattern = pattern.pattern
        groups = sizes.count
        let largest = sizes.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }
        largestGroup = largest?.value ?? 0
        largestGroupKey = largest?.key
        unmatchedFiles = unmatched
        groupsAlsoInTest = testPaths.map { paths in Set(paths.compactMap { pattern.key(forPath: $0) }).intersection(sizes.keys).count }
    }
}

extension GroupPattern: Equatable {
    public static func == (a: GroupPattern, b: GroupPattern) -> Bool { a.pattern == b.pattern }
}
