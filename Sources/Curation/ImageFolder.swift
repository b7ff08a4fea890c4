// An ImageFolder tree (`<root>/<class>/**/*.png|jpg|jpeg`): classes are the first-level folders, sorted.
import Foundation

/// The labelled files of one tree.
public struct ImageFolder: Sendable {
    public struct Item: Sendable {
        public var path: String
        public var classIndex: Int
    }

    public var root: String
    public var classes: [String]
    public var items: [Item]

    /// An error naming the tree and what is wrong with it.
    public struct LayoutError: Error, CustomStringConvertible, Sendable {
        public var root: String
        public var reason: String
        public var description: String { "\(root): \(reason)" }
        public init(root: String, reason: String) {
            self.root = root
            self.reason = reason
        }
    }

    /// Scans `root`. With `classes` given, those folders (in that order) are the classes; others are ignored.
    public init(root: String, classes fixed: [String]? = nil) throws {
        self.root = root
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LayoutError(root: root, reason: "not a directory")
        }
        let folders = try FileManager.default.contentsOfDirectory(atPath: root).filter { name in
            var dir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &dir) && dir.boolValue
        }.sorted()
        classes = fixed ?? folders
        guard !classes.isEmpty else { throw LayoutError(root: root, reason: "no class folders (expected <root>/<class>/*.png|jpg)") }
        var items: [Item] = []
        let extensions: Set<String> = ["png", "jpg", "jpeg"]
        for (index, name) in classes.enumerated() {
            guard let walker = FileManager.default.enumerator(atPath: "\(root)/\(name)") else { continue }
            var paths: [String] = []
            while let relative = walker.nextObject() as? String {
                if extensions.contains((relative as NSString).pathExtension.lowercased()) { paths.append("\(root)/\(name)/\(relative)") }
            }
            items += paths.sorted().map { Item(path: $0, classIndex: index) }
        }
        self.items = items
    }
}
