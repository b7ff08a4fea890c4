// The control socket's command table: one function per command, each turning a request into a JSON
// result or a typed error. Read-only commands are open to any peer that can connect; the others need
// root, the daemon's own user, or a member of the configured admin group (ControlAccess).
import Catalog
import CohortControl
import Foundation
import GRDB

/// How a command answers.
enum ControlReply: Sendable {
    /// At once, on the event loop (reads of the catalog, flips of live state).
    case now(Result<JSONValue, ControlError>)
    /// Off the event loop (file-system work, re-reading the configuration); the connection answers its
    /// next request only after this one, so replies stay in order.
    case later(@Sendable () async -> Result<JSONValue, ControlError>)
    /// The connection becomes an event stream (after this first reply) until the client leaves.
    case subscribe(JSONValue)
}

struct ControlCommands: Sendable {
    let catalog: CatalogDatabase
    let live: LiveConfiguration
    let state: DaemonState
    let scheduler: SchedulerService
    let ingest: IngestService
    let runner: JobRunner
    let reloader: ConfigurationReloader
    /// `status` and `metrics` answer from here, off the event loop.
    let statusCache: StatusCache

    /// Commands that change something (or write files as the daemon).
    static let mutating: Set<String> = ["pause", "resume", "cancel", "rescan", "train", "generate", "export", "reload", "backup"]
    static let readOnly: Set<String> = ["version", "status", "datasets", "jobs", "quarantine", "report", "metrics", "subscribe"]
    /// Largest `generate --count`.
    static let maxGenerateCount = 10_000

    func handle(_ request: ControlRequest, mayMutate: Bool, peerUID: UInt32?) -> ControlReply {
        let known = Self.mutating.contains(request.cmd) || Self.readOnly.contains(request.cmd)
        DaemonMetrics.countRequest(request.cmd, known: known)
        if Self.mutating.contains(request.cmd) && !mayMutate {
            let group = live.current.control.adminGroup.map { ", or members of group '\($0)'" } ?? ""
            return .now(.failure(ControlError(.permissionDenied, "'\(request.cmd)' changes the daemon: root, the daemon's user\(group) only",
                                              context: ["uid": peerUID.map { String($0) } ?? "unknown", "cmd": request.cmd])))
        }
        do {
            return try dispatch(request)
        } catch let refusal as ControlError {
            // Bad arguments, unknown datasets, conflicts: thrown by the command helpers below.
            return .now(.failure(refusal))
        } catch {
            return .now(.failure(ControlError(.internal, "\(error)", context: ["cmd": request.cmd])))
        }
    }

    private func dispatch(_ request: ControlRequest) throws -> ControlReply {
        let configuration = live.current
        let args = request.args ?? [:]
        switch request.cmd {
        case "version":
            return .now(.success(.object(["daemon": .string(StatusSnapshot.daemonVersion), "protocol": .number(Double(ControlProtocol.version))])))
        case "status":
            let cache = statusCache
            return .later {
                do { return .success(try JSONValue.encoding(try await cache.snapshot())) } catch {
                    return .failure(ControlError(.internal, "status failed: \(error)"))
                }
            }
        case "datasets":
            return .now(.success(.array(configuration.datasets.map { d in
                .object(["name": .string(d.name), "watch_root": .string(d.watchRoot), "output_root": .string(d.outputRoot),
                         "image_size": .number(Double(d.imageSize)), "classes": .array(d.classes.map(JSONValue.string)),
                         "test_root": d.testRoot.map(JSONValue.string) ?? .null])
            })))
        case "jobs":
            return .now(.success(try JSONValue.encoding(try catalog.recentJobs(limit: min(max(args["limit"]?.int ?? 20, 1), 1000)))))
        case "quarantine":
            let rows = try catalog.quarantine().map { ["path": $0.path, "dataset": $0.dataset, "class": $0.className, "reason": $0.reason ?? ""] }
            return .now(.success(try JSONValue.encoding(rows)))
        case "report": return .now(report(args))
        case "metrics":
            let cache = statusCache
            return .later {
                do { return .success(.string(DaemonMetrics.exposition(status: try await cache.snapshot()))) } catch {
                    return .failure(ControlError(.internal, "metrics failed: \(error)"))
                }
            }
        case "subscribe":
            return .subscribe(.object(["subscribed": .bool(true),
                                       "events": .array(["progress", "job_started", "job_finished", "ingested", "degraded", "reloaded"].map(JSONValue.string))]))
        case "pause":
            state.paused = true
            return .now(.success(.object(["paused": .bool(true)])))
        case "resume":
            state.paused = false
            runner.wake()
            return .now(.success(.object(["paused": .bool(false)])))
        case "cancel":
            guard let progress = state.progress else { return .now(.failure(ControlError(.notFound, "no job is running"))) }
            state.cancel(jobID: progress.jobID)
            return .now(.success(.object(["cancelled": .number(Double(progress.jobID))])))
        case "rescan":
            ingest.rescan()
            return .now(.success(.object(["rescan": .bool(true)])))
        case "train": return .now(.success(try train(args, configuration)))
        case "generate": return .now(.success(try generate(args, configuration)))
        case "export": return try export(args, configuration)
        case "backup": return try backup(args)
        case "reload":
            let reloader = self.reloader
            return .later {
                switch await reloader.reload(trigger: "control socket") {
                case .success(let outcome):
                    return .success(.object(["applied": .array(outcome.applied.map(JSONValue.string)),
                                             "needs_restart": .array(outcome.needsRestart.map(JSONValue.string))]))
                case .failure(let error):
                    return .failure(ControlError(.invalidArguments, "configuration not reloaded: \(error)",
                                                 context: ["file": error.file, "key": error.key]))
                }
            }
        default:
            return .now(.failure(ControlError(.unknownCommand, "unknown command '\(request.cmd)'", context: ["cmd": request.cmd])))
        }
    }

    /// The dataset named by `args["dataset"]`, or the refusal to send.
    private func dataset(_ args: [String: JSONValue], _ configuration: DaemonConfiguration) throws(ControlError) -> DatasetConfiguration {
        guard let name = args["dataset"]?.string else {
            throw ControlError(.invalidArguments, "dataset is required", context: ["datasets": configuration.datasets.map(\.name).joined(separator: ",")])
        }
        guard let dataset = configuration.dataset(named: name) else {
            throw ControlError(.notFound, "unknown dataset '\(name)'", context: ["dataset": name])
        }
        return dataset
    }

    /// Latest report of a dataset (or of any), or the one whose time starts with `time`; `full` adds report.json.
    private func report(_ args: [String: JSONValue]) -> Result<JSONValue, ControlError> {
        let reports: [ReportRecord]
        do { reports = try catalog.reports(dataset: args["dataset"]?.string) } catch {
            return .failure(ControlError(.internal, "\(error)", context: ["cmd": "report"]))
        }
        let chosen: ReportRecord?
        if let time = args["time"]?.string {
            chosen = reports.first { ($0.directory as NSString).lastPathComponent.hasPrefix(time) }
            guard chosen != nil else {
                return .failure(ControlError(.notFound, "no report at '\(time)'", context: [
                    "available": reports.prefix(10).map { ($0.directory as NSString).lastPathComponent }.joined(separator: ", ")]))
            }
        } else {
            chosen = reports.first
        }
        guard let report = chosen else { return .failure(ControlError(.notFound, "no report yet")) }
        var fields: [String: JSONValue] = [
            "dataset": .string(report.dataset), "time": .string((report.directory as NSString).lastPathComponent),
            "directory": .string(report.directory), "html": .string(report.directory + "/report.html"),
            "json": .string(report.directory + "/report.json"), "summary": .string(report.summary)]
        if args["full"] == .bool(true) {
            guard let data = FileManager.default.contents(atPath: report.directory + "/report.json"),
                  let value = try? JSONDecoder().decode(JSONValue.self, from: data) else {
                return .failure(ControlError(.notFound, "report.json is missing or unreadable", context: ["file": report.directory + "/report.json"]))
            }
            fields["report"] = value
        }
        return .success(.object(fields))
    }

    private func train(_ args: [String: JSONValue], _ configuration: DaemonConfiguration) throws -> JSONValue {
        guard let kind = args["kind"]?.string, kind == "gan" || kind == "classifier" else {
            throw ControlError(.invalidArguments, "train needs kind: gan or classifier")
        }
        let dataset = try self.dataset(args, configuration)
        let steps = kind == "gan" ? configuration.gan.baseSteps : 0
        let job = try scheduler.enqueue(dataset: dataset.name, kind: kind == "gan" ? .gan : .classifier, steps: steps,
                                        reason: "requested by an operator")
        return .object(["job": .number(Double(job.id ?? 0))])
    }

    /// Queues `count` samples of one class from the current generator, written outside the balanced set
    /// (under the state directory) so they never disturb what the balance policy publishes.
    private func generate(_ args: [String: JSONValue], _ configuration: DaemonConfiguration) throws -> JSONValue {
        let dataset = try self.dataset(args, configuration)
        guard let className = args["class"]?.string else { throw ControlError(.invalidArguments, "class is required") }
        guard let count = args["count"]?.int, (1...Self.maxGenerateCount).contains(count) else {
            throw ControlError(.invalidArguments, "count must be a whole number from 1 to \(Self.maxGenerateCount)")
        }
        let record = try catalog.read { db in try DatasetStateRecord.fetchOne(db, key: dataset.name) }
        guard record?.checkpoint != nil else {
            throw ControlError(.conflict, "dataset '\(dataset.name)' has no trained generator yet", context: ["dataset": dataset.name])
        }
        let known = try catalog.classCounts(dataset: dataset.name).filter { $0.real > 0 }.map(\.className)
        guard known.contains(className) else {
            throw ControlError(.notFound, "class '\(className)' has no real images in '\(dataset.name)'",
                               context: ["dataset": dataset.name, "class": className, "classes": known.sorted().joined(separator: ",")])
        }
        let arguments = String(decoding: try JSONEncoder().encode(GenerateRequest(className: className, count: count)), as: UTF8.self)
        let job = try scheduler.enqueue(dataset: dataset.name, kind: .generate, steps: count,
                                        reason: "requested by an operator: \(count) × \(className)", arguments: arguments)
        return .object(["job": .number(Double(job.id ?? 0)),
                        "directory": .string(GenerateRequest.directory(configuration, dataset: dataset.name, job: job.id ?? 0, className: className))])
    }

    private func export(_ args: [String: JSONValue], _ configuration: DaemonConfiguration) throws(ControlError) -> ControlReply {
        let dataset = try self.dataset(args, configuration)
        guard let out = args["out"]?.string, out.hasPrefix("/") else {
            throw ControlError(.invalidArguments, "out must be an absolute path (a folder that does not exist yet, writable by cohortd)")
        }
        let trainOnly = args["train_only"] == .bool(true)
        let catalog = self.catalog
        return .later {
            do {
                let s = try BalancedExport.write(catalog: catalog, dataset: dataset.name, trainOnly: trainOnly, to: out)
                return .success(.object(["out": .string(out), "real": .number(Double(s.real)), "synthetic": .number(Double(s.synthetic)),
                                         "hard_links": .number(Double(s.linked)), "copies": .number(Double(s.copied))]))
            } catch let failure as BalancedExport.Failure {
                return .failure(ControlError(.conflict, "\(failure)", context: ["out": out, "dataset": dataset.name]))
            } catch {
                return .failure(ControlError(.internal, "export failed: \(error)", context: ["out": out, "dataset": dataset.name]))
            }
        }
    }

    /// `backup PATH`: a consistent copy of the catalog (CatalogDatabase.backup), written off the event loop.
    private func backup(_ args: [String: JSONValue]) throws(ControlError) -> ControlReply {
        guard let path = args["path"]?.string, path.hasPrefix("/") else {
            throw ControlError(.invalidArguments, "path must be an absolute file name (that does not exist yet, in a folder cohortd may write to)")
        }
        let catalog = self.catalog
        return .later {
            do {
                let bytes = try catalog.backup(to: path)
                return .success(.object(["path": .string(path), "bytes": .number(Double(bytes))]))
            } catch let failure as CatalogError {
                return .failure(ControlError(.conflict, failure.reason, context: ["path": failure.path]))
            } catch {
                return .failure(ControlError(.internal, "backup failed: \(error)", context: ["path": path]))
            }
        }
    }
}

extension JSONValue {
    /// `value` as its JSON value (through JSONEncoder, so its coding keys apply).
    static func encoding<T: Encodable>(_ value: T) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value))
    }
}

/// An operator's `generate` request, stored with its job.
struct GenerateRequest: Codable, Equatable {
    var className: String
    var count: Int
    enum CodingKeys: String, CodingKey { case count, className = "class" }

    /// Where the requested samples go: `<state>/generated/<dataset>/job-<id>/<class>/`.
    static func directory(_ configuration: DaemonConfiguration, dataset: String, job: Int64, className: String) -> String {
        "\(configuration.stateDirectory)/generated/\(dataset)/job-\(job)/\(className)"
    }
}
