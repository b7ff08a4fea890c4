// The control socket's command table: one function per command, each turning a request into a JSON
// result or a typed error. Read-only commands are open to any peer that can connect; the others need
// root, the daemon's own user, or a member of the configured admin group (ControlAccess).
import Catalog
import CohortControl
import Foundation
import ImageIO

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

    /// Largest `generate --count`.
    static let maxGenerateCount = 10_000

    func handle(_ request: ControlRequest, mayMutate: Bool, peerUID: UInt32?) -> ControlReply {
        guard let command = request.command else {
            DaemonMetrics.countRequest(request.cmd, known: false)
            return .now(.failure(ControlError(.unknownCommand, "unknown command '\(request.cmd)'", context: ["cmd": request.cmd])))
        }
        DaemonMetrics.countRequest(command.rawValue, known: true)
        if command.isMutating && !mayMutate {
            let group = live.current.control.adminGroup.map { ", or members of group '\($0)'" } ?? ""
            return .now(
                .failure(
                    ControlError(
                        .permissionDenied, "'\(command.rawValue)' changes the daemon: root, the daemon's user\(group) only",
                        context: ["uid": peerUID.map { String($0) } ?? "unknown", "cmd": command.rawValue])))
        }
        do {
            return try dispatch(command, request.args)
        } catch let refusal as ControlError {
            // Bad arguments, unknown datasets, conflicts: thrown by the command helpers below.
            return .now(.failure(refusal))
        } catch {
            return .now(.failure(ControlError(.internal, "\(error)", context: ["cmd": command.rawValue])))
        }
    }

    /// The handler table: one case per command (the compiler checks that none is missing).
    private func dispatch(_ command: ControlCommand, _ args: [String: JSONValue]?) throws -> ControlReply {
        let configuration = live.current
        switch command {
        case .version:
            return .now(reply(VersionReply(daemon: StatusSnapshot.daemonVersion, protocolVersion: ControlProtocol.version)))
        case .status:
            let cache = statusCache
            return .later {
                do { return .success(try JSONValue.encoding(try await cache.snapshot())) } catch {
                    return .failure(ControlError(.internal, "status failed: \(error)"))
                }
            }
        case .datasets:
            return .now(
                reply(
                    configuration.datasets.map { d in
                        DatasetInfo(
                            name: d.name, watchRoot: d.watchRoot, outputRoot: d.outputRoot, imageSize: d.imageSize, classes: d.classes,
                            testRoot: d.testRoot)
                    }))
        case .jobs:
            let limit = try ControlArguments.decode(JobsArguments.self, from: args, command: command).limit ?? 20
            return .now(reply(try catalog.recentJobs(limit: min(max(limit, 1), 1000)).map(\.summary)))
        case .quarantine:
            return .now(
                reply(
                    try catalog.quarantine().map {
                        QuarantinedFile(
                            path: DICOMPathRedaction.shown($0.path), dataset: $0.dataset, className: $0.className, reason: $0.reason ?? "")
                    }))
        case .report: return .now(report(try ControlArguments.decode(ReportArguments.self, from: args, command: command)))
        case .metrics:
            let cache = statusCache
            return .later {
                do { return .success(.string(DaemonMetrics.exposition(status: try await cache.snapshot()))) } catch {
                    return .failure(ControlError(.internal, "metrics failed: \(error)"))
                }
            }
        case .subscribe:
            return .subscribe(try JSONValue.encoding(SubscribeReply()))
        case .pause:
            state.paused = true
            return .now(reply(PauseReply(paused: true)))
        case .resume:
            state.paused = false
            runner.wake()
            return .now(reply(PauseReply(paused: false)))
        case .cancel:
            guard let progress = state.progress else { return .now(.failure(ControlError(.notFound, "no job is running"))) }
            state.cancel(jobID: progress.jobID)
            return .now(reply(CancelReply(cancelled: progress.jobID)))
        case .rescan:
            ingest.rescan()
            return .now(reply(RescanReply()))
        case .train: return .now(reply(try train(try ControlArguments.decode(TrainArguments.self, from: args, command: command), configuration)))
        case .generate:
            return .now(reply(try generate(try ControlArguments.decode(GenerateArguments.self, from: args, command: command), configuration)))
        case .export: return try export(try ControlArguments.decode(ExportArguments.self, from: args, command: command), configuration)
        case .backup: return try backup(try ControlArguments.decode(BackupArguments.self, from: args, command: command))
        case .reload:
            let reloader = self.reloader
            return .later {
                switch await reloader.reload(trigger: "control socket") {
                case .success(let outcome):
                    return Self.reply(ReloadReply(applied: outcome.applied, needsRestart: outcome.needsRestart))
                case .failure(let error):
                    return .failure(
                        ControlError(
                            .invalidArguments, "configuration not reloaded: \(error)",
                            context: ["file": error.file, "key": error.key]))
                }
            }
        }
    }

    /// A typed reply as the protocol's JSON value.
    private func reply<T: Encodable>(_ value: T) -> Result<JSONValue, ControlError> { Self.reply(value) }

    private static func reply<T: Encodable>(_ value: T) -> Result<JSONValue, ControlError> {
        do { return .success(try JSONValue.encoding(value)) } catch {
            return .failure(ControlError(.internal, "cannot encode the reply: \(error)"))
        }
    }

    /// The dataset named `name`, or the refusal to send.
    private func dataset(_ name: String?, _ configuration: DaemonConfiguration) throws(ControlError) -> DatasetConfiguration {
        guard let name else {
            throw ControlError(
                .invalidArguments, "dataset is required", context: ["datasets": configuration.datasets.map(\.name).joined(separator: ",")])
        }
        guard let dataset = configuration.dataset(named: name) else {
            throw ControlError(.notFound, "unknown dataset '\(name)'", context: ["dataset": name])
        }
        return dataset
    }

    /// Latest report of a dataset (or of any), or the one whose time starts with `time`; `full` adds report.json.
    private func report(_ args: ReportArguments) -> Result<JSONValue, ControlError> {
        let reports: [ReportRecord]
        do { reports = try catalog.reports(dataset: args.dataset) } catch {
            return .failure(ControlError(.internal, "\(error)", context: ["cmd": "report"]))
        }
        let chosen: ReportRecord?
        if let time = args.time {
            chosen = reports.first { ($0.directory as NSString).lastPathComponent.hasPrefix(time) }
            guard chosen != nil else {
                return .failure(
                    ControlError(
                        .notFound, "no report at '\(time)'",
                        context: [
                            "available": reports.prefix(10).map { ($0.directory as NSString).lastPathComponent }.joined(separator: ", ")
                        ]))
            }
        } else {
            chosen = reports.first
        }
        guard let report = chosen else { return .failure(ControlError(.notFound, "no report yet")) }
        var fields = ReportReply(
            dataset: report.dataset, time: (report.directory as NSString).lastPathComponent, directory: report.directory,
            html: report.directory + "/report.html", json: report.directory + "/report.json", summary: report.summary)
        if args.full == true {
            guard let data = FileManager.default.contents(atPath: report.directory + "/report.json"),
                let value = try? JSONDecoder().decode(JSONValue.self, from: data)
            else {
                return .failure(ControlError(.notFound, "report.json is missing or unreadable", context: ["file": report.directory + "/report.json"]))
            }
            fields.report = value
        }
        return reply(fields)
    }

    private func train(_ args: TrainArguments, _ configuration: DaemonConfiguration) throws -> QueuedJobReply {
        guard let kind = args.kind else { throw ControlError(.invalidArguments, "train needs kind: gan or classifier") }
        let dataset = try self.dataset(args.dataset, configuration)
        let steps = kind == .gan ? configuration.gan.baseSteps : 0
        let job = try scheduler.enqueue(
            dataset: dataset.name, kind: kind == .gan ? .gan : .classifier, steps: steps,
            reason: "requested by an operator")
        return QueuedJobReply(job: job.id ?? 0)
    }

    /// Queues `count` samples of one class from the current generator, written outside the balanced set
    /// (under the state directory) so they never disturb what the balance policy publishes.
    private func generate(_ args: GenerateArguments, _ configuration: DaemonConfiguration) throws -> GenerateReply {
        let dataset = try self.dataset(args.dataset, configuration)
        guard let className = args.className else { throw ControlError(.invalidArguments, "class is required") }
        guard let count = args.count, (1...Self.maxGenerateCount).contains(count) else {
            throw ControlError(.invalidArguments, "count must be a whole number from 1 to \(Self.maxGenerateCount)")
        }
        guard try catalog.datasetState(dataset.name).checkpoint != nil else {
            throw ControlError(.conflict, "dataset '\(dataset.name)' has no trained generator yet", context: ["dataset": dataset.name])
        }
        let known = try catalog.classCounts(dataset: dataset.name).filter { $0.real > 0 }.map(\.className)
        guard known.contains(className) else {
            throw ControlError(
                .notFound, "class '\(className)' has no real images in '\(dataset.name)'",
                context: ["dataset": dataset.name, "class": className, "classes": known.sorted().joined(separator: ",")])
        }
        let arguments = String(decoding: try JSONEncoder().encode(GenerateRequest(className: className, count: count)), as: UTF8.self)
        let job = try scheduler.enqueue(
            dataset: dataset.name, kind: .generate, steps: count,
            reason: "requested by an operator: \(count) × \(className)", arguments: arguments)
        return GenerateReply(
            job: job.id ?? 0,
            directory: GenerateRequest.directory(configuration, dataset: dataset.name, job: job.id ?? 0, className: className))
    }

    private func export(_ args: ExportArguments, _ configuration: DaemonConfiguration) throws(ControlError) -> ControlReply {
        let dataset = try self.dataset(args.dataset, configuration)
        guard let out = args.out, out.hasPrefix("/") else {
            throw ControlError(.invalidArguments, "out must be an absolute path (a folder that does not exist yet, writable by cohortd)")
        }
        let trainOnly = args.trainOnly == true
        if args.bundle == true && trainOnly {
            throw ControlError(.invalidArguments, "train_only does not apply to a bundle (its split.csv marks the validation images)")
        }
        let catalog = self.catalog
        let bundle: HandOffBundle.Inputs?
        do { bundle = args.bundle == true ? try bundleInputs(dataset, configuration) : nil } catch {
            throw ControlError(.internal, "cannot read the dataset's state: \(error)", context: ["dataset": dataset.name])
        }
        return .later {
            do {
                if let bundle {
                    let s = try HandOffBundle.write(catalog: catalog, inputs: bundle, to: out)
                    return Self.reply(
                        ExportReply(
                            out: out, real: s.export.real, synthetic: s.export.synthetic, hardLinks: s.export.linked,
                            copies: s.export.copied, rows: s.rows, validation: s.validation, missing: s.missing))
                }
                let s = try BalancedExport.write(catalog: catalog, dataset: dataset.name, trainOnly: trainOnly, to: out)
                return Self.reply(ExportReply(out: out, real: s.real, synthetic: s.synthetic, hardLinks: s.linked, copies: s.copied))
            } catch let failure as BalancedExport.Failure {
                return .failure(ControlError(.conflict, "\(failure)", context: ["out": out, "dataset": dataset.name]))
            } catch {
                return .failure(ControlError(.internal, "export failed: \(error)", context: ["out": out, "dataset": dataset.name]))
            }
        }
    }

    /// What a bundle of `dataset` holds besides the catalog: the daemon's models, its recipe, the scripts
    /// installed beside cohortd.
    private func bundleInputs(_ dataset: DatasetConfiguration, _ configuration: DaemonConfiguration) throws -> HandOffBundle.Inputs {
        let classifier = configuration.classifier
        return HandOffBundle.Inputs(
            dataset: dataset.name, imageSize: dataset.imageSize, generatorCheckpoint: try catalog.datasetState(dataset.name).checkpoint,
            classifierWeights: configuration.acceptanceClassifierPath(dataset.name),
            scriptsDirectory: HandOffBundle.scriptsDirectory(nearExecutable: CommandLine.arguments[0]),
            recipe: .init(
                epochs: classifier.epochs, batchSize: classifier.batchSize, width: classifier.width, depth: classifier.depth,
                horizontalFlip: dataset.horizontalFlip),
            producer: "cohortd \(StatusSnapshot.daemonVersion)")
    }

    /// `backup PATH`: a consistent copy of the catalog (CatalogDatabase.backup), written off the event loop.
    private func backup(_ args: BackupArguments) throws(ControlError) -> ControlReply {
        guard let path = args.path, path.hasPrefix("/") else {
            throw ControlError(.invalidArguments, "path must be an absolute file name (that does not exist yet, in a folder cohortd may write to)")
        }
        let catalog = self.catalog
        return .later {
            do {
                let bytes = try catalog.backup(to: path)
                return Self.reply(BackupReply(path: path, bytes: Int(bytes)))
            } catch let failure as CatalogError {
                return .failure(ControlError(.conflict, failure.reason, context: ["path": failure.path]))
            } catch {
                return .failure(ControlError(.internal, "backup failed: \(error)", context: ["path": path]))
            }
        }
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

extension JobRecord {
    /// The job as a `jobs` row of the protocol.
    var summary: JobSummary {
        JobSummary(
            id: id, dataset: dataset, kind: JobKindName(rawValue: kind.rawValue) ?? .gan, state: JobStateName(rawValue: state.rawValue) ?? .failed,
            step: step, totalSteps: totalSteps, detail: detail, reason: reason, createdAt: createdAt, startedAt: startedAt,
            finishedAt: finishedAt, outcome: outcome, arguments: arguments)
    }

    /// The job as a `job_started` / `job_finished` event.
    var event: JobEvent {
        JobEvent(jobID: id ?? 0, dataset: dataset, kind: summary.kind, state: summary.state, step: step, totalSteps: totalSteps, outcome: outcome)
    }
}
