// Round-robin turns for control connections with more than one frame waiting, separated by a pass through
// the selector.
//
// Why not `eventLoop.execute` per connection: NIO's event loop runs every ready task — including tasks those
// tasks enqueue — before it polls its sockets again. A connection that re-enqueued its next turn after each
// frame therefore kept the loop away from the selector until every pipelined frame of every connection was
// handled: 40 clients pipelining permission-denied commands held `cohortctl status` for 4.6–10.6 s (torture
// suite, control scenario). Here one round handles one frame per waiting connection, and the next round is
// scheduled a little after the round ends, so the loop finds nothing ready, polls (accepts, reads the honest
// client's request) and only then runs the next round.
import NIOCore

/// Only touched on the control server's single event loop.
final class ControlTurns: @unchecked Sendable {
    private let loop: EventLoop
    /// Connections waiting for a turn, in arrival order, each at most once.
    private var waiting: [(id: ObjectIdentifier, turn: () -> Void)] = []
    private var waitingIDs: Set<ObjectIdentifier> = []
    /// A round is scheduled or running (a turn that asks again during a round waits for the next one).
    private var roundPending = false
    /// Gap between the end of a round and the next: long enough that the loop's task pass ends and it polls.
    static let gap = TimeAmount.microseconds(100)

    init(loop: EventLoop) { self.loop = loop }

    /// Gives `owner` a turn (`turn` runs once) in the next round.
    func request(_ owner: AnyObject, _ turn: @escaping () -> Void) {
        loop.preconditionInEventLoop()
        let id = ObjectIdentifier(owner)
        guard waitingIDs.insert(id).inserted else { return }
        waiting.append((id, turn))
        scheduleRound()
    }

    private func scheduleRound() {
        guard !roundPending else { return }
        roundPending = true
        loop.scheduleTask(in: Self.gap) { self.round() }
    }

    private func round() {
        let turns = waiting
        waiting.removeAll(keepingCapacity: true)
        waitingIDs.removeAll(keepingCapacity: true)
        for entry in turns { entry.turn() }
        // Scheduled only now, after the round: its deadline lies after everything this round did.
        roundPending = false
        if !waiting.isEmpty { scheduleRound() }
    }
}
