// The scheduler's decisions, as a pure function of a dataset's state and the clock: whether to queue
// a GAN job, a classifier job, a top-up from the existing generator, or nothing — with the reason,
// which the job records.

/// What the scheduler knows about a dataset at one moment.
public struct SchedulerInput: Sendable, Equatable {
    public var dataset: String
    public var now: Double
    public var balance: [ClassBalance]
    /// Active real images now (all classes, both splits).
    public var activeImages: Int
    /// Active real images when the GAN last finished (0 if never).
    public var imagesAtGAN: Int
    public var ganTrainedAt: Double?
    public var imagesAtClassifier: Int
    public var classifierTrainedAt: Double?
    /// When the last real image was cataloged.
    public var lastImageAt: Double?
    /// A job of that kind is already queued or running for this dataset.
    public var ganJobPending: Bool
    public var classifierJobPending: Bool
    /// Training is paused by the operator.
    public var paused: Bool
    /// Published synthetic samples per class.
    public var synthetic: [String: Int]
    /// The dataset has a generator checkpoint to top up from.
    public var hasGenerator: Bool
    /// Any job of this dataset is queued or running (a top-up must not race one), or generate jobs are
    /// in their failure back-off.
    public var anyJobPending: Bool
    public var generateBackingOff: Bool

    public init(
        dataset: String, now: Double, balance: [ClassBalance], activeImages: Int, imagesAtGAN: Int = 0,
        ganTrainedAt: Double? = nil, imagesAtClassifier: Int = 0, classifierTrainedAt: Double? = nil,
        lastImageAt: Double? = nil, ganJobPending: Bool = false, classifierJobPending: Bool = false, paused: Bool = false,
        synthetic: [String: Int] = [:], hasGenerator: Bool = false, anyJobPending: Bool = false, generateBackingOff: Bool = false
    ) {
        self.dataset = dataset
        self.now = now
        self.balance = balance
        self.activeImages = activeImages
        self.imagesAtGAN = imagesAtGAN
        self.ganTrainedAt = ganTrainedAt
        self.imagesAtClassifier = imagesAtClassifier
        self.classifierTrainedAt = classifierTrainedAt
        self.lastImageAt = lastImageAt
        self.ganJobPending = ganJobPending
        self.classifierJobPending = classifierJobPending
        self.paused = paused
        self.synthetic = synthetic
        self.hasGenerator = hasGenerator
        self.anyJobPending = anyJobPending
        self.generateBackingOff = generateBackingOff
    }
}

/// A job the scheduler wants, and why.
public struct ScheduledJob: Sendable, Equatable {
    public enum Kind: String, Sendable { case gan, classifier, generate }
    public var kind: Kind
    public var reason: String
    /// GAN steps for this run.
    public var steps: Int
}

public enum Scheduler {
    /// GAN steps of an incremental run for `newImages` new real images.
    public static func ganSteps(newImages: Int, settings: GANScheduleSettings) -> Int {
        min(settings.maxSteps, settings.baseSteps + Int((Double(newImages) * settings.stepsPerNewImage).rounded()))
    }

    /// The jobs to enqueue now (at most one of each kind).
    public static func decide(_ input: SchedulerInput, gan: GANScheduleSettings, classifier: ClassifierScheduleSettings) -> [ScheduledJob] {
        guard !input.paused else { return [] }
        var jobs: [ScheduledJob] = []
        let quiet = input.lastImageAt.map { input.now - $0 >= gan.quietSeconds } ?? true
        let newForGAN = max(0, input.activeImages - input.imagesAtGAN)
        let needy = input.balance.filter { $0.underTarget && $0.wanted > 0 }
        // `needy` implies real images to learn from (wanted is 0 for a class without any).
        if !input.ganJobPending, !needy.isEmpty, quiet {
            let stale = input.ganTrainedAt == nil || newForGAN >= gan.minNewImages
            if stale {
                let names = needy.map { "\($0.className) (\($0.real)/\($0.target))" }.joined(separator: ", ")
                let why = input.ganTrainedAt == nil ? "never trained" : "\(newForGAN) new images since the last run"
                jobs.append(
                    ScheduledJob(
                        kind: .gan, reason: "below target: \(names); GAN \(why)",
                        steps: ganSteps(newImages: input.ganTrainedAt == nil ? input.activeImages : newForGAN, settings: gan)))
            }
        }
        // The classifier compares real-only with real+synthetic: it waits for a finished GAN (and its
        // samples) when one is due, so its first report is not a report about nothing.
        let ganSettled = (input.ganTrainedAt != nil || needy.isEmpty) && !input.ganJobPending && jobs.isEmpty
        let classifierEnabled = classifier.intervalSeconds > 0 || classifier.minNewImages > 0
        if classifierEnabled, !input.classifierJobPending, ganSettled, quiet, input.balance.filter({ $0.real > 0 }).count >= 2 {
            let newForClassifier = max(0, input.activeImages - input.imagesAtClassifier)
            if input.classifierTrainedAt == nil {
                jobs.append(ScheduledJob(kind: .classifier, reason: "first report", steps: 0))
            } else if classifier.minNewImages > 0, newForClassifier >= classifier.minNewImages {
                jobs.append(ScheduledJob(kind: .classifier, reason: "\(newForClassifier) new images since the last report", steps: 0))
            } else if classifier.intervalSeconds > 0, let last = input.classifierTrainedAt, input.now - last >= classifier.intervalSeconds {
                jobs.append(ScheduledJob(kind: .classifier, reason: "scheduled (every \(Int(classifier.intervalSeconds / 60)) min)", steps: 0))
            }
        }
        if jobs.isEmpty, let topUp = topUp(input) { jobs.append(topUp) }
        return jobs
    }

    /// A class with fewer samples than wanted while the generator is fresh (a configuration change, a
    /// withheld class released, near-copies rejected) is topped up from the checkpoint without training.
    /// Within 2% of wanted counts as done (the near-copy filter rarely fills a class to the sample), and a
    /// generator finished under `topUpSettleSeconds` ago is left alone (its own publish may still be landing).
    public static func topUp(_ input: SchedulerInput) -> ScheduledJob? {
        guard !input.paused, !input.anyJobPending, !input.generateBackingOff, input.hasGenerator,
            let trained = input.ganTrainedAt, input.now - trained > topUpSettleSeconds
        else { return nil }
        let short = input.balance.filter { entry in
            let have = input.synthetic[entry.className] ?? 0
            return entry.wanted > have && Double(have) < Double(entry.wanted) * topUpFillFraction
        }
        guard !short.isEmpty else { return nil }
        return ScheduledJob(
            kind: .generate,
            reason: "top-up: "
                + short.map { "\($0.className) \(input.synthetic[$0.className] ?? 0)/\($0.wanted)" }
                .joined(separator: ", "), steps: 0)
    }

    /// A class holding at least this fraction of its wanted samples is not topped up.
    public static let topUpFillFraction = 0.98
    /// Seconds after a GAN job before a top-up may be queued.
    public static let topUpSettleSeconds = 5.0
}
