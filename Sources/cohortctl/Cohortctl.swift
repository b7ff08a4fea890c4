// cohortctl: steer a running cohortd over its control socket. Speaks the protocol only.
// Exit statuses: 0 ok, 1 refused or failed, 69 (EX_UNAVAILABLE) when the daemon cannot be reached.
import ArgumentParser
import CohortControl
import CohortControlClient
import Foundation

@main
struct Cohortctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohortctl",
        abstract: "Query and steer cohortd over its control socket.",
        discussion: "Shell completions: `cohortctl --generate-completion-script bash|zsh|fish`.",
        version: "cohortctl \(ControlProtocol.release) (control protocol v\(ControlProtocol.version))",
        subcommands: [
            StatusCommand.self, DatasetsCommand.self, JobsCommand.self, QuarantineCommand.self, ReportCommand.self,
            TrainCommand.self, GenerateCommand.self, ExportCommand.self, PauseCommand.self, ResumeCommand.self,
            CancelCommand.self, RescanCommand.self, ReloadCommand.self, MetricsCommand.self, SubscribeCommand.self,
            BackupCommand.self, VersionCommand.self
        ])

    /// Connection options (`--socket`, `--json`, `--timeout`) may come before the subcommand too, as with
    /// systemctl, kubectl or tailscale (`cohortctl --socket PATH status`): they are moved after it for the parser.
    static func main() {
        main(hoistingConnectionOptions(Array(CommandLine.arguments.dropFirst())))
    }

    static func hoistingConnectionOptions(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first {
            if first == "--socket" || first == "--timeout", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else if first.hasPrefix("--socket=") || first.hasPrefix("--timeout=") || first == "--json" {
                leading.append(first)
                rest = rest.dropFirst()
            } else {
                break
            }
        }
        guard !leading.isEmpty, let subcommand = rest.first, !subcommand.hasPrefix("-") else { return arguments }
        return [subcommand] + leading + rest.dropFirst()
    }
}

/// Options every subcommand takes.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Control socket (default: $COHORT_SOCKET, then /run/cohort/cohortd.sock).")
    var socket: String?

    @Flag(help: "Print the protocol's JSON value unchanged.")
    var json = false

    @Option(help: "Seconds to wait for each reply (0: forever).")
    var timeout = 30

    /// A connection to the daemon (`timeoutSeconds: 0` waits for replies forever; default `--timeout`); exits 69
    /// when unreachable.
    func client(timeoutSeconds: Int? = nil) throws -> ControlClient {
        do {
            return try ControlClient(socketPath: ControlClient.defaultSocket(explicit: socket), timeoutSeconds: timeoutSeconds ?? max(0, timeout))
        } catch {
            try fail(error)
        }
    }

    /// Runs one typed request (a `ControlClient` method) on `connection` or a new client; prints errors and
    /// exits with the documented status on failure.
    func call<T>(on connection: ControlClient? = nil, _ body: (ControlClient) throws -> T) throws -> T {
        let client = try connection ?? client()
        do {
            return try body(client)
        } catch let error as ControlClientError {
            try fail(error)
        } catch {
            try fail(.protocolFailure("\(error)"))
        }
    }

    /// Prints `error` and exits: 69 when the daemon cannot be reached, 1 otherwise.
    func fail(_ error: ControlClientError) throws -> Never {
        FileHandle.standardError.write(Data("cohortctl: \(error)\n".utf8))
        if case .unavailable = error { throw ExitCode(69) }
        if case .refused(let refusal) = error, refusal.code == .versionMismatch {
            FileHandle.standardError.write(Data("cohortctl speaks protocol v\(ControlProtocol.version)\n".utf8))
        }
        throw ExitCode(1)
    }

    /// Prints `value` as the protocol's JSON (with --json: pretty, sorted keys) or through `human`.
    func show<T: Encodable>(_ value: T, human: (T) -> String) {
        if json {
            print(Self.json(value))
        } else {
            print(human(value))
        }
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}
