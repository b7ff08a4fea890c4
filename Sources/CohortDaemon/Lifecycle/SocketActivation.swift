// systemd socket activation (sd_listen_fds(3) without libsystemd): when LISTEN_PID is this process and
// LISTEN_FDS is at least 1, the listening control socket is file descriptor 3. The variables are removed
// so that no child process mistakes the socket for its own.
import Foundation

enum SocketActivation {
    /// First descriptor systemd passes (SD_LISTEN_FDS_START).
    static let firstDescriptor: Int32 = 3

    /// The passed listening socket, or nil when cohortd was not socket-activated.
    static func listeningDescriptor(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        pid: Int32 = getpid(), consume: Bool = true
    ) -> Int32? {
        guard let listenPID = environment["LISTEN_PID"].flatMap(Int32.init), listenPID == pid,
            let count = environment["LISTEN_FDS"].flatMap(Int.init), count >= 1
        else { return nil }
        if consume {
            for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { unsetenv(name) }
            _ = fcntl(firstDescriptor, F_SETFD, FD_CLOEXEC)
        }
        return firstDescriptor
    }
}
