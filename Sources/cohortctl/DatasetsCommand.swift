import ArgumentParser
import CohortControl

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets", abstract: "The configured datasets: watch and output roots, image size, classes.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call { try $0.datasets() }) { datasets in
            Table.render(
                [["DATASET", "WATCH ROOT", "OUTPUT ROOT", "SIZE", "CLASSES", "TEST ROOT"]]
                    + datasets.map { d in
                        [
                            d.name, d.watchRoot, d.outputRoot, String(d.imageSize),
                            d.classes.isEmpty ? "(from folders)" : d.classes.joined(separator: ","),
                            d.testRoot ?? "–"
                        ]
                    })
        }
    }
}
