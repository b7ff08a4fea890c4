// The re-exec rules, branch by branch (the real process replacement is exercised by `cohort`).
import Testing

@testable import BLAS

@Suite struct CoreSelectionTests {
    let avx512: CPUFeatures = [.avx, .avx2, .fma, .avx512f]
    let avx2: CPUFeatures = [.avx, .avx2, .fma]

    @Test func tiersOfCoreNames() {
        #expect(OpenBLASCoreTier(coreName: "Prescott") == .sse)
        #expect(OpenBLASCoreTier(coreName: "SANDYBRIDGE") == .avx)
        #expect(OpenBLASCoreTier(coreName: "Haswell") == .avx2)
        #expect(OpenBLASCoreTier(coreName: "Zen") == .avx2)
        #expect(OpenBLASCoreTier(coreName: "SkylakeX") == .avx512)
        #expect(OpenBLASCoreTier(coreName: "CooperLake") == .avx512)
    }

    @Test func bestCoreForFeatures() {
        #expect(OpenBLASCoreTier.best(for: avx512)?.coreType == "SkylakeX")
        #expect(OpenBLASCoreTier.best(for: avx2)?.coreType == "Haswell")
        #expect(OpenBLASCoreTier.best(for: [.avx]) == nil)
        #expect(OpenBLASCoreTier.best(for: []) == nil)
    }

    @Test func misdetectedCoreIsReexecutedOnce() {
        let first = CoreSelection.decideCore(userCoreType: nil, stage: nil, currentCore: "Prescott", features: avx512)
        guard case .reexecute(let core, let stage, let reason) = first else {
            Issue.record("expected a re-exec, got \(first)")
            return
        }
        #expect(core == "SkylakeX" && stage == .bestCore && reason.contains("Prescott"))
        // After the re-exec, a library without that kernel only warns: no loop.
        let second = CoreSelection.decideCore(userCoreType: "SkylakeX", stage: .bestCore, currentCore: "Prescott", features: avx512)
        guard case .warn = second else {
            Issue.record("expected a warning, got \(second)")
            return
        }
    }

    @Test func rightCoreProceeds() {
        #expect(CoreSelection.decideCore(userCoreType: nil, stage: nil, currentCore: "SkylakeX", features: avx512) == .proceed)
        #expect(CoreSelection.decideCore(userCoreType: nil, stage: nil, currentCore: "Haswell", features: avx2) == .proceed)
        #expect(CoreSelection.decideCore(userCoreType: nil, stage: nil, currentCore: "Prescott", features: [.avx]) == .proceed)
    }

    @Test func userValueIsRespected() {
        #expect(CoreSelection.decideCore(userCoreType: "Prescott", stage: nil, currentCore: "Prescott", features: avx512) == .proceed)
        let failed = CoreSelection.decideSelfTest(passed: false, detail: "x", userCoreType: "Haswell", stage: nil, currentCore: "Haswell")
        guard case .warn(let message) = failed else {
            Issue.record("expected a loud warning, got \(failed)")
            return
        }
        #expect(message.contains("FAILED"))
    }

    @Test func failedSelfTestFallsBackToGenericThenFails() {
        let first = CoreSelection.decideSelfTest(passed: false, detail: "x", userCoreType: nil, stage: nil, currentCore: "SkylakeX")
        guard case .reexecute(let core, let stage, _) = first else {
            Issue.record("expected a generic re-exec, got \(first)")
            return
        }
        #expect(core == CoreSelection.genericCoreType && stage == .genericCore)
        let fromBest = CoreSelection.decideSelfTest(passed: false, detail: "x", userCoreType: "SkylakeX", stage: .bestCore, currentCore: "SkylakeX")
        guard case .reexecute(_, .genericCore, _) = fromBest else {
            Issue.record("a core we chose must fall back to generic, got \(fromBest)")
            return
        }
        let last = CoreSelection.decideSelfTest(passed: false, detail: "x", userCoreType: "Prescott", stage: .genericCore, currentCore: "Prescott")
        guard case .fail = last else {
            Issue.record("expected failure on the generic core, got \(last)")
            return
        }
        #expect(CoreSelection.decideSelfTest(passed: true, detail: "", userCoreType: nil, stage: nil, currentCore: "SkylakeX") == .proceed)
    }
}
