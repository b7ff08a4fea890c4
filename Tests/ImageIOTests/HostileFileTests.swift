// Files crafted to hurt the decoder, run through `cohort inspect` in a child process (a hang or a memory
// blow-up must not take the test runner with it): a FIFO where a scan should be must be refused at once,
// not block the reader; a 57-byte PNG declaring a 1 GiB text chunk must be refused by the chunk-length check
// before libpng allocates it.
//
// Why the memory test uses a data limit and not the child's peak RSS: posix_spawn starts the child with
// vfork semantics, and Linux carries the *parent's* high-water RSS into the child's ru_maxrss at exec, so the
// child "peaked" at whatever the test runner had reached (367 MiB on CI while other suites ran). A 512 MiB
// RLIMIT_DATA instead makes any attempt to allocate the declared gigabyte fail, and the test then asserts
// that the refusal is the chunk-length check's own reason, not an out-of-memory one.
import CohortTestSupport
import Foundation
import Testing

@testable import ImageIO

@Suite struct HostileFileTests {
    /// Runs `cohort inspect --json FILE` through `/bin/sh` with `ulimit -d dataLimitKiB` (when given) and one
    /// OpenBLAS thread (its per-thread buffers would not fit a small data limit), killing it after `timeout` s;
    /// returns the exit status (nil if killed) and stdout.
    func inspect(_ file: String, dataLimitKiB: Int? = nil, timeout: Double = 10) throws -> (status: Int32?, stdout: String) {
        let cohort = try #require(BuiltExecutable.path("cohort"), "build the package first (swift build)")
        let out = try TemporaryDirectory()
        let stdoutPath = out.file("stdout")
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let limit = dataLimitKiB.map { "ulimit -d \($0) && " } ?? ""
        let script = "\(limit)OPENBLAS_NUM_THREADS=1 exec \"$0\" inspect --json \"$1\""
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup(script), strdup(cohort), strdup(file), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0)
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        var finished = false
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { finished = true; break }
            usleep(20_000)
        }
        if !finished {
            kill(pid, SIGKILL)
            _ = waitpid(pid, &status, 0)
        }
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        return (finished ? (status >> 8) & 0xff : nil, stdout)
    }

    @Test func aFIFOIsRefusedAtOnce() throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.file("scan.png")
        #expect(mkfifo(fifo, 0o644) == 0)
        let result = try inspect(fifo, timeout: 30)
        #expect(result.status == 1, "cohort inspect blocked on a FIFO (killed after 30 s) or did not refuse it")
        #expect(result.stdout.contains("not a regular file"), "\(result.stdout)")
    }

    @Test func aTinyPNGCannotClaimAGigabyte() throws {
        // Signature, IHDR (1×1, 8-bit gray), then a zTXt chunk whose length field says 1 GiB: 57 bytes.
        func chunk(_ type: String, _ data: [UInt8], declaredLength: UInt32? = nil) -> [UInt8] {
            let length = declaredLength ?? UInt32(data.count)
            return withUnsafeBytes(of: length.bigEndian, Array.init) + Array(type.utf8) + data + [0, 0, 0, 0]  // CRC not reached
        }
        var ihdr = withUnsafeBytes(of: UInt32(1).bigEndian, Array.init) + withUnsafeBytes(of: UInt32(1).bigEndian, Array.init)
        ihdr += [8, 0, 0, 0, 0]
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
        bytes.replaceSubrange((bytes.count - 4)..<bytes.count, with: withUnsafeBytes(of: crc32(Array("IHDR".utf8) + ihdr).bigEndian, Array.init))
        bytes += chunk("zTXt", Array("comment\0\0xyz".utf8), declaredLength: 1 << 30)
        let dir = try TemporaryDirectory()
        let path = try dir.write("bomb.png", Array(bytes.prefix(57)))
        let limitKiB = 512 * 1024
        // The limit alone must not make inspect fail: a well-formed 1×1 PNG decodes under it.
        let good = try dir.write("good.png", try PNGEncoder.encode(GrayImage(width: 1, height: 1, bitDepth: 8, samples: [128])))
        let control = try inspect(good, dataLimitKiB: limitKiB, timeout: 20)
        #expect(control.status == 0, "a valid PNG failed under a \(limitKiB / 1024) MiB data limit: \(control.stdout)")
        let result = try inspect(path, dataLimitKiB: limitKiB, timeout: 20)
        #expect(result.status == 1, "cohort inspect did not refuse the file (killed after 20 s, or crashed)")
        #expect(
            result.stdout.contains("declares 1073741824 bytes"),
            "refused, but not by the chunk-length check (libpng tried to allocate the gigabyte?): \(result.stdout)")
        print(
            "57-byte PNG declaring a 1 GiB zTXt chunk under a \(limitKiB / 1024) MiB data limit: exit \(result.status.map(String.init) ?? "killed")")
    }

    /// CRC-32 (ISO 3309, as PNG uses it).
    func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
        }
        return ~crc
    }
}
