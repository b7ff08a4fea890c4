// The scheduler's decisions: when a GAN job is due (deficit, staleness, quiet period), how many steps
// it gets, and when the classifier reports.
import Testing

@testable import CohortDaemon

@Suite struct SchedulerTests {
    static let gan: GANScheduleSettings = {
        var s = GANScheduleSettings()
        s.minNewImages = 50
        s.quietSeconds = 30
        s.baseSteps = 400
        s.stepsPerNewImage = 1
        s.maxSteps = 3000
        return s
    }()
    static let classifier: ClassifierScheduleSettings = {
        var s = ClassifierScheduleSettings()
        s.intervalSeconds = 3600
        s.minNewImages = 200
        return s
    }()

    /// The top-up rule (f = 0): these tests are about scheduling, so a class at the largest count is balanced.
    static func balance(_ counts: [String: Int]) -> [ClassBalance] {
        var settings = BalanceSettings()
        settings.syntheticShare = 0
        return BalancePolicy.balance(realCounts: counts, settings: settings)
    }

    func decide(_ input: SchedulerInput) -> [ScheduledJob] { Scheduler.decide(input, gan: Self.gan, classifier: Self.classifier) }

    @Test func firstGANRunWaitsForTheQuietPeriod() {
        let counts = ["a": 100, "b": 40]
        var input = SchedulerInput(dataset: "d", now: 1000, balance: Self.balance(counts), activeImages: 140, lastImageAt: 990)
        #expect(decide(input).isEmpty, "a bulk copy still arriving must not start a job")
        input.now = 1020
        let jobs = decide(input)
        #expect(jobs.count == 1)
        #expect(jobs[0].kind == .gan)
        #expect(jobs[0].steps == 400 + 140, "first run: base + one step per image")
        #expect(jobs[0].reason.contains("b (40/100)") && jobs[0].reason.contains("never trained"))
    }

    @Test func balancedDatasetTrainsNoGANButGetsAReport() {
        let input = SchedulerInput(dataset: "d", now: 1000, balance: Self.balance(["a": 100, "b": 98]), activeImages: 198, lastImageAt: 0)
        let jobs = decide(input)
        #expect(jobs.map(\.kind) == [.classifier])
    }

    @Test func staleGANNeedsEnoughNewImages() {
        var input = SchedulerInput(
            dataset: "d", now: 5000, balance: Self.balance(["a": 140, "b": 40]), activeImages: 180,
            imagesAtGAN: 140, ganTrainedAt: 1000, imagesAtClassifier: 180, classifierTrainedAt: 4000, lastImageAt: 100)
        #expect(decide(input).isEmpty, "40 new images < 50")
        input.activeImages = 190
        input.balance = Self.balance(["a": 150, "b": 40])
        let jobs = decide(input)
        #expect(jobs.map(\.kind) == [.gan])
        #expect(jobs[0].steps == 450, "incremental: base + 50 new")
        #expect(jobs[0].reason.contains("50 new images"))
    }

    @Test func stepsAreCapped() {
        #expect(Scheduler.ganSteps(newImages: 10_000, settings: Self.gan) == 3000)
    }

    @Test func pendingJobsAndPauseBlockNewOnes() {
        var input = SchedulerInput(dataset: "d", now: 1000, balance: Self.balance(["a": 100, "b": 40]), activeImages: 140)
        input.ganJobPending = true
        #expect(decide(input).isEmpty, "one GAN job at a time, and the classifier waits for it")
        input.ganJobPending = false
        input.paused = true
        #expect(decide(input).isEmpty)
    }

    @Test func classifierWaitsForTheGANThenFollowsItsSchedule() {
        var input = SchedulerInput(
            dataset: "d", now: 10_000, balance: Self.balance(["a": 100, "b": 40]), activeImages: 140,
            imagesAtGAN: 140, ganTrainedAt: 9000)
        #expect(decide(input).map(\.kind) == [.classifier], "first report once the GAN has run")
        input.classifierTrainedAt = 9500
        input.imagesAtClassifier = 140
        #expect(decide(input).isEmpty, "interval not yet elapsed, no new images")
        input.now = 9500 + 3600
        #expect(decide(input).map(\.kind) == [.classifier])
        input.now = 9600
        input.activeImages = 340
        input.imagesAtGAN = 340
        input.balance = Self.balance(["a": 300, "b": 40])
        input.ganTrainedAt = 9590
        let jobs = decide(input)
        #expect(jobs.map(\.kind) == [.classifier])
        #expect(jobs[0].reason.contains("200 new images"))
    }

    @Test func aSingleClassNeverGetsAReport() {
        let input = SchedulerInput(dataset: "d", now: 1000, balance: Self.balance(["a": 100]), activeImages: 100)
        #expect(decide(input).isEmpty)
    }

    /// A fresh generator tops up short classes without training; within 2% of wanted, a pending job, a
    /// back-off, pause, no generator, or a generator finished under 5 s ago: no top-up.
    @Test func topUpFromAFreshGenerator() {
        // b wants 100 samples (top-up to the largest, f = 0); the GAN ran on all 300 images.
        let base = SchedulerInput(
            dataset: "d", now: 2000, balance: Self.balance(["a": 200, "b": 100]), activeImages: 300, imagesAtGAN: 300,
            ganTrainedAt: 1000, imagesAtClassifier: 300, classifierTrainedAt: 1900, lastImageAt: 0,
            synthetic: ["b": 90], hasGenerator: true)
        #expect(base.balance.first { $0.className == "b" }?.wanted == 100)
        let jobs = decide(base)
        #expect(jobs.map(\.kind) == [.generate])
        #expect(jobs.first?.reason == "top-up: b 90/100")
        let cases: [(String, (inout SchedulerInput) -> Void)] = [
            ("within 2% of wanted", { $0.synthetic = ["b": 98] }),
            ("a job of the dataset is pending", { $0.anyJobPending = true }),
            ("generate jobs are backing off", { $0.generateBackingOff = true }),
            ("training is paused", { $0.paused = true }),
            ("no generator yet", { $0.hasGenerator = false }),
            ("the generator finished 5 s ago", { $0.ganTrainedAt = 1995 })
        ]
        for (why, change) in cases {
            var input = base
            change(&input)
            #expect(Scheduler.topUp(input) == nil, "\(why)")
        }
    }
}
