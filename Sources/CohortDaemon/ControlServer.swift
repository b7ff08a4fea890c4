// The control socket: a Unix stream socket (mode 0660) speaking newline-delimited JSON (CohortControl).
// Each connection is handled on NIO's event loop; a malformed frame gets an error reply, an oversized
// frame or an idle client is disconnected — only that client. Commands run on the event loop and only
// read the catalog or flip live state, so they stay fast while a job trains on its own thread.
import CohortControl
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

final class ControlServer: Service, @unchecked Sendable {
    private let path: String
    private let commands: ControlCommands
    private let logger: Logger
    /// Seconds a connection may stay silent before it is closed.
    static let idleTimeout: TimeAmount = .seconds(30)

    /// Called once the socket is bound and listening (cohortd then tells systemd READY=1).
    private let onReady: @Sendable () -> Void

    init(path: String, commands: ControlCommands, logger: Logger, onReady: @escaping @Sendable () -> Void = {}) {
        self.onReady = onReady
        self.path = path
        self.commands = commands
        self.logger = logger
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let commands = self.commands
        let logger = self.logger
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: ControlServer.idleTimeout))
                    try channel.pipeline.syncOperations.addHandler(ControlConnectionHandler(commands: commands, logger: logger))
                }
            }
            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        chmod(path, 0o660)
        logger.info("control socket at \(path)")
        onReady()
        try? await gracefulShutdown()
        try? await channel.close().get()
        try? await group.shutdownGracefully()
        unlink(path)
    }
}

/// One client connection.
final class ControlConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let commands: ControlCommands
    private let logger: Logger
    private var decoder = FrameDecoder()
    private var peerUID: uid_t?

    init(commands: ControlCommands, logger: Logger) {
        self.commands = commands
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        if let provider = context.channel as? SocketOptionProvider {
            let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
            future.whenSuccess { [self] credentials in peerUID = credentials.uid }
        }
        context.fireChannelActive()
    }

    /// Root and the daemon's own user may change things (the admin group comes with the systemd work).
    private var mayMutate: Bool { peerUID.map { $0 == 0 || $0 == getuid() } ?? false }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        let frames: [[UInt8]]
        do {
            frames = try decoder.feed(bytes)
        } catch {
            closeAfter(context, ControlResponse.failure(id: nil, error))
            return
        }
        for frame in frames {
            switch FrameCodec.decodeRequest(frame) {
            case .failure(let error):
                write(context, ControlResponse.failure(id: nil, error))
            case .success(let request):
                if ControlCommands.mutating.contains(request.cmd) && !mayMutate {
                    write(context, ControlResponse.failure(id: request.id, ControlError(
                        .permissionDenied, "'\(request.cmd)' changes the daemon: root or the daemon's user only",
                        context: ["uid": peerUID.map { String($0) } ?? "unknown"])))
                    continue
                }
                switch commands.handle(request) {
                case .success(let result): write(context, ControlResponse.success(id: request.id, result))
                case .failure(let error): write(context, ControlResponse.failure(id: request.id, error))
                }
            }
        }
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            closeAfter(context, ControlResponse.failure(id: nil, ControlError(.malformedFrame, "idle for too long; closing")))
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

/// Linux's `struct ucred` (pid, uid, gid: three 32-bit fields, no padding), which Glibc's module map does
/// not expose without _GNU_SOURCE; SO_PEERCRED fills it.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
