import ArgumentParser
import CohortControl

struct DatasetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "datasets", abstract: "The configured datasets: watch and output roots, image size, classes.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        connection.show(try connection.call("datasets")) { value in
            Table.render([["DATASET", "WATCH ROOT", "OUTPUT ROOT", "SIZE", "CLASSES", "TEST ROOT"]] + value.items.map { d in
                [d["name"]?.text ?? "", d["watch_root"]?.text ?? "", d["output_root"]?.text ?? "", d["image_size"]?.text ?? "",
                 (d["classes"]?.items.isEmpty ?? true) ? "(from folders)" : d["classes"]!.text, d["test_root"]?.text ?? "–"]
            })
        }
    }
}
