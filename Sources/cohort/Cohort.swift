// `cohort`: the offline tool (inspect files, benchmarks; later: experiment, generate, audit).
import ArgumentParser
import BLAS
import Foundation

@main
struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "Cohort's offline tool: inspect scans and benchmark the engine.",
        subcommands: [
            InspectCommand.self, AuditCommand.self, ExperimentCommand.self, SplitCommand.self, GenerateCommand.self, PhantomsCommand.self,
            StatusCommand.self, ExportCommand.self, BenchCommand.self
        ])

    static func main() {
        // Before anything else: make sure OpenBLAS runs the right, and a correct, kernel.
        BLASStartup.prepare { message in
            FileHandle.standardError.write(Data("cohort: \(message)\n".utf8))
        }
        Self.main(nil)
    }
}
