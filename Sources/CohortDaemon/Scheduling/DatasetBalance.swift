// A dataset's balance as the catalog stands now — the one computation the scheduler, the GAN and
// generate jobs and `status` share: real images per class, the dataset's state, the classes withheld as
// harmed (a damaged list throws: the harm gate fails closed), and BalancePolicy's targets.
import Catalog

struct DatasetBalance {
    /// Every class of the dataset with a catalog row (images of any state, or synthetic samples).
    var rows: [CatalogClassCounts]
    /// Active real images per class the balance covers.
    var realCounts: [String: Int]
    var record: DatasetStateRecord
    var classes: [ClassBalance]

    /// The balance of `dataset` under `settings`. The classes covered are those with real images plus the
    /// configured ones; `showingEmptyClasses` adds class folders that so far hold only refused or duplicate
    /// files (for `status`, which lists them; the scheduler must not plan for a class it cannot generate).
    static func read(
        _ catalog: CatalogDatabase, dataset: DatasetConfiguration, settings: BalanceSettings,
        showingEmptyClasses: Bool = false
    ) throws -> DatasetBalance {
        let rows = try catalog.classCounts(dataset: dataset.name)
        let realCounts = Self.realCounts(rows, dataset: dataset, showingEmptyClasses: showingEmptyClasses)
        let record = try catalog.datasetState(dataset.name)
        let classes = BalancePolicy.balance(realCounts: realCounts, settings: settings, suppressed: try settings.withheld(record))
        return DatasetBalance(rows: rows, realCounts: realCounts, record: record, classes: classes)
    }

    /// Active real images per class covered (see `read`).
    static func realCounts(_ rows: [CatalogClassCounts], dataset: DatasetConfiguration, showingEmptyClasses: Bool = false) -> [String: Int] {
        var realCounts: [String: Int] = [:]
        for row in rows where row.real > 0 || (showingEmptyClasses && row.duplicates + row.quarantined > 0) {
            guard !row.className.isEmpty, dataset.classes.isEmpty || dataset.classes.contains(row.className) else { continue }
            realCounts[row.className] = row.real
        }
        for name in dataset.classes where realCounts[name] == nil { realCounts[name] = 0 }
        return realCounts
    }

    /// Active real images in the classes covered.
    var activeImages: Int { realCounts.values.reduce(0, +) }

    /// Published synthetic samples per class (classes without any left out).
    var syntheticByClass: [String: Int] {
        Dictionary(rows.filter { $0.synthetic > 0 }.map { ($0.className, $0.synthetic) }, uniquingKeysWith: +)
    }
}
