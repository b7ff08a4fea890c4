// The frame codec without sockets: frames split across reads, several per read, CRLF, size limit,
// malformed input and version mismatches answered with typed errors.
import Foundation
import Testing

@testable import CohortControl

@Suite struct FrameCodecTests {
    @Test func framesAcrossAndWithinReads() throws {
        var decoder = FrameDecoder()
        let request = try FrameCodec.encode(ControlRequest(id: 1, cmd: "status"))
        #expect(try decoder.feed(request.prefix(5)).isEmpty)
        #expect(decoder.pendingBytes == 5)
        let rest = Array(request.dropFirst(5)) + Array("{\"v\":1,\"id\":2,\"cmd\":\"jobs\"}\r\n\n".utf8)
        let frames = try decoder.feed(rest)
        #expect(frames.count == 2, "two frames; the empty line is skipped")
        #expect(try FrameCodec.decodeRequest(frames[0]).get() == ControlRequest(id: 1, cmd: "status"))
        #expect(try FrameCodec.decodeRequest(frames[1]).get().cmd == "jobs")
        #expect(decoder.pendingBytes == 0)
    }

    @Test func oversizedFramesAreRefusedWithoutWaitingForTheNewline() {
        var decoder = FrameDecoder(maxFrameBytes: 16)
        #expect(throws: ControlError.self) { _ = try decoder.feed([UInt8](repeating: 0x61, count: 17)) }
        var second = FrameDecoder(maxFrameBytes: 16)
        #expect(throws: ControlError.self) { _ = try second.feed(Array("{\"v\":1,\"id\":1,\"cmd\":\"x\"}\n".utf8)) }
    }

    @Test func malformedAndMismatchedRequestsGetTypedErrors() {
        func code(_ text: String) -> ControlError.Code? {
            if case .failure(let error) = FrameCodec.decodeRequest(Array(text.utf8)) { return error.code }
            return nil
        }
        #expect(code("not json") == .malformedFrame)
        #expect(code("[1,2]") == .malformedFrame)
        #expect(code("{\"id\":1,\"cmd\":\"status\"}") == .malformedFrame)
        #expect(code("{\"v\":1,\"cmd\":\"status\"}") == .malformedFrame, "an id is required")
        #expect(code("{\"v\":2,\"id\":1,\"cmd\":\"status\"}") == .versionMismatch)
        if case .failure(let error) = FrameCodec.decodeRequest(Array("{\"v\":9,\"id\":1,\"cmd\":\"status\"}".utf8)) {
            #expect(error.message.contains("v9") && error.message.contains("v1"), "both versions are named")
        }
    }

    /// Field problems are named in the protocol's terms; Swift's DecodingError text (coding paths, "debug
    /// description", type names like "Int") never reaches the client.
    @Test func malformedFieldsAreNamedWithoutSwiftInternals() {
        func message(_ text: String) -> String {
            if case .failure(let error) = FrameCodec.decodeRequest(Array(text.utf8)) { return error.message }
            return "decoded"
        }
        let cases = [
            (#"{"v":1,"cmd":"status"}"#, #""id" is missing"#),
            (#"{"v":1,"id":"seven","cmd":"status"}"#, #""id" must be a number"#),
            (#"{"v":1,"id":1,"cmd":5}"#, #""cmd" must be a string"#),
            (#"{"v":1,"id":1,"cmd":null}"#, #""cmd" must be a string, not null"#)
        ]
        for (frame, expected) in cases {
            let text = message(frame)
            #expect(text.hasSuffix(expected), "\(frame) → \(text)")
            for leak in ["DecodingError", "CodingKeys", "debugDescription", "Swift.", "keyNotFound", "typeMismatch"] {
                #expect(!text.contains(leak), "\(frame) → \(text)")
            }
        }
    }

    @Test func responsesRoundTrip() throws {
        let response = ControlResponse.failure(id: 3, ControlError(.permissionDenied, "train needs an admin", context: ["uid": "1000"]))
        let frame = try FrameCodec.encode(response)
        #expect(frame.last == 0x0A)
        #expect(try JSONDecoder().decode(ControlResponse.self, from: Data(frame.dropLast())) == response)
        let ok = ControlResponse.success(id: 4, .object(["paused": .bool(false), "queued": .number(2), "name": .string("chest")]))
        #expect(try JSONDecoder().decode(ControlResponse.self, from: Data(try FrameCodec.encode(ok).dropLast())) == ok)
    }
}
