// The daemon's one compute budget: ingest decodes on every worker while no job runs and on one while a
// training job holds the rest, so ingest plus a job never run more than `threads` + 1 workers.
import Foundation
import Testing
@testable import CohortDaemon

@Suite struct ComputeBudgetTests {
    @Test func ingestGetsWhatJobsLeave() {
        let budget = ComputeBudget(workers: 4)
        #expect(budget.ingestWorkers == 4, "no job: every worker")
        budget.whileJobRuns {
            #expect(budget.ingestWorkers == 1, "a job holds the rest")
            budget.whileJobRuns { #expect(budget.ingestWorkers == 1) }
            #expect(budget.ingestWorkers == 1, "one job still runs")
        }
        #expect(budget.ingestWorkers == 4, "the job is over")
        #expect(ComputeBudget(workers: 0).ingestWorkers == 1, "never fewer than one worker")
    }

    @Test func aThrowingJobGivesItsShareBack() {
        struct Failure: Error {}
        let budget = ComputeBudget(workers: 2)
        #expect(throws: Failure.self) { try budget.whileJobRuns { throw Failure() } }
        #expect(budget.ingestWorkers == 2)
    }
}
