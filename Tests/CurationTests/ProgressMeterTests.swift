// Progress lines: on a terminal one line rewritten in place (and ended once, at the last step); elsewhere
// plain lines at most every 15 s plus the last one; counting from many threads at once.
import Foundation
import Testing

@testable import Curation

@Suite struct ProgressMeterTests {
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var text: [String] = []
        func write(_ s: String) { lock.withLock { text.append(s) } }
        var all: [String] { lock.withLock { text } }
    }

    @Test func plainLinesAreFewAndEndWithTheLastStep() {
        let sink = Sink()
        let meter = ProgressMeter(phase: "fingerprints", total: 100, printer: ProgressPrinter(terminal: false, write: sink.write))
        for step in 1...100 { meter.update(step) }
        meter.update(100)
        #expect(sink.all.count == 2, "the first step and the last, nothing between within 15 s: \(sink.all)")
        #expect(sink.all.last?.hasPrefix("fingerprints 100/100 (") == true && sink.all.last?.hasSuffix("ETA 0:00)\n") == true)
    }

    @Test func aTerminalLineIsRewrittenInPlaceAndEndedOnce() {
        let sink = Sink()
        let meter = ProgressMeter(phase: "gan", total: 3, printer: ProgressPrinter(terminal: true, write: sink.write))
        meter.update(1, detail: "D 1.0")
        meter.update(3)
        #expect(sink.all.allSatisfy { $0.hasPrefix("\r\u{1B}[K") })
        #expect(sink.all.first?.hasSuffix(" D 1.0") == true, "no newline while running")
        #expect(sink.all.last?.hasSuffix("\n") == true)
    }

    @Test func parallelWorkCountsEveryItem() {
        let sink = Sink()
        let meter = ProgressMeter(phase: "decode", total: 500, printer: ProgressPrinter(terminal: false, write: sink.write))
        _ = ParallelMap.map(500, workers: 4, progress: meter) { $0 * 2 }
        #expect(sink.all.last?.hasPrefix("decode 500/500") == true, "\(sink.all)")
        #expect(ProgressMeter.format(phase: "p", step: 30, total: 90, elapsed: 10, detail: "x") == "p 30/90 (3.0 steps/s, ETA 0:20) x")
    }
}
