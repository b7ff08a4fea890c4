// Files crafted to hurt the decoder, run through `cohort inspect` in a child process (a hang or a memory
// blow-up must not take the test runner with it): a FIFO where a scan should be must be refused at once,
// not block the reader; a 57-byte PNG declaring a 1 GiB text chunk must not make libpng allocate it.
import CohortTestSupport
import Foundation
import Testing
@testable import ImageIO

@Suite struct HostileFileTests {
    /// Runs `cohort inspect --json FILE`, killing it after `timeout` s; returns (exit status or nil if
    /// killed, peak RSS in KiB, stdout).
    func inspect(_ file: String, timeout: Double = 10) throws -> (status: Int32?, peakKiB: Int, stdout: String) {
        let cohort = try #require(BuiltExecutable.path("cohort"), "build the package first (swift build)")
        let out = try TemporaryDirectory()
        let stdoutPath = out.file("stdout")
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(cohort), strdup("inspect"), strdup("--json"), strdup(file), nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        #expect(posix_spawn(&pid, cohort, &actions, nil, argv, environ) == 0)
        var status: Int32 = 0, usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        var finished = false
        while Date() < deadline {
            if wait4(pid, &status, WNOHANG, &usage) == pid { finished = true; break }
            usleep(20_000)
        }
        if !finished {
            kill(pid, SIGKILL)
            _ = wait4(pid, &status, 0, &usage)
        }
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        return (finished ? (status >> 8) & 0xff : nil, Int(usage.ru_maxrss), stdout)
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
        let result = try inspect(path, timeout: 20)
        #expect(result.status != nil, "cohort inspect did not finish")
        #expect(result.peakKiB < 256 * 1024, "decoding a 57-byte file peaked at \(result.peakKiB / 1024) MiB")
        print("57-byte PNG declaring a 1 GiB zTXt chunk: exit \(result.status.map(String.init) ?? "killed"), peak RSS \(result.peakKiB / 1024) MiB")
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
