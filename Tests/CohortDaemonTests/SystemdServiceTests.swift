// The shipped units, sysusers/tmpfiles files and default configuration under a real systemd, set up with
// the README's steps only: Tests/systemd/namespace-test.sh boots systemd as PID 1 of private namespaces and
// drives cohortd.service / cohortd.socket with systemctl (start → READY=1 → cohortctl → a scan dropped by a
// non-root member of group cohort is cataloged → reload → stop with Result=success → socket activation).
// Cancelled, with the script's reason, where namespaces, cgroups or systemd are unavailable.
import CohortTestSupport
import Foundation
import Testing

@Suite struct SystemdServiceTests {
    @Test(.enabled(if: DaemonHarness.executable != nil, "build cohortd first (swift build)"))
    func startQueryReloadStopUnderSystemd() throws {
        let binaries = (DaemonHarness.executable! as NSString).deletingLastPathComponent
        let script = SharedData.repositoryRoot + "/Tests/systemd/namespace-test.sh"
        let result = try BuiltExecutable.run("/bin/bash", [script, binaries])
        let output = result.stdout + result.stderr
        if result.status == 77 { try Test.cancel(Comment(rawValue: output.trimmingCharacters(in: .whitespacesAndNewlines))) }
        #expect(result.status == 0, Comment(rawValue: output))
        #expect(output.contains("PASS: systemd namespace test"))
    }
}
