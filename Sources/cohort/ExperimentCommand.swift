// `cohort experiment --data DIR [--test DIR] [--seeds N] [--group-pattern RE] [--mixing symmetric|top-up] …`.
import ArgumentParser
import Curation
import Foundation
import Training

struct ExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment",
        abstract: "Train the cGAN, then the classifier on real, synthetic and real+synthetic data; evaluate on real images.",
        discussion: """
            DIR and --test are ImageFolder trees (<class>/*.png|jpg). Without --test, evaluation uses the \
            validation part of the deterministic split, which keeps near-duplicate groups and --group-pattern \
            groups (patients) whole. Choose every setting on that validation split; never tune against a test set. \
            GAN checkpoints and real-only classifiers are cached (--cache-dir) by data, settings and seed.
            """)

    @Option(help: "Training ImageFolder tree.")
    var data: String

    @Option(help: "Held-out test ImageFolder tree (same class folders).")
    var test: String?

    @Option(help: "Image size for the GAN and the classifier (64 or 128).")
    var imageSize = 64

    @Option(help: "Keep only a fraction of one class's training images, e.g. viral=0.1.")
    var scarce: String?

    @Option(
        help:
            "Regular expression with one capture group applied to file names; images with the same key (a patient) stay on one side of the split. Chest X-rays: '^((?:NORMAL2-)?IM-[0-9]+|person[0-9]+)[-_]'."
    )
    var groupPattern: String?

    @Option(
        help:
            "Mixing policy: symmetric (every class gets synthetic images, the same share of every class's draws) or top-up (each class up to the largest, the paper's set-up)."
    )
    var mixing = MixingPolicy.Kind.symmetric

    @Option(help: "Synthetic share f: the balanced target is largest × (1 + f).")
    var syntheticShare = 0.5

    @Option(help: "Fraction of classifier steps at the end that see real images only.")
    var realOnlyFinal = 0.2

    @Option(help: "Keep a synthetic sample only if the real-only classifier gives its class at least this probability (0: keep all).")
    var acceptance = 0.5
    @Option(help: "Weight of a synthetic image's loss term relative to a real image's 1 (0 < w ≤ 10).")
    var syntheticLossWeight = 1.0

    @Option(help: "Cap the synthetic images per real image of a class (cohortd's balance.max_synthetic_per_real).")
    var maxSyntheticPerReal: Double?

    @Flag(help: "Also train the top-up policy with the same GAN and seeds (an A/B).")
    var compareTopUp = false

    @Option(
        help:
            "Further synthetic shares to train beside --synthetic-share with the same GAN and seeds, comma-separated (e.g. 0.25,1): f chosen on validation in one run."
    )
    var compareShares: String?

    @Flag(
        help:
            "Also train each seed's real-only classifier starting from that seed's synthetic-only one (synthetic images as pretraining, never mixed into a batch), tested against real-only."
    )
    var compareWarmStart = false

    /// `--compare-shares` as numbers (nil: not a list of non-negative numbers).
    var comparedShares: [Double]? {
        guard let compareShares else { return [] }
        let values = compareShares.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard values.allSatisfy({ $0 != nil && $0! > 0 }) else { return nil }
        return values.map { $0! }
    }

    @Flag(
        inversion: .prefixedNo,
        help: "Spectral normalization of the discriminator (Miyato et al. 2018; on by default, --no-spectral-norm for A/B runs).")
    var spectralNorm = true

    @Flag(
        inversion: .prefixedNo,
        help: "Batch norm in the discriminator's down-blocks (on by default; --no-discriminator-batch-norm: SNGAN's D, spectral normalization alone)."
    )
    var discriminatorBatchNorm = true

    @Flag(help: "Class-conditional batch norm in every generator up-block (per-class γ and β; BigGAN, SNGAN-projection).")
    var conditionalBn = false

    @Option(help: "LeCam regularization weight for the discriminator (Tseng et al. 2021; 0: off).")
    var lecam: Float = 0

    @Option(help: "Weight of MSGAN's mode-seeking term in the generator's loss (Mao et al. 2019; 0: off).")
    var modeSeeking: Float = 0

    @Option(help: "Discriminator learning rate, when it should differ from the generator's 2e-4 (two time-scale rule).")
    var dLearningRate: Float?

    @Option(help: "Adam β1 of both GAN networks (default 0.5).")
    var ganBeta1: Float?

    @Option(help: "How GAN batches draw classes: uniform or sqrt (∝ √ images of the class).")
    var ganClassSampling: ClassSampling = .uniform

    @Option(
        help: ArgumentHelp(
            "Transitional conditioning: the GAN is unconditional until step START and fully conditional from END, λ linear between (Shahbazi et al. 2022).",
            valueName: "START,END"))
    var transitionalConditioning: String?

    @Option(
        help: ArgumentHelp(
            "Evaluate the GAN every N steps by neighbour CAS (per-class recall of real validation images voted by their nearest samples in the first seed's real-only classifier) and keep the latest checkpoint within one standard error of the best score, not simply the last.",
            valueName: "N"))
    var ganSelectEvery: Int?

    /// `--transitional-conditioning` as a ramp (nil: absent or not START,END with 0 ≤ START ≤ END).
    var conditioningRamp: ConditioningRamp? { transitionalConditioning.flatMap(ConditioningRamp.init(parsing:)) }

    @Option(help: "GAN training steps.")
    var ganSteps = 3000

    @Option(help: "Classifier epochs of the real training set (real+synthetic runs add steps for the synthetic draws).")
    var epochs = 40

    @Flag(help: "Random horizontal flips in classifier augmentation (brain MRI; never for chest X-rays).")
    var horizontalFlip = false

    @Flag(help: "Also report real-only and real+synthetic under test-time augmentation (mean over fixed views), as separate rows.")
    var tta = false
    @Option(help: "First seed.")
    var seed: UInt64 = 1

    @Option(help: "Number of seeds (seed, seed+1, …); every classifier variant is trained with each.")
    var seeds = 1

    @Option(help: "Cache directory for GAN checkpoints and real-only classifiers.")
    var cacheDir = ExperimentCache.defaultDirectory

    @Flag(help: "Retrain everything and overwrite cached entries.")
    var noCache = false

    @Option(help: "Write the result as JSON here.")
    var json: String?

    @Option(help: "Write the result as a Markdown table here.")
    var markdown: String?

    func validate() throws {
        guard imageSize == 64 || imageSize == 128 else { throw ValidationError("--image-size must be 64 or 128") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        guard syntheticShare >= 0, (0..<1).contains(realOnlyFinal), (0...1).contains(acceptance) else {
            throw ValidationError("--synthetic-share ≥ 0, 0 ≤ --real-only-final < 1, 0 ≤ --acceptance ≤ 1")
        }
        guard syntheticLossWeight > 0, syntheticLossWeight <= 10 else { throw ValidationError("--synthetic-loss-weight must be in (0, 10]") }
        guard let shares = comparedShares else { throw ValidationError("--compare-shares takes positive numbers separated by commas, e.g. 0.25,1") }
        guard shares.isEmpty || mixing == .symmetric else { throw ValidationError("--compare-shares compares shares of the symmetric policy") }
        guard mixing == .topUp || syntheticShare > 0 else {
            throw ValidationError("--synthetic-share 0 mixes in nothing under the symmetric policy; for the top-up policy use --mixing top-up")
        }
        if let scarce {
            let parts = scarce.split(separator: "=")
            guard parts.count == 2, let f = Double(parts[1]), f > 0, f <= 1 else {
                throw ValidationError("--scarce takes CLASS=FRACTION with 0 < FRACTION ≤ 1, e.g. viral=0.1")
            }
        }
        if let groupPattern {
            do { _ = try GroupPattern(groupPattern) } catch { throw ValidationError(error.description) }
        }
        if let ganSelectEvery {
            guard ganSelectEvery > 0 else { throw ValidationError("--gan-select-every takes a positive number of steps") }
            guard test == nil else {
                throw ValidationError("--gan-select-every chooses on the validation split; with --test there is none (and a test set never chooses)")
            }
        }
        if transitionalConditioning != nil, conditioningRamp == nil {
            throw ValidationError("--transitional-conditioning takes START,END steps with 0 ≤ START ≤ END, e.g. 500,1500")
        }
    }

    func run() throws {
        var configuration = ExperimentConfiguration(data: data)
        configuration.test = test
        configuration.imageSize = imageSize
        configuration.ganSteps = ganSteps
        configuration.groupPattern = try groupPattern.map { try GroupPattern($0) }
        configuration.mixing = mixing == .topUp ? .topUp : MixingPolicy()
        configuration.mixing.syntheticShare = syntheticShare
        if mixing == .symmetric {
            configuration.mixing.realOnlyFinalFraction = realOnlyFinal
            configuration.mixing.acceptanceThreshold = acceptance
        }
        configuration.mixing.maxSyntheticPerReal = maxSyntheticPerReal
        configuration.mixing.syntheticLossWeight = syntheticLossWeight
        configuration.compareTopUp = compareTopUp
        configuration.compareShares = comparedShares ?? []
        configuration.compareWarmStart = compareWarmStart
        configuration.testTimeAugmentation = tta
        configuration.gan.spectralNormalization = spectralNorm
        configuration.gan.discriminatorBatchNorm = discriminatorBatchNorm ? nil : false
        configuration.gan.conditionalBatchNorm = conditionalBn ? true : nil
        configuration.gan.lecamWeight = lecam > 0 ? lecam : nil
        configuration.gan.modeSeekingWeight = modeSeeking > 0 ? modeSeeking : nil
        configuration.gan.discriminatorLearningRate = dLearningRate
        configuration.gan.beta1 = ganBeta1
        configuration.gan.classSampling = ganClassSampling == .uniform ? nil : ganClassSampling
        configuration.gan.transitionalConditioning = conditioningRamp
        configuration.ganSelectEvery = ganSelectEvery
        configuration.classifier.epochs = epochs
        configuration.classifier.augmentation.horizontalFlip = horizontalFlip
        configuration.seeds = (0..<seeds).map { seed + UInt64($0) }
        configuration.cache = ExperimentCache(directory: cacheDir, enabled: !noCache)
        if let scarce {
            let parts = scarce.split(separator: "=")
            configuration.scarce = (String(parts[0]), Double(parts[1])!)
        }
        let progress = ProgressPrinter()
        let result = try Experiment.run(
            configuration,
            log: { line in
                // A message ends an in-place progress line first.
                FileHandle.standardError.write(Data(((progress.terminal ? "\r\u{1B}[K" : "") + line + "\n").utf8))
            }, progress: progress)
        let command = "cohort experiment " + CommandLine.arguments.dropFirst(2).joined(separator: " ")
        let table = Experiment.markdown(result, command: command)
        print(table)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(result).write(to: URL(fileURLWithPath: json), options: .atomic)
        }
        if let markdown { try table.write(toFile: markdown, atomically: true, encoding: .utf8) }
    }
}

extension MixingPolicy.Kind: ExpressibleByArgument {}
extension ClassSampling: ExpressibleByArgument {}
