// Runs cohort-dicom-helper (GDCM in a process of its own, see Sources/cohort-dicom-helper) on one
// file's bytes: spawned per file, fed on stdin, read on stdout, killed after a deadline. A helper that
// dies (a GDCM assertion on a damaged file) or hangs costs one refused file, never the caller.
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

enum DICOMHelperProcess {
    /// The helper: `$COHORT_DICOM_HELPER`, else beside the running executable (the build directory,
    /// `make install`'s bin/), else `../libexec/cohort/` from it.
    static let executable: String? = {
        if let path = getenv("COHORT_DICOM_HELPER").map({ String(cString: $0) }), !path.isEmpty {
            return access(path, X_OK) == 0 ? path : nil
        }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let directory = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        for candidate in [directory + "/cohort-dicom-helper", directory + "/../libexec/cohort/cohort-dicom-helper"] where access(candidate, X_OK) == 0
        {
            return candidate
        }
        return nil
    }()

    /// How the helper ended.
    enum Outcome {
        case exited(code: Int32, output: [UInt8])
        case signalled(Int32)
        case timedOut
    }

    private static let ignorePipeSignal: Void = { signal(SIGPIPE, SIG_IGN) }()
    /// Held from pipe creation to spawn: glibc has pipe2 but Swift does not import it, so close-on-exec
    /// is set after pipe(); no other helper may be spawned in between and inherit the new pipes.
    private static let spawning = Mutex(())

    /// Runs the helper with `arguments`, `input` on its stdin; waits at most `timeout` seconds.
    static func run(_ arguments: [String], input: UnsafeRawBufferPointer, timeout: Double, file: String) throws(ImageDecodeError) -> Outcome {
        guard let executable else {
            throw ImageDecodeError(
                file: file,
                reason: .unsupported("DICOM needs cohort-dicom-helper beside the executable or in ../libexec/cohort (make install puts it there)"))
        }
        _ = ignorePipeSignal
        var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
        var pid: pid_t = 0
        try spawning.withLock { _ throws(ImageDecodeError) in
            guard pipe(&toChild) == 0 else { throw failure(file, "pipe") }
            guard pipe(&fromChild) == 0 else {
                close(toChild[0])
                close(toChild[1])
                throw failure(file, "pipe")
            }
            for fd in toChild + fromChild { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, toChild[0], 0)
            posix_spawn_file_actions_adddup2(&actions, fromChild[1], 1)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
            let argv = ([executable] + arguments).map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            // The input's size, so the helper allocates its buffer once.
            let environment: [UnsafeMutablePointer<CChar>?] = [strdup("COHORT_DICOM_INPUT_BYTES=\(input.count)"), nil]
            defer { environment.forEach { free($0) } }
            let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environment)
            close(toChild[0])
            close(fromChild[1])
            guard spawned == 0 else {
                close(toChild[1])
                close(fromChild[0])
                throw failure(file, "spawning the helper: \(String(cString: strerror(spawned)))", code: spawned)
            }
        }
        // The helper reads all of its input before it writes: write everything, then read.
        var offset = 0
        while offset < input.count {
            let n = write(toChild[1], input.baseAddress! + offset, input.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }  // the helper died early: its status says why
            offset += n
        }
        close(toChild[1])
        var output: [UInt8] = []
        output.reserveCapacity(input.count + (1 << 20))
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        let deadline = monotonicSeconds() + timeout
        var timedOut = false
        while true {
            let left = deadline - monotonicSeconds()
            if left <= 0 {
                timedOut = true
                break
            }
            var poller = pollfd(fd: fromChild[0], events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000))
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { read(fromChild[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            output.append(contentsOf: chunk.prefix(n))
        }
        close(fromChild[0])
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return .timedOut }
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS (macros Swift does not import).
        let signalNumber = status & 0x7F
        if signalNumber != 0 && signalNumber != 0x7F { return .signalled(signalNumber) }
        return .exited(code: (status >> 8) & 0xFF, output: output)
    }

    private static func failure(_ file: String, _ what: String, code: Int32 = errno) -> ImageDecodeError {
        ImageDecodeError(file: file, reason: .unreadable("DICOM helper: \(what)"), systemError: code)
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
