// Applies CoreSelection at the start of every Cohort executable that does math: re-executes the
// process with a better (or, after a failed self-test, a safe) OPENBLAS_CORETYPE.
#if canImport(Glibc)
    import Glibc
#endif

/// Start-up check of the OpenBLAS core; call first thing in `main`, before any threads start.
public enum BLASStartup {
    /// Environment variable marking a process that Cohort re-executed (value: a `ReexecStage`).
    public static let markerVariable = "COHORT_BLAS_REEXEC"

    /// Checks the core and runs the sgemm self-test; may replace the process image (execv) and never
    /// returns in that case. `log` receives the one line that says why.
    public static func prepare(log: (String) -> Void) {
        requireCompiledCPUFeatures(log: log)
        let userCoreType = environment("OPENBLAS_CORETYPE")
        let stage = environment(markerVariable).flatMap(ReexecStage.init(rawValue:))
        let core = BLAS.coreName

        apply(
            CoreSelection.decideCore(
                userCoreType: userCoreType, stage: stage, currentCore: core, features: .current), log: log)

        let outcome = SgemmSelfTest.run()
        let detail = "worst relative error \(outcome.worstError) at \(outcome.worstCase)"
        apply(
            CoreSelection.decideSelfTest(
                passed: outcome.passed, detail: detail, userCoreType: userCoreType, stage: stage,
                currentCore: core), log: log)
    }

    /// Release builds made by `make build` target the build machine's vector unit; refuse to run on a
    /// CPU without it, with a message, instead of dying on an illegal instruction later.
    private static func requireCompiledCPUFeatures(log: (String) -> Void) {
        #if COHORT_REQUIRES_AVX512
            let required: CPUFeatures = [.avx2, .fma, .avx512f]
        #elseif COHORT_REQUIRES_AVX2
            let required: CPUFeatures = [.avx2, .fma]
        #else
            let required: CPUFeatures = []
        #endif
        if !CPUFeatures.current.isSuperset(of: required) {
            log(
                "this binary was built for CPUs with \(required) but this one has \(CPUFeatures.current); rebuild here (make build), or build portable binaries with make build COHORT_CPU="
            )
            exit(70)  // EX_SOFTWARE
        }
    }

    private static func apply(_ decision: CoreDecision, log: (String) -> Void) {
        switch decision {
        case .proceed:
            return
        case .warn(let message):
            log(message)
        case .fail(let message):
            log(message)
            exit(70)  // EX_SOFTWARE
        case .reexecute(let coreType, let stage, let reason):
            log(reason)
            setenv("OPENBLAS_CORETYPE", coreType, 1)
            setenv(markerVariable, stage.rawValue, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only reached when execv failed: carry on with what we have.
            log("re-exec failed (errno \(errno)); continuing with the \(BLAS.coreName) kernel")
        }
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let string = String(cString: value)
        return string.isEmpty ? nil : string
    }
}
