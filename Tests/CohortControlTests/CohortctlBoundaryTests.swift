// cohortctl speaks the protocol only: its sources import the protocol, its client, the argument parser
// and the system — nothing else of Cohort's (the build's explicit import check then holds the target's
// declared dependencies to the same list).
import Foundation
import Testing

@Suite struct CohortctlBoundaryTests {
    @Test func cohortctlImportsOnlyTheProtocolAndItsClient() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/cohortctl").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        let allowed: Set<String> = ["ArgumentParser", "CohortControl", "CohortControlClient", "Foundation", "Glibc"]
        for file in files {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                let module = String(line.dropFirst("import ".count)).trimmingCharacters(in: .whitespaces)
                #expect(allowed.contains(module), "\(file) imports \(module)")
            }
        }
        let package = try String(contentsOf: sources.appendingPathComponent("../../Package.swift").standardized, encoding: .utf8)
        #expect(
            package.contains(
                #"name: "cohortctl",\#n            dependencies: ["CohortControl", "CohortControlClient", .product(name: "ArgumentParser""#),
            "cohortctl's declared dependencies are the protocol, its client and the argument parser")
    }
}
