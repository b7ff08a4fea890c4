// The typed protocol against the v1 wire format: for every command a golden reply (the exact bytes the
// daemon sent before the types existed, written out by hand from that code) that the typed reply must
// encode to, and a round trip — what the daemon encodes, the client decodes to an equal value. Events
// likewise; typed arguments refuse wrong JSON types with the field's name.
import Foundation
import Testing

@testable import CohortControl

@Suite struct ProtocolTypesTests {
    /// The frame the daemon sends for `reply` (ControlCommands: JSONValue.encoding, then the frame codec).
    static func frame<T: Encodable>(_ reply: T) throws -> String {
        String(decoding: try FrameCodec.encode(ControlResponse.success(id: 3, try JSONValue.encoding(reply))), as: UTF8.self)
    }

    static func expectGolden<T: Codable & Equatable>(_ reply: T, _ golden: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let line = try frame(reply)
        #expect(line == #"{"id":3,"ok":true,"result":"# + golden + #","v":1}"# + "\n", sourceLocation: sourceLocation)
        // The client's side: the same frame decoded to the typed value.
        let response = try JSONDecoder().decode(ControlResponse.self, from: Data(line.utf8))
        #expect(try response.result?.decoded(as: T.self) == reply, sourceLocation: sourceLocation)
    }

    static let job = JobProgress(
        jobID: 4, dataset: "chest", kind: "gan", phase: "training", step: 120, totalSteps: 3000,
        detail: "D 1.250 G 0.750, 1.5 steps/s, ETA 1920 s", startedAt: 1_764_000_000.5)

    static let status = StatusSnapshot(
        version: "0.5.0", pid: 4242, uptimeSeconds: 12.25, paused: false, degraded: ["filewatch": "queue overflow"],
        datasets: [
            DatasetStatus(
                name: "chest", watchRoot: "/in", outputRoot: "/out",
                classes: [
                    ClassStatus(
                        className: "viral", real: 10, synthetic: 5, quarantined: 1, duplicates: 2, target: 15,
                        deficit: 0, wanted: 5, suppressed: false)
                ],
                unclassifiedQuarantined: 0, ganTrainedAt: nil, generation: 3, latestReport: "/out/reports/2026-11-30T10-00-00Z")
        ],
        job: job, queuedJobs: 1)

    /// One golden reply per command: every `ControlCommand` must appear here.
    @Test func everyCommandsReplyKeepsTheV1WireFormat() throws {
        var covered: Set<ControlCommand> = []
        func golden<T: Codable & Equatable>(
            _ command: ControlCommand, _ reply: T, _ text: String,
            sourceLocation: SourceLocation = #_sourceLocation
        ) throws {
            covered.insert(command)
            try Self.expectGolden(reply, text, sourceLocation: sourceLocation)
        }
        try golden(.version, VersionReply(daemon: "0.5.0", protocolVersion: 1), #"{"daemon":"0.5.0","protocol":1}"#)
        try golden(
            .status, Self.status,
            #"{"datasets":[{"classes":[{"class":"viral","deficit":0,"duplicates":2,"quarantined":1,"#
                + #""real":10,"suppressed":false,"synthetic":5,"target":15,"wanted":5}],"generation":3,"#
                + #""latest_report":"/out/reports/2026-11-30T10-00-00Z","name":"chest","output_root":"/out","unclassified_quarantined":0,"#
                + #""watch_root":"/in"}],"degraded":{"filewatch":"queue overflow"},"job":{"dataset":"chest","#
                + #""detail":"D 1.250 G 0.750, 1.5 steps/s, ETA 1920 s","job_id":4,"kind":"gan","phase":"training","#
                + #""started_at":1764000000.5,"step":120,"total_steps":3000},"paused":false,"pid":4242,"queued_jobs":1,"#
                + #""uptime_seconds":12.25,"version":"0.5.0"}"#)
        try golden(
            .datasets,
            [
                DatasetInfo(
                    name: "chest", watchRoot: "/in", outputRoot: "/out", imageSize: 64, classes: ["normal", "viral"],
                    testRoot: nil)
            ],
            #"[{"classes":["normal","viral"],"image_size":64,"name":"chest","output_root":"/out","test_root":null,"watch_root":"/in"}]"#)
        try golden(
            .jobs,
            [
                JobSummary(
                    id: 7, dataset: "chest", kind: .gan, state: .done, step: 3000, totalSteps: 3000, detail: nil,
                    reason: "deficit", createdAt: 1_764_000_000.5, startedAt: 1_764_000_001, finishedAt: nil,
                    outcome: "published 12", arguments: nil)
            ],
            #"[{"createdAt":1764000000.5,"dataset":"chest","id":7,"kind":"gan","outcome":"published 12","reason":"deficit","#
                + #""startedAt":1764000001,"state":"done","step":3000,"totalSteps":3000}]"#)
        try golden(
            .quarantine, [QuarantinedFile(path: "/in/viral/x.png", dataset: "chest", className: "viral", reason: "not an image")],
            #"[{"class":"viral","dataset":"chest","path":"/in/viral/x.png","reason":"not an image"}]"#)
        try golden(
            .report,
            ReportReply(
                dataset: "chest", time: "T1", directory: "/r/T1", html: "/r/T1/report.html", json: "/r/T1/report.json",
                summary: "real 79.1%", report: .object(["accuracy": .number(0.5)])),
            #"{"dataset":"chest","directory":"/r/T1","html":"/r/T1/report.html","json":"/r/T1/report.json","#
                + #""report":{"accuracy":0.5},"summary":"real 79.1%","time":"T1"}"#)
        try golden(.metrics, "# TYPE cohort_up gauge\ncohort_up 1\n", ##""# TYPE cohort_up gauge\ncohort_up 1\n""##)
        try golden(
            .subscribe, SubscribeReply(),
            #"{"events":["progress","job_started","job_finished","ingested","degraded","reloaded"],"subscribed":true}"#)
        try golden(.pause, PauseReply(paused: true), #"{"paused":true}"#)
        try golden(.resume, PauseReply(paused: false), #"{"paused":false}"#)
        try golden(.cancel, CancelReply(cancelled: 7), #"{"cancelled":7}"#)
        try golden(.rescan, RescanReply(), #"{"rescan":true}"#)
        try golden(.train, QueuedJobReply(job: 8), #"{"job":8}"#)
        try golden(
            .generate, GenerateReply(job: 9, directory: "/state/generated/chest/job-9/viral"),
            #"{"directory":"/state/generated/chest/job-9/viral","job":9}"#)
        try golden(
            .export, ExportReply(out: "/x", real: 10, synthetic: 2, hardLinks: 12, copies: 0),
            #"{"copies":0,"hard_links":12,"out":"/x","real":10,"synthetic":2}"#)
        try golden(.reload, ReloadReply(applied: ["threads"], needsRestart: []), #"{"applied":["threads"],"needs_restart":[]}"#)
        try golden(.backup, BackupReply(path: "/b.sqlite", bytes: 4096), #"{"bytes":4096,"path":"/b.sqlite"}"#)
        #expect(covered == Set(ControlCommand.allCases), "a golden reply for every command")
    }

    @Test func everyEventKeepsItsWireFormatAndDecodesToItsType() throws {
        let cases: [(TypedControlEvent, String)] = [
            (
                .progress(Self.job),
                #"{"data":{"dataset":"chest","detail":"D 1.250 G 0.750, 1.5 steps/s, ETA 1920 s","job_id":4,"kind":"gan","#
                    + #""phase":"training","started_at":1764000000.5,"step":120,"total_steps":3000},"event":"progress","v":1}"#
            ),
            (
                .jobStarted(JobEvent(jobID: 4, dataset: "chest", kind: .gan, state: .running, step: 0, totalSteps: 3000, outcome: nil)),
                #"{"data":{"dataset":"chest","job_id":4,"kind":"gan","outcome":null,"state":"running","step":0,"total_steps":3000},"#
                    + #""event":"job_started","v":1}"#
            ),
            (
                .jobFinished(JobEvent(jobID: 4, dataset: "chest", kind: .gan, state: .done, step: 3000, totalSteps: 3000, outcome: "ok")),
                #"{"data":{"dataset":"chest","job_id":4,"kind":"gan","outcome":"ok","state":"done","step":3000,"total_steps":3000},"#
                    + #""event":"job_finished","v":1}"#
            ),
            (
                .ingested(IngestedEvent(active: 3, duplicates: 1, quarantined: 0, removed: 2)),
                #"{"data":{"active":3,"duplicates":1,"quarantined":0,"removed":2},"event":"ingested","v":1}"#
            ),
            (
                .degraded(DegradedEvent(component: "filewatch", reason: nil)),
                #"{"data":{"component":"filewatch","reason":null},"event":"degraded","v":1}"#
            ),
            (
                .reloaded(.success(applied: ["threads"], needsRestart: ["control.socket"])),
                #"{"data":{"applied":["threads"],"needs_restart":["control.socket"]},"event":"reloaded","v":1}"#
            ),
            (
                .reloaded(.failure("threads: expected a whole number")),
                #"{"data":{"error":"threads: expected a whole number"},"event":"reloaded","v":1}"#
            )
        ]
        #expect(Set(cases.map(\.0.kind)) == Set(ControlEventKind.allCases))
        for (event, golden) in cases {
            let line = String(decoding: try FrameCodec.encode(ControlEvent(event)), as: UTF8.self)
            #expect(line == golden + "\n")
            #expect(try JSONDecoder().decode(ControlEvent.self, from: Data(line.utf8)).typed() == event)
        }
        #expect(throws: ControlError.self) { try ControlEvent(event: "launched", data: .null).typed() }
    }

    @Test func mutatingCommandsAreTheOnesThatChangeTheDaemon() {
        let mutating = Set(ControlCommand.allCases.filter(\.isMutating).map(\.rawValue))
        #expect(mutating == ["pause", "resume", "cancel", "rescan", "train", "generate", "export", "reload", "backup"])
        #expect(ControlRequest(id: 1, cmd: "launch").command == nil)
        #expect(ControlRequest(id: 1, command: .status) == ControlRequest(id: 1, cmd: "status"))
    }

    @Test func argumentsDecodeTypedAndRefuseWrongTypesByName() throws {
        let generate = try ControlArguments.decode(
            GenerateArguments.self,
            from: [
                "dataset": .string("chest"), "class": .string("viral"),
                "count": .number(5)
            ], command: .generate)
        #expect(generate == GenerateArguments(dataset: "chest", className: "viral", count: 5))
        #expect(ControlArguments.encode(generate) == ["dataset": .string("chest"), "class": .string("viral"), "count": .number(5)])
        #expect(try ControlArguments.decode(JobsArguments.self, from: nil, command: .jobs) == JobsArguments())
        do {
            _ = try ControlArguments.decode(GenerateArguments.self, from: ["count": .string("many")], command: .generate)
            Issue.record("a string count must be refused")
        } catch {
            #expect(error.code == .invalidArguments)
            #expect(error.message == #"generate: "count" must be a number"#)
        }
        #expect(throws: ControlError.self) { try ControlArguments.decode(JobsArguments.self, from: ["limit": .number(2.5)], command: .jobs) }
        #expect(throws: ControlError.self) { try ControlArguments.decode(TrainArguments.self, from: ["kind": .string("vae")], command: .train) }
    }
}
