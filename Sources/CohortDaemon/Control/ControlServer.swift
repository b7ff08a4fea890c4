// The control socket: a Unix stream socket (mode 0660) speaking newline-delimited JSON (CohortControl).
// Each connection is handled on NIO's event loop; a malformed frame gets an error reply, an oversized
// frame or an idle client is disconnected — only that client. Quick commands run on the event loop
// (they flip live state or read a little of the catalog); `status`, `metrics` and slow ones run off it,
// and a connection answers its requests strictly in order. Fairness: a connection has one request in
// flight, handles one frame per round (ControlTurns: rounds alternate with polls of the sockets, so a
// pipelined flood takes turns with everyone else and never delays an accept or a read), stops reading
// while 32 frames wait, stops handling while the client does not read its replies, and is closed after
// 16 protocol-level refusals in a row (malformed frames, unknown or forbidden commands).
// With systemd socket activation (cohortd.socket) the listening socket arrives as LISTEN_FDS.
import CohortControl
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

final class ControlServer: Service, @unchecked Sendable {
    private let path: String
    private let socketGID: UInt32?
    private let maxConnections: Int
    private let commands: ControlCommands
    private let live: LiveConfiguration
    private let logger: Logger
    /// Called once the socket is bound and listening (cohortd then tells systemd READY=1).
    private let onReady: @Sendable () -> Void

    init(
        configuration: DaemonConfiguration, commands: ControlCommands, live: LiveConfiguration, logger: Logger,
        onReady: @escaping @Sendable () -> Void = {}
    ) {
        path = configuration.socketPath
        socketGID = configuration.control.socketGID
        maxConnections = configuration.control.maxConnections
        self.commands = commands
        self.live = live
        self.logger = logger
        self.onReady = onReady
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let commands = self.commands
        let live = self.live
        let logger = self.logger
        let limit = ConnectionLimit(maximum: maxConnections)
        let turns = ControlTurns(loop: group.next())  // the group's only loop: every channel runs on it
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            // Accept up to 64 waiting clients per poll (NIO: 4), so a connection storm drains the listen queue
            // faster and an operator's blocking connect waits less behind it.
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Over the cap: a typed refusal, then close (the count is only touched on this one loop).
                    // The last slots are kept for root, cohortd's user and the admin group, so a crowd of
                    // socket-group clients cannot lock operators out.
                    let admin = ControlAccess.mayMutate(
                        PeerIdentity.read(from: channel), adminGID: live.current.control.adminGID,
                        daemonUID: getuid())
                    guard limit.admit(channel, admin: admin) else {
                        try channel.pipeline.syncOperations.addHandler(RefusingHandler(maximum: limit.maximum))
                        return
                    }
                    // Read per connection, so a reload's new timeout applies to new clients.
                    let idle = TimeAmount.milliseconds(Int64(live.current.control.idleTimeoutSeconds * 1000))
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(
                        ControlConnectionHandler(commands: commands, live: live, turns: turns, logger: logger))
                }
            }
        let channel: Channel
        let activated = SocketActivation.listeningDescriptor()
        if let descriptor = activated {
            channel = try await bootstrap.withBoundSocket(descriptor).get()
            logger.info("control socket passed by systemd (socket activation, fd \(descriptor))")
        } else {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            chmod(path, 0o660)
            if let socketGID, chown(path, uid_t.max, socketGID) != 0 {
                logger.error("cannot hand the control socket to group \(socketGID): \(String(cString: strerror(errno)))")
            }
            logger.info("control socket at \(path)")
        }
        onReady()
        try? await gracefulShutdown()
        try? await channel.close().get()
        try? await group.shutdownGracefully()
        // systemd owns an activated socket's file (and keeps listening for the next start).
        if activated == nil { unlink(path) }
    }
}

/// Counts open client connections (only on the server's single event loop).
final class ConnectionLimit: @unchecked Sendable {
    let maximum: Int
    /// Slots only administrators may take: 1/16 of the cap, at least one.
    let reservedForAdmins: Int
    private var open = 0

    init(maximum: Int) {
        self.maximum = maximum
        reservedForAdmins = maximum > 1 ? max(1, maximum / 16) : 0
    }

    /// Admits `channel` if under the cap (others than admins: under the cap less the reserved slots) and
    /// counts it until it closes.
    func admit(_ channel: Channel, admin: Bool) -> Bool {
        guard open < (admin ? maximum : maximum - reservedForAdmins) else { return false }
        open += 1
        channel.closeFuture.whenComplete { _ in self.open -= 1 }
        return true
    }
}

/// Tells a client over the connection cap why, then closes.
final class RefusingHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let maximum: Int

    init(maximum: Int) { self.maximum = maximum }

    func channelActive(context: ChannelHandlerContext) {
        let error = ControlError(
            .tooManyConnections, "the control socket already serves \(maximum) clients (control.max_connections); try again later",
            context: ["max_connections": String(maximum)])
        guard let bytes = try? FrameCodec.encode(ControlResponse.failure(id: nil, error)) else { return context.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes))).whenComplete { _ in context.close(promise: nil) }
    }
}

/// One client connection.
final class ControlConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let commands: ControlCommands
    private let live: LiveConfiguration
    private let turns: ControlTurns
    private let logger: Logger
    private var decoder = FrameDecoder()
    private var peer: PeerIdentity?
    /// Frames waiting while a slow command of this connection runs (replies stay in request order).
    private var pending: [[UInt8]] = []
    private var busy = false
    /// Reading from the client is suspended (too many frames wait).
    private var readingPaused = false
    /// Frames that may wait before the connection stops reading from its client, and the level at which
    /// it reads again.
    static let pendingHigh = 32, pendingLow = 8
    private var subscription: Int?

    init(commands: ControlCommands, live: LiveConfiguration, turns: ControlTurns, logger: Logger) {
        self.commands = commands
        self.live = live
        self.turns = turns
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        peer = PeerIdentity.read(from: context.channel)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let subscription { commands.state.events.unsubscribe(subscription) }
        subscription = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        do {
            pending += try decoder.feed(bytes)
        } catch {
            closeAfter(context, ControlResponse.failure(id: nil, error))
            return
        }
        processPending(context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { processPending(context) }
        context.fireChannelWritabilityChanged()
    }

    /// Handles at most one frame; the next waits for this connection's turn in the next round (ControlTurns).
    private func processPending(_ context: ChannelHandlerContext) {
        guard context.channel.isActive, !closing else {
            pending.removeAll()  // the client left (or is being closed): its queued requests have no one to answer
            return
        }
        if pending.count >= Self.pendingHigh && !readingPaused {
            readingPaused = true
            context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in }
        } else if pending.count <= Self.pendingLow && readingPaused {
            readingPaused = false
            context.channel.setOption(ChannelOptions.autoRead, value: true).whenFailure { _ in }
            context.read()
        }
        // A client that does not read its replies gets no more work done until it does.
        if !busy, !pending.isEmpty, context.channel.isWritable {
            let frame = pending.removeFirst()
            switch FrameCodec.decodeRequest(frame) {
            case .failure(let error):
                if refuseAfterBadFrames(context, error) { return }
                write(context, ControlResponse.failure(id: nil, error))
            case .success(let request):
                let mayMutate = ControlAccess.mayMutate(peer, adminGID: live.current.control.adminGID, daemonUID: getuid())
                switch commands.handle(request, mayMutate: mayMutate, peerUID: peer?.uid) {
                case .now(let result):
                    if case .failure(let error) = result, refuseAfterBadFrames(context, error) { return }
                    if case .success = result { badFrames = 0 }
                    write(context, response(request.id, result))
                case .subscribe(let result):
                    write(context, ControlResponse.success(id: request.id, result))
                    subscribe(context)
                case .later(let work):
                    busy = true
                    let loop = context.eventLoop
                    let box = NIOLoopBound(context, eventLoop: loop)
                    badFrames = 0
                    Task.detached { [self] in
                        // Encoded here, off the event loop: a status reply is a few kilobytes of JSON, and
                        // encoding every flooder's on the loop was a third of its time (perf, torture suite).
                        let reply = try? FrameCodec.encode(self.response(request.id, await work()))
                        loop.execute {
                            let context = box.value
                            self.busy = false
                            if let reply { context.write(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: reply)), promise: nil) }
                            context.flush()
                            // The next frame waits for a round: completions arrive from other threads as
                            // event-loop tasks, and handling the next frame here would keep a flooder's
                            // cycle (frame → work → completion → frame) inside NIO's task pass, which
                            // does not poll the sockets while tasks keep arriving.
                            if self.pending.isEmpty {
                                self.processPending(context)
                            } else {
                                self.turns.request(self) { self.processPending(box.value) }
                            }
                        }
                    }
                }
            }
            context.flush()
            if !busy, !pending.isEmpty {
                let box = NIOLoopBound(context, eventLoop: context.eventLoop)
                turns.request(self) { self.processPending(box.value) }
            }
        }
    }

    /// Protocol-level refusals in a row (malformed frames, another protocol version, unknown commands,
    /// commands the peer may not send) before the connection is closed. cohortctl never sends one twice;
    /// a client that sends 16 is broken or hostile, and answering each of its frames costs everyone else.
    static let maxBadFrames = 16
    private var badFrames = 0
    /// The connection was refused for its bad frames and closes once the reason is written.
    private var closing = false

    /// Counts a refusal; at `maxBadFrames` in a row answers with the reason, closes, and returns true.
    private func refuseAfterBadFrames(_ context: ChannelHandlerContext, _ error: ControlError) -> Bool {
        guard [.malformedFrame, .versionMismatch, .unknownCommand, .permissionDenied].contains(error.code) else { return false }
        badFrames += 1
        guard badFrames >= Self.maxBadFrames else { return false }
        closing = true
        pending.removeAll()
        closeAfter(
            context,
            ControlResponse.failure(
                id: nil,
                ControlError(
                    .malformedFrame, "\(Self.maxBadFrames) refused requests in a row (the last: \(error.message)); closing",
                    context: ["last_code": error.code.rawValue])))
        return true
    }

    /// Streams events to this client until it leaves.
    private func subscribe(_ context: ChannelHandlerContext) {
        guard subscription == nil else { return }
        let channel = context.channel
        subscription = commands.state.events.subscribe { event in
            guard let bytes = try? FrameCodec.encode(event) else { return }
            channel.eventLoop.execute {
                channel.writeAndFlush(channel.allocator.buffer(bytes: bytes), promise: nil)
            }
        }
    }

    private func response(_ id: Int, _ result: Result<JSONValue, ControlError>) -> ControlResponse {
        switch result {
        case .success(let value): return .success(id: id, value)
        case .failure(let error): return .failure(id: id, error)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            // A subscriber listens without speaking; a busy connection waits for its own slow command.
            guard subscription == nil, !busy else { return }
            closeAfter(
                context,
                ControlResponse.failure(
                    id: nil,
                    ControlError(
                        .malformedFrame, "idle for too long; closing",
                        context: ["idle_timeout_seconds": String(live.current.control.idleTimeoutSeconds)])))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// Sends a last reply, then closes once it is written.
    private func closeAfter(_ context: ChannelHandlerContext, _ response: ControlResponse) {
        guard let bytes = try? FrameCodec.encode(response) else { return context.close(promise: nil) }
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    private func write(_ context: ChannelHandlerContext, _ response: ControlResponse) {
        guard let bytes = try? FrameCodec.encode(response) else { return }
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}
