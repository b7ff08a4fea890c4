// Runs GDCM through cohort-dicom-helper (see Sources/cohort-dicom-helper): a few long-lived helper
// processes, each serving one file at a time over a pair of pipes, kept idle between files so a
// decode does not pay a process start and GDCM's dictionary load (about 30 ms). A helper that dies
// (a GDCM assertion on a damaged file) or misses its deadline costs one refused file: it is reaped and
// the next file gets a fresh one. Helpers end when their stdin closes (the caller exits).
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
        for candidate in [directory + "/cohort-dicom-helper", directory + "/../libexec/cohort/cohort-dicom-helper"]
        where access(candidate, X_OK) == 0 {
            return candidate
        }
        return nil
    }()

    /// How one request ended.
    enum Outcome {
        case answered([UInt8])
        /// The helper died while working on this file (signal number, or nil for an unexplained exit).
        case died(Int32?)
        case timedOut
    }

    /// One running helper and its pipes.
    private struct Helper: Sendable {
        var pid: pid_t
        var toHelper: Int32
        var fromHelper: Int32
    }

    /// Idle helpers; at most `maxIdle` are kept (ingest decodes on a few workers at a time).
    private static let idle = Mutex<[Helper]>([])
    private static let maxIdle = 8
    /// Held from pipe creation to spawn: Swift does not import glibc's pipe2, so close-on-exec is set
    /// after pipe(); no other helper may be spawned in between and inherit the new pipes.
    private static let spawning = Mutex(())
    private static let ignorePipeSignal: Void = { signal(SIGPIPE, SIG_IGN) }()

    /// Sends `arguments` and `input` to a helper and returns its answer, waiting at most `timeout` seconds.
    static func run(_ arguments: [String], input: UnsafeRawBufferPointer, timeout: Double, file: String) throws(ImageDecodeError) -> Outcome {
        guard let executable else {
            throw ImageDecodeError(
                file: file,
                reason: .unsupported("DICOM needs cohort-dicom-helper beside the executable or in ../libexec/cohort (make install puts it there)"))
        }
        _ = ignorePipeSignal
        var request: [UInt8] = []
        append(UInt32(arguments.count), to: &request)
        for argument in arguments {
            append(UInt32(argument.utf8.count), to: &request)
            request += Array(argument.utf8)
        }
        append(UInt64(input.count), to: &request)
        let helper: Helper
        if let pooled = healthyIdleHelper() { helper = pooled } else { helper = try spawn(executable, file: file) }
        let (outcome, reaped) = exchange(helper, request: request, input: input, timeout: timeout)
        if case .answered = outcome {
            let kept = idle.withLock { helpers in
                guard helpers.count < maxIdle else { return false }
                helpers.append(helper)
                return true
            }
            if !kept { retire(helper, reaped: false) }
        } else {
            retire(helper, reaped: reaped)
        }
        return outcome
    }

    /// An idle helper that is still alive: one killed since its last file (by an operator, out of
    /// memory) has its stdout closed, which poll reports at once; such helpers are reaped and skipped.
    private static func healthyIdleHelper() -> Helper? {
        while let helper = idle.withLock({ $0.popLast() }) {
            var poller = pollfd(fd: helper.fromHelper, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 0) == 0 { return helper }
            retire(helper, reaped: false)
        }
        return nil
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// One request and its answer; `reaped` when the helper was found dead and reaped.
    private static func exchange(_ helper: Helper, request: [UInt8], input: UnsafeRawBufferPointer, timeout: Double) -> (Outcome, reaped: Bool) {
        let deadline = monotonicSeconds() + timeout
        guard request.withUnsafeBytes({ writeAll(helper.toHelper, $0) }), writeAll(helper.toHelper, input) else {
            return died(helper)
        }
        var header = [UInt8](repeating: 0, count: 8)
        switch readExactly(helper.fromHelper, into: &header, deadline: deadline) {
        case .timedOut: return (.timedOut, false)
        case .ended: return died(helper)
        case .done: break
        }
        let length = header.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length < 1 << 34 else { return (.died(nil), false) }
        var answer = [UInt8](repeating: 0, count: Int(length))
        switch readExactly(helper.fromHelper, into: &answer, deadline: deadline) {
        case .timedOut: return (.timedOut, false)
        case .ended: return died(helper)
        case .done: return (.answered(answer), false)
        }
    }

    /// The helper ended: why (its signal), reaping it when it has exited.
    private static func died(_ helper: Helper) -> (Outcome, reaped: Bool) {
        var status: Int32 = 0
        // Give an aborting helper a moment to finish dying, so its signal can be reported.
        for _ in 0..<50 {
            if waitpid(helper.pid, &status, WNOHANG) == helper.pid {
                // WIFSIGNALED / WTERMSIG (macros Swift does not import).
                let signalNumber = status & 0x7F
                return (.died(signalNumber != 0 && signalNumber != 0x7F ? signalNumber : nil), true)
            }
            usleep(2000)
        }
        return (.died(nil), false)
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    private enum ReadResult { case done, ended, timedOut }

    private static func readExactly(_ fd: Int32, into buffer: inout [UInt8], deadline: Double) -> ReadResult {
        var filled = 0
        while filled < buffer.count {
            let left = deadline - monotonicSeconds()
            if left <= 0 { return .timedOut }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left, 1) * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return .ended }
            filled += n
        }
        return .done
    }

    /// Starts a helper with its stdin and stdout on fresh pipes.
    private static func spawn(_ executable: String, file: String) throws(ImageDecodeError) -> Helper {
        try spawning.withLock { _ throws(ImageDecodeError) in
            var toChild: [Int32] = [0, 0], fromChild: [Int32] = [0, 0]
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
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), nil]
            defer { argv.forEach { free($0) } }
            let environment: [UnsafeMutablePointer<CChar>?] = [nil]
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environment)
            close(toChild[0])
            close(fromChild[1])
            guard spawned == 0 else {
                close(toChild[1])
                close(fromChild[0])
                throw failure(file, "spawning the helper: \(String(cString: strerror(spawned)))", code: spawned)
            }
            return Helper(pid: pid, toHelper: toChild[1], fromHelper: fromChild[0])
        }
    }

    /// Ends a helper: closes its pipes, kills it if it still runs, reaps it (unless already reaped:
    /// its pid may belong to another process by now).
    private static func retire(_ helper: Helper, reaped: Bool) {
        close(helper.toHelper)
        close(helper.fromHelper)
        guard !reaped else { return }
        kill(helper.pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(helper.pid, &status, 0) < 0 && errno == EINTR {}
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
