// The control socket's command table: one function per command, each turning a request into a JSON
// result or a typed error. Read-only commands are open to any peer that can connect; the others need
// root, the daemon's own user, or the admin group (checked by the connection handler).
import Catalog
import CohortControl
import Foundation
import GRDB

struct ControlCommands: Sendable {
    let catalog: CatalogDatabase
    let configuration: DaemonConfiguration
    let state: DaemonState
    let scheduler: SchedulerService
    let ingest: IngestService
    let runner: JobRunner

    /// Commands that change something.
    static let mutating: Set<String> = ["pause", "resume", "cancel", "rescan", "train"]
    static let readOnly: Set<String> = ["version", "status", "datasets", "jobs", "quarantine", "report"]

    func handle(_ request: ControlRequest) -> Result<JSONValue, ControlError> {
        do {
            switch request.cmd {
            case "version": return .success(.object(["daemon": .string(StatusSnapshot.daemonVersion), "protocol": .number(Double(ControlProtocol.version))]))
            case "status": return .success(try json(StatusSnapshot.capture(catalog: catalog, configuration: configuration, state: state)))
            case "datasets":
                return .success(.array(configuration.datasets.map { d in
                    .object(["name": .string(d.name), "watch_root": .string(d.watchRoot), "output_root": .string(d.outputRoot),
                             "image_size": .number(Double(d.imageSize)), "classes": .array(d.classes.map(JSONValue.string))])
                }))
            case "jobs": return .success(try json(try catalog.recentJobs(limit: request.args?["limit"]?.int ?? 20)))
            case "quarantine":
                let rows = try catalog.quarantine().map { ["path": $0.path, "dataset": $0.dataset, "class": $0.className, "reason": $0.reason ?? ""] }
                return .success(try json(rows))
            case "report":
                let reports = try catalog.reports(dataset: request.args?["dataset"]?.string)
                guard let latest = reports.first else { return .failure(ControlError(.notFound, "no report yet")) }
                return .success(.object(["directory": .string(latest.directory), "html": .string(latest.directory + "/report.html"),
                                         "json": .string(latest.directory + "/report.json"), "summary": .string(latest.summary)]))
            case "pause":
                state.paused = true
                return .success(.object(["paused": .bool(true)]))
            case "resume":
                state.paused = false
                runner.wake()
                return .success(.object(["paused": .bool(false)]))
            case "cancel":
                guard let progress = state.progress else { return .failure(ControlError(.notFound, "no job is running")) }
                state.cancel(jobID: progress.jobID)
                return .success(.object(["cancelled": .number(Double(progress.jobID))]))
            case "rescan":
                ingest.rescan()
                return .success(.object(["rescan": .bool(true)]))
            case "train":
                guard let kind = request.args?["kind"]?.string, kind == "gan" || kind == "classifier" else {
                    return .failure(ControlError(.invalidArguments, "train needs kind: gan or classifier"))
                }
                guard let name = request.args?["dataset"]?.string, let dataset = configuration.dataset(named: name) else {
                    return .failure(ControlError(.notFound, "unknown dataset", context: ["dataset": request.args?["dataset"]?.string ?? ""]))
                }
                let steps = kind == "gan" ? configuration.gan.baseSteps : 0
                let job = try scheduler.enqueue(dataset: dataset.name, kind: kind == "gan" ? .gan : .classifier, steps: steps,
                                                reason: "requested by an operator")
                return .success(.object(["job": .number(Double(job.id ?? 0))]))
            default:
                return .failure(ControlError(.unknownCommand, "unknown command '\(request.cmd)'", context: ["cmd": request.cmd]))
            }
        } catch {
            return .failure(ControlError(.internal, "\(error)", context: ["cmd": request.cmd]))
        }
    }

    private func json<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}
