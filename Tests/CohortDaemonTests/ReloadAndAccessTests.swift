// Pure rules of the control plane: what a reload applies and what waits for a restart, who may use
// mutating commands, the control keys of the configuration, and socket activation's environment.
import CohortTestSupport
import Foundation
import Testing

@testable import CohortDaemon

@Suite struct ReloadAndAccessTests {
    @Test func reloadAppliesLiveSettingsAndNamesTheRest() async throws {
        let base = try await ConfigurationTests().load(ConfigurationTests.minimal)
        var next = base
        next.balance.target = .fixed(500)
        next.gan.baseSteps = 123
        next.control.idleTimeoutSeconds = 5
        next.control.adminGroup = "4343"
        next.control.adminGID = 4343
        next.datasets[0].testRoot = "/srv/test/chest"
        next.settleSeconds = 9
        next.socketPath = "/run/elsewhere.sock"
        let (merged, outcome) = base.reloaded(from: next)
        #expect(Set(outcome.applied) == ["balance", "gan", "control.idle_timeout_seconds", "control.admin_group", "dataset.chest.test_root"])
        #expect(Set(outcome.needsRestart) == ["settle_seconds", "socket_path"])
        #expect(merged.balance.target == .fixed(500) && merged.gan.baseSteps == 123 && merged.control.adminGID == 4343)
        #expect(merged.datasets[0].testRoot == "/srv/test/chest")
        #expect(merged.settleSeconds == base.settleSeconds && merged.socketPath == base.socketPath, "fixed settings keep their values")

        var reshaped = base
        reshaped.datasets[0].watchRoot = "/srv/other"
        reshaped.classifier.epochs = 3
        let (kept, second) = base.reloaded(from: reshaped)
        #expect(second.needsRestart == ["datasets"] && second.applied == ["classifier"])
        #expect(kept.datasets == base.datasets)
        #expect(base.reloaded(from: base).1 == ReloadOutcome(applied: [], needsRestart: []))
    }

    @Test func liveConfigurationReloadsItsFileAndKeepsItOnErrors() async throws {
        let dir = try TemporaryDirectory()
        let path = try dir.write("c.yaml", Array(ConfigurationTests.minimal.utf8))
        let live = LiveConfiguration(try await DaemonConfiguration.load(path: path, environment: [:]))
        try dir.write("c.yaml", Array((ConfigurationTests.minimal + "\ngan:\n  base_steps: 77\n").utf8))
        let outcome = try await live.reload(environment: [:])
        #expect(outcome.applied == ["gan"] && live.current.gan.baseSteps == 77)
        try dir.write("c.yaml", Array((ConfigurationTests.minimal + "\ngan:\n  base_steps: -3\n").utf8))
        await #expect(throws: ConfigurationError.self) { try await live.reload(environment: [:]) }
        #expect(live.current.gan.baseSteps == 77, "an invalid file changes nothing")
    }

    @Test func controlKeysAreReadAndChecked() async throws {
        let c = try await ConfigurationTests().load(
            ConfigurationTests.minimal + "\ncontrol:\n  admin_group: \"4343\"\n  socket_group: root\n  idle_timeout_seconds: 5\n")
        #expect(c.control.adminGID == 4343 && c.control.socketGID == 0 && c.control.idleTimeoutSeconds == 5)
        let zero = await ConfigurationTests().problem(ConfigurationTests.minimal + "\ncontrol:\n  admin_group: root\n")
        #expect(zero?.key == "control.admin_group")
        let missing = await ConfigurationTests().problem(ConfigurationTests.minimal + "\ncontrol:\n  admin_group: no-such-group-cohort\n")
        #expect(missing?.key == "control.admin_group" && missing?.problem.contains("no group named") == true)
    }

    @Test func mutatingCommandsNeedRootTheDaemonUserOrTheAdminGroup() {
        let daemonUID: uid_t = 990
        let nobody = PeerIdentity(uid: 65534, gid: 65534, groups: [4242])
        #expect(ControlAccess.mayMutate(PeerIdentity(uid: 0, gid: 0, groups: []), adminGID: nil, daemonUID: daemonUID))
        #expect(ControlAccess.mayMutate(PeerIdentity(uid: 990, gid: 990, groups: []), adminGID: nil, daemonUID: daemonUID))
        #expect(!ControlAccess.mayMutate(nobody, adminGID: nil, daemonUID: daemonUID))
        #expect(!ControlAccess.mayMutate(nobody, adminGID: 4343, daemonUID: daemonUID))
        #expect(ControlAccess.mayMutate(PeerIdentity(uid: 65534, gid: 65534, groups: [4242, 4343]), adminGID: 4343, daemonUID: daemonUID))
        #expect(ControlAccess.mayMutate(PeerIdentity(uid: 1000, gid: 4343, groups: []), adminGID: 4343, daemonUID: daemonUID), "primary group")
        #expect(!ControlAccess.mayMutate(nil, adminGID: 4343, daemonUID: daemonUID), "an unknown peer may not")
    }

    @Test func socketActivationOnlyForThisProcess() {
        let pid = getpid()
        #expect(SocketActivation.listeningDescriptor(environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "1"], pid: pid, consume: false) == 3)
        #expect(SocketActivation.listeningDescriptor(environment: ["LISTEN_PID": "\(pid + 1)", "LISTEN_FDS": "1"], pid: pid, consume: false) == nil)
        #expect(SocketActivation.listeningDescriptor(environment: ["LISTEN_PID": "\(pid)", "LISTEN_FDS": "0"], pid: pid, consume: false) == nil)
        #expect(SocketActivation.listeningDescriptor(environment: [:], pid: pid, consume: false) == nil)
    }
}
