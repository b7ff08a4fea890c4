// Who is on the other end of a control connection, and whether they may change things. The kernel
// vouches for the peer (SO_PEERCRED: uid and primary gid; SO_PEERGROUPS: the supplementary groups the
// peer process actually holds), so nothing a client sends can claim more rights.
import Foundation
import NIOCore

/// The peer process's identity at connect time.
struct PeerIdentity: Sendable, Equatable {
    var uid: UInt32
    var gid: UInt32
    /// Supplementary groups (without the primary one).
    var groups: [UInt32]

    /// Reads the identity of `channel`'s peer; nil when the kernel does not say (never on Linux).
    static func read(from channel: Channel) -> PeerIdentity? {
        guard let provider = channel as? SocketOptionProvider else { return nil }
        // On the event loop these futures are already complete.
        var identity: PeerIdentity?
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        credentials.whenSuccess { identity = PeerIdentity(uid: $0.uid, gid: $0.gid, groups: []) }
        let groups: EventLoopFuture<PeerGroupList> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(PeerGroupList.option))
        // More groups than the buffer holds fails with ERANGE: the peer then counts with its primary
        // group only, which can deny but never grant too much.
        groups.whenSuccess { list in identity?.groups = list.gids }
        return identity
    }
}

enum ControlAccess {
    /// Mutating commands: root, the daemon's own user, or a member (primary or supplementary) of the
    /// admin group. An unknown peer may not.
    static func mayMutate(_ peer: PeerIdentity?, adminGID: UInt32?, daemonUID: uid_t) -> Bool {
        guard let peer else { return false }
        if peer.uid == 0 || peer.uid == daemonUID { return true }
        guard let adminGID else { return false }
        return peer.gid == adminGID || peer.groups.contains(adminGID)
    }
}

/// Linux's `struct ucred` (pid, uid, gid: three 32-bit fields, no padding), which Glibc's module map does
/// not expose without _GNU_SOURCE; SO_PEERCRED fills it.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// SO_PEERGROUPS' answer: up to 256 group ids. The socket-option reader zeroes the buffer and does not
/// return the length, so unused slots read as gid 0 — which is why the admin group may not be group 0
/// (root is an administrator anyway).
struct PeerGroupList: Sendable {
    /// SO_PEERGROUPS from <asm-generic/socket.h> (Linux 4.13).
    static let option: Int32 = 59
    var slots: (SIMD64<UInt32>, SIMD64<UInt32>, SIMD64<UInt32>, SIMD64<UInt32>) = (.zero, .zero, .zero, .zero)

    var gids: [UInt32] {
        var all: [UInt32] = []
        for block in [slots.0, slots.1, slots.2, slots.3] {
            for i in 0..<64 where block[i] != 0 { all.append(block[i]) }
        }
        return all
    }
}
