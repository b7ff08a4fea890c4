// The decision whether a process should re-execute itself to get a better (or a safe) OpenBLAS core.
// Kept pure so that every branch is unit-tested; BLASStartup applies it.

/// What a starting process should do about its OpenBLAS core.
public enum CoreDecision: Equatable, Sendable {
    /// Carry on with the current core.
    case proceed
    /// Carry on, but tell the user something is off (e.g. their own `OPENBLAS_CORETYPE` fails the self-test).
    case warn(String)
    /// Re-execute with `OPENBLAS_CORETYPE` set to `coreType`, saying `reason` once.
    case reexecute(coreType: String, stage: ReexecStage, reason: String)
    /// The math library computes wrong results even on the generic core: refuse to run.
    case fail(String)
}

/// Why this process was re-executed (carried in the `COHORT_BLAS_REEXEC` environment variable).
public enum ReexecStage: String, Sendable {
    /// Re-executed to get the best core for this CPU.
    case bestCore = "core"
    /// Re-executed on the generic core because the self-test failed.
    case genericCore = "generic"
}

/// Pure rules for choosing the OpenBLAS core; see issue "Foundation", section "OpenBLAS at full speed".
public enum CoreSelection {
    /// The most conservative x86-64 kernel in Debian's DYNAMIC_ARCH OpenBLAS.
    public static let genericCoreType = "Prescott"

    /// Before the self-test: is the loaded core weaker than the CPU allows?
    ///
    /// A value the user set (`OPENBLAS_CORETYPE` present without our re-exec marker) is always respected.
    public static func decideCore(
        userCoreType: String?, stage: ReexecStage?, currentCore: String, features: CPUFeatures
    ) -> CoreDecision {
        if stage == nil, userCoreType != nil { return .proceed }
        guard let best = OpenBLASCoreTier.best(for: features) else { return .proceed }
        let current = OpenBLASCoreTier(coreName: currentCore)
        guard current < best.tier else { return .proceed }
        switch stage {
        case nil:
            return .reexecute(
                coreType: best.coreType, stage: .bestCore,
                reason: "OpenBLAS selected the \(currentCore) kernel on a CPU with \(features); "
                    + "restarting with OPENBLAS_CORETYPE=\(best.coreType)")
        case .bestCore:
            return .warn(
                "OpenBLAS has no \(best.coreType) kernel (still \(currentCore)); matrix math runs slower than this CPU allows")
        case .genericCore:
            return .proceed
        }
    }

    /// After the self-test: is the core computing correct products?
    public static func decideSelfTest(
        passed: Bool, detail: String, userCoreType: String?, stage: ReexecStage?, currentCore: String
    ) -> CoreDecision {
        if passed { return .proceed }
        switch stage {
        case .genericCore:
            return .fail("OpenBLAS sgemm computes wrong results even on the generic core (\(currentCore)): \(detail)")
        case nil where userCoreType != nil:
            return .warn(
                "WARNING: OpenBLAS sgemm self-test FAILED on OPENBLAS_CORETYPE=\(userCoreType!) (\(currentCore)): "
                    + "\(detail). Results will be wrong; unset OPENBLAS_CORETYPE or choose another core.")
        default:
            return .reexecute(
                coreType: genericCoreType, stage: .genericCore,
                reason: "WARNING: OpenBLAS sgemm self-test FAILED on the \(currentCore) kernel (\(detail)); "
                    + "restarting on the generic \(genericCoreType) kernel, which is several times slower")
        }
    }
}
