// `cohort export`: materializes a balanced ImageFolder — real images plus the published synthetic
// samples — as hard links (copies across file systems), for training elsewhere. Nothing is moved.
import ArgumentParser
import Catalog
import Foundation

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a balanced ImageFolder (<out>/<class>/…) of a dataset's real and synthetic images as hard links.")

    @Option(help: "cohortd's state directory (holds catalog.sqlite).")
    var state = "/var/lib/cohort"

    @Option(help: "Dataset name.")
    var dataset: String

    @Option(help: "Destination folder; must not exist yet.")
    var out: String

    @Flag(help: "Real images of the train split only (keep the validation split out of a training set).")
    var trainOnly = false

    func run() throws {
        let catalog = try CatalogDatabase(path: state + "/catalog.sqlite", readOnly: true)
        do {
            let s = try BalancedExport.write(catalog: catalog, dataset: dataset, trainOnly: trainOnly, to: out)
            print("exported \(s.real) real and \(s.synthetic) synthetic images to \(out) (\(s.linked) hard links, \(s.copied) copies)")
        } catch let failure as BalancedExport.Failure {
            throw ValidationError("\(failure)")
        }
    }
}
