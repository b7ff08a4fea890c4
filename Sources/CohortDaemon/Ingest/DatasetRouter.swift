// Which dataset and class a watched file belongs to — or why it belongs nowhere.

/// Where a path lands.
enum Route: Equatable {
    case image(dataset: DatasetConfiguration, className: String)
    /// Under a dataset's root but not acceptable as a real image of a class.
    case refused(dataset: DatasetConfiguration, className: String, reason: String)
    /// Not under any watched root.
    case outside
}

struct DatasetRouter {
    let datasets: [DatasetConfiguration]

    /// Image extensions ingest tries to decode; anything else in a class folder is quarantined as "not an
    /// image" — except names DICOM exports use: no extension, or a UID-style name whose last dot-part is a
    /// number (`1.2.826.0.1.…`). The decoder recognises DICOM by its content, never by the name.
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "dcm", "dicom"]

    /// Whether ingest tries to decode a file of this name.
    static func mayBeImage(_ name: String) -> Bool {
        guard name.contains("."), let last = name.split(separator: ".").last else { return true }
        return imageExtensions.contains(last.lowercased()) || last.allSatisfy(\.isNumber)
    }

    func dataset(forRoot root: String) -> DatasetConfiguration? { datasets.first { $0.watchRoot == root } }

    func route(_ path: String) -> Route {
        guard let dataset = datasets.first(where: { path.hasPrefix($0.watchRoot + "/") }) else { return .outside }
        let relative = path.dropFirst(dataset.watchRoot.count + 1).split(separator: "/").map(String.init)
        guard relative.count >= 2 else {
            return .refused(dataset: dataset, className: "", reason: "not in a class folder (put scans in \(dataset.watchRoot)/<class>/)")
        }
        let className = relative[0]
        if !dataset.classes.isEmpty && !dataset.classes.contains(className) {
            return .refused(
                dataset: dataset, className: className,
                reason: "unknown class '\(className)' (configured classes: \(dataset.classes.joined(separator: ", ")))")
        }
        guard DatasetRouter.mayBeImage(relative.last!) else {
            return .refused(
                dataset: dataset, className: className, reason: "not an image (expected .png, .jpg, .jpeg, or DICOM: .dcm or no extension)")
        }
        return .image(dataset: dataset, className: className)
    }
}
