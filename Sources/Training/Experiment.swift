// The paper's experiment (Dhawan & Nijhawan 2024) as one reproducible, honest run: train the cGAN on the
// real training images; for each seed train the classifier real-only and real+synthetic (mixed by a
// MixingPolicy, so synthetic images are no label cue), with the same recipe; once, train it on synthetic
// images only (per-class CAS: how well the generator's classes teach a real-image classifier); evaluate
// everything on real held-out images only and test real+synthetic against real-only on the same images
// (exact McNemar). FCD and diversity come from SyntheticQuality, as in cohortd's reports. GAN checkpoints
// and real-only classifiers are cached (ExperimentCache), so a policy A/B retrains only what changed.
import AtomicFile
import Curation
import Foundation
import Models
import NN
import Tensor

public struct ExperimentConfiguration: Sendable {
    public var data: String
    public var test: String?
    public var imageSize = 64
    /// Keep only this fraction of one class's real training images (the rare-class case).
    public var scarce: (className: String, fraction: Double)?
    public var validationFraction = 0.2
    /// File-name group keys (one patient) kept on one side of the split.
    public var groupPattern: GroupPattern?
    public var ganSteps = 3000
    public var mixing = MixingPolicy()
    /// Also train the earlier top-up policy (same GAN, same seeds) for an A/B.
    public var compareTopUp = false
    /// Further synthetic shares f, each trained as a symmetric variant of its own beside the policy's (same
    /// GAN, seeds and real-only baselines), so f is chosen on validation in one run.
    public var compareShares: [Double] = []
    /// Also train each seed's real-only run from that seed's synthetic-only classifier instead of random
    /// weights ("synthetic → real (warm start)"): synthetic images as pretraining, never in a batch with real
    /// ones, the real images' draws and schedule those of the real-only run. Tested against real-only.
    public var compareWarmStart = false
    public var gan = GANTrainingSettings()
    public var classifier = ClassifierTrainingSettings()
    public var classifierConfiguration = Classifier.Configuration()
    /// Classifier seeds; every variant is trained with each.
    public var seeds: [UInt64] = [1]
    /// The GAN's seed (default: the first classifier seed). One GAN serves every seed: the seeds measure
    /// the classifier's variance, the thing the paired test compares.
    public var ganSeed: UInt64?
    /// Also evaluate real-only and real+synthetic with test-time augmentation (TestTimeAugmentation's
    /// standard views; mirrored too when the classifier's augmentation flips), as rows of their own.
    public var testTimeAugmentation = false
    /// Evaluate the GAN every this many steps by neighbour CAS on the validation split and keep the best
    /// checkpoint — the latest within one standard error of the top score (GeneratorSelection.Choice); nil:
    /// keep the last. Ignored with `test` (no validation split then).
    public var ganSelectEvery: Int?
    public var cache = ExperimentCache()

    public init(data: String) { self.data = data }
}

public enum Experiment {
    /// Runs the whole experiment; `log` receives progress lines.
    /// `progress` shows long phases (a line rewritten in place on a terminal); without one, progress goes to
    /// `log` every 15 s.
    public static func run(_ configuration: ExperimentConfiguration, log: @escaping (String) -> Void = { _ in }, progress: ProgressPrinter? = nil)
        throws -> ExperimentResult
    {
        let printer = progress ?? ProgressPrinter(terminal: false, write: { log($0.trimmingCharacters(in: .newlines)) })
        precondition(!configuration.seeds.isEmpty, "experiment: no seeds")
        var seconds: [String: Double] = [:]
        var cachedPhases: [String] = []
        @discardableResult
        func timed<T>(_ phase: String, _ body: () throws -> T) rethrows -> T {
            let start = Date()
            defer {
                seconds[phase] = Date().timeIntervalSince(start)
                log("phase \(phase): \(Int(seconds[phase]!.rounded())) s")
            }
            return try body()
        }
        let size = configuration.imageSize
        let folder = try ImageFolder(root: configuration.data)
        let classes = folder.classes
        var (train, validation, summary) = timed("load") {
            DatasetLoader.load(
                folder, size: size, validationFraction: configuration.test == nil ? configuration.validationFraction : 0,
                groupPattern: configuration.groupPattern)
        }
        let evaluation: LabeledImages
        if let test = configuration.test {
            let testFolder = try ImageFolder(root: test, classes: classes)
            evaluation = timed("load_test") { DatasetLoader.load(testFolder, size: size, validationFraction: 0).train }
        } else {
            evaluation = validation
        }
        if let (name, fraction) = configuration.scarce {
            guard let c = classes.firstIndex(of: name) else { throw ImageFolder.LayoutError(root: configuration.data, reason: "no class \(name)") }
            let members = train.labels.indices.filter { train.labels[$0] == c }
            let keep = Set(members.prefix(max(1, Int((Double(members.count) * fraction).rounded()))))
            train = train.subset(train.labels.indices.filter { train.labels[$0] != c || keep.contains($0) })
        }
        let counts = train.classCounts
        log(
            "data: \(train.count) train images \(counts), \(evaluation.count) evaluation images; \(summary.exactDuplicatesDropped) exact duplicates dropped; "
                + "\(summary.groups) groups (largest \(summary.largestGroup))" + (configuration.groupPattern.map { " by pattern \($0)" } ?? ""))
        let cache = configuration.cache
        let dataKey = ExperimentCache.fingerprint(train)

        // The classifier recipe every variant shares.
        var modelConfiguration = configuration.classifierConfiguration
        modelConfiguration.classes = classes.count
        func settings(seed: UInt64) -> ClassifierTrainingSettings {
            var s = configuration.classifier
            s.seed = seed
            return s
        }
        var validationCurve: [CurvePoint] = []
        // Per classifier phase, why a seed's run did not do what was asked (e.g. a class without accepted
        // synthetic images: the symmetric policy then trains on real images only) — shown in the row.
        var phaseNotes: [String: [String]] = [:]
        func trainClassifier(
            _ name: String, seed: UInt64, data: LabeledImages, synthetic: LabeledImages? = nil,
            mixing: MixingPolicy = MixingPolicy(), monitor: LabeledImages? = nil, startingFrom: String? = nil
        ) throws -> (ClassifierTrainer, Int) {
            let trainer = ClassifierTrainer(model: Classifier(modelConfiguration, seed: seed), settings: settings(seed: seed))
            if let startingFrom { try Checkpoint.load(trainer.model.store, from: try SafeTensorsFile.read(startingFrom), path: startingFrom) }
            var steps = 0
            timed("classifier_\(name)_s\(seed)") {
                let realSteps = trainer.settings.realOnlySteps(images: data.count)
                let total = synthetic == nil ? realSteps : mixing.steps(realOnlySteps: realSteps)
                let meter = ProgressMeter(phase: "classifier \(name) seed \(seed)", total: total, printer: printer)
                let trace = trainer.train(
                    on: data, synthetic: synthetic, mixing: mixing, monitor: monitor,
                    progress: { step, _, loss in
                        meter.update(step, detail: String(format: "loss %.3f", loss))
                    })
                steps = trace.losses.count
                if let note = trace.note {
                    log("classifier \(name) seed \(seed): \(note)")
                    phaseNotes[name, default: []].append("seed \(seed): \(note)")
                }
                if !trace.validationCurve.isEmpty {
                    validationCurve = trace.validationCurve
                    log(
                        "validation curve (\(name), seed \(seed)): "
                            + trace.validationCurve.map { String(format: "%.0f:%.1f", $0.epoch, $0.macroF1 * 100) }.joined(separator: " "))
                }
            }
            return (trainer, steps)
        }
        // Real-only, cached by data, recipe, model and seed; trained once per run (the first seed's may be
        // needed before the GAN, as the feature network of checkpoint selection).
        var realModels: [UInt64: (ClassifierTrainer, Int)] = [:]
        func realOnly(seed: UInt64) throws -> (ClassifierTrainer, Int) {
            if let known = realModels[seed] { return known }
            let realPath = cache.path("classifier-real", [dataKey, describe(settings(seed: seed)), describe(modelConfiguration), "\(seed)"])
            let realModel: ClassifierTrainer
            var realSteps = settings(seed: seed).realOnlySteps(images: train.count)
            if let cached = cache.existing(realPath),
                let loaded = try? ClassifierTrainer.loadEvaluationWeights(
                    from: cached, configuration: modelConfiguration, settings: settings(seed: seed))
            {
                realModel = loaded
                cachedPhases.append("classifier_real_s\(seed)")
                log("classifier real seed \(seed): from the cache")
            } else {
                // The first seed's real-only run records the validation curve the epoch count is chosen from
                // (only on a validation split: with --test the evaluation set is a test set, never monitored).
                let monitor = seed == configuration.seeds[0] && configuration.test == nil ? evaluation : nil
                (realModel, realSteps) = try trainClassifier("real", seed: seed, data: train, monitor: monitor)
                try cache.prepare()
                try realModel.saveEvaluationWeights(to: realPath)
            }
            realModels[seed] = (realModel, realSteps)
            return (realModel, realSteps)
        }

        // 1. The GAN (cached by data, settings, steps and seed).
        var ganSettings = configuration.gan
        ganSettings.seed = configuration.ganSeed ?? configuration.seeds[0]
        let selectEvery = configuration.test == nil ? configuration.ganSelectEvery : nil
        // The rule is part of the key: entries cached before it was (some kept by the strict maximum) are not reused.
        let ganPath = cache.path(
            "gan",
            [dataKey, ganKey(ganSettings), "\(configuration.ganSteps)", "\(size)"] + (selectEvery.map { ["select every \($0), one-SE rule"] } ?? []))
        let selectionPath = ganPath.replacingOccurrences(of: ".safetensors", with: ".selection.json")
        var gan: GANTrainer
        var selection: [GeneratorSelection.Point] = []
        if let cached = cache.existing(ganPath), let resumed = try? GANCheckpoint.resume(from: cached) {
            gan = resumed
            cachedPhases.append("gan")
            log("gan: from the cache (\(cached))")
            if selectEvery != nil, let data = FileManager.default.contents(atPath: selectionPath) {
                selection = (try? JSONDecoder().decode([GeneratorSelection.Point].self, from: data)) ?? []
            }
        } else {
            gan = GANTrainer(classes: classes, imageSize: size, settings: ganSettings)
            let meter = ProgressMeter(phase: "gan", total: configuration.ganSteps, printer: printer)
            func trainSteps(_ trainer: GANTrainer, _ steps: Int) {
                trainer.train(
                    on: train, steps: steps,
                    progress: { step, losses in
                        meter.update(step, detail: String(format: "D %.3f, G %.3f", losses.discriminator, losses.generator))
                    })
            }
            try cache.prepare()
            if let selectEvery {
                // Checkpoint selection needs the fixed feature network first: the first seed's real-only classifier.
                let featureNetwork = try realOnly(seed: configuration.seeds[0]).0
                let judge = timed("gan_selection_setup") {
                    GeneratorSelection(featureNetwork: featureNetwork, realValidation: evaluation, realTrain: train)
                }
                let chosen = try timed("gan") {
                    try judge.trainSelecting(
                        gan, steps: configuration.ganSteps, every: selectEvery, snapshotPath: ganPath + ".best", train: trainSteps, log: log)
                }
                try? FileManager.default.removeItem(atPath: ganPath + ".best")
                gan = chosen.trainer
                selection = chosen.points
                log("gan selection: kept step \(chosen.kept.step) of \(configuration.ganSteps)")
                try AtomicFile.write(Array(try JSONEncoder().encode(selection)), to: selectionPath)
            } else {
                timed("gan") { trainSteps(gan, configuration.ganSteps) }
            }
            try GANCheckpoint.save(gan, to: ganPath)
        }

        // 2. Per seed: real-only, then real+synthetic by the policy (and top-up for an A/B).
        let realRows = classes.indices.map { train.rows(ofClass: $0) }
        func drawSet(_ counts: [Int], seed: UInt64, acceptance: AcceptanceJudge?) -> (LabeledImages, [Int: SyntheticDrawing]) {
            var images = LabeledImages(size: size, classes: classes)
            var draws: [Int: SyntheticDrawing] = [:]
            for c in classes.indices where counts[c] > 0 {
                let drawn = SyntheticDrawing.draw(
                    label: c, count: counts[c], gan: gan, realOfClass: realRows[c],
                    seed: Self.sampleSeed(seed, label: c), acceptance: acceptance)
                for sample in drawn.accepted { images.append(sample.pixels[...], label: c, path: "synthetic") }
                draws[c] = drawn
            }
            return (images, draws)
        }

        // The variants: the configured policy, further shares f of it, and top-up for an A/B.
        let policyName = "real+synthetic (\(configuration.mixing.kind.rawValue))"
        let warmStartName = "synthetic → real (warm start)"
        var variants = [(name: policyName, mixing: configuration.mixing, phase: configuration.mixing.kind.rawValue)]
        if configuration.mixing.kind == .symmetric {
            for share in configuration.compareShares where share != configuration.mixing.syntheticShare {
                var mixing = configuration.mixing
                mixing.syntheticShare = share
                let label = String(format: "%g", share)
                variants.append((name: "real+synthetic (symmetric, f = \(label))", mixing: mixing, phase: "symmetric-f\(label)"))
            }
        }
        if configuration.compareTopUp && configuration.mixing.kind != .topUp {
            var mixing = MixingPolicy.topUp
            mixing.maxSyntheticPerReal = configuration.mixing.maxSyntheticPerReal
            variants.append((name: "real+synthetic (top-up)", mixing: mixing, phase: "top-up"))
        }
        var outcomes: [String: [(metrics: ClassificationMetrics, correct: [Bool], images: Int, steps: Int)]] = [:]
        // Synthetic only, as many per class as real, no acceptance filter (it measures the generator): the first
        // seed's is the CAS row; with --compare-warm-start every seed's is the starting point of a real-only run.
        // Cached by the GAN, the recipe and the seed: a mixing A/B does not change it. Nil when every sample
        // was a near-copy.
        var syntheticOnlyModels: [UInt64: (path: String, outcome: Outcome)?] = [:]
        func syntheticOnly(seed: UInt64) throws -> (path: String, outcome: Outcome)? {
            if let known = syntheticOnlyModels[seed] { return known }
            let made = try trainSyntheticOnly(seed: seed)
            syntheticOnlyModels[seed] = made
            return made
        }
        func trainSyntheticOnly(seed: UInt64) throws -> (path: String, outcome: Outcome)? {
            let casPath = cache.path(
                "classifier-synthetic", [ganPath, describe(settings(seed: seed)), describe(modelConfiguration), "\(seed)", "\(counts)"])
            if let cached = cache.existing(casPath),
                let file = try? SafeTensorsFile.read(cached),
                let images = file.metadata["images"].flatMap(Int.init), let steps = file.metadata["steps"].flatMap(Int.init),
                let loaded = try? ClassifierTrainer.loadEvaluationWeights(
                    from: cached, configuration: modelConfiguration, settings: settings(seed: seed))
            {
                cachedPhases.append("classifier_synthetic_s\(seed)")
                log("classifier synthetic seed \(seed): from the cache")
                return (cached, judge(loaded, evaluation, images: images, steps: steps))
            }
            let (syntheticOnly, _) = timed("draw_synthetic_only_s\(seed)") { drawSet(counts, seed: seed &+ 77, acceptance: nil) }
            guard syntheticOnly.count > 0 else {
                log("synthetic only, seed \(seed): every sample was a near-copy — no synthetic-only classifier")
                return nil
            }
            let (casModel, casSteps) = try trainClassifier("synthetic", seed: seed, data: syntheticOnly)
            try cache.prepare()
            try casModel.saveEvaluationWeights(to: casPath, metadata: ["images": "\(syntheticOnly.count)", "steps": "\(casSteps)"])
            return (casPath, judge(casModel, evaluation, images: syntheticOnly.count, steps: casSteps))
        }
        let tta =
            configuration.testTimeAugmentation
            ? TestTimeAugmentation.standard(horizontalFlip: configuration.classifier.augmentation.horizontalFlip) : nil
        let ttaSuffix = " + TTA"
        var featureNetwork: ClassifierTrainer?
        var firstMix: LabeledImages?
        var firstDraws: [Int: SyntheticDrawing] = [:]
        var cas: [String: Double] = [:]
        var syntheticPerClass: [String: Int] = [:]
        for seed in configuration.seeds {
            let (realModel, realSteps) = try realOnly(seed: seed)
            outcomes["real", default: []].append(judge(realModel, evaluation, images: train.count, steps: realSteps))
            if let tta {
                outcomes["real" + ttaSuffix, default: []].append(judge(realModel, evaluation, images: train.count, steps: realSteps, tta: tta))
            }
            log("real seed \(seed): \(Self.brief(outcomes["real"]!.last!.metrics, classes: classes))")
            if featureNetwork == nil { featureNetwork = realModel }

            if seed == configuration.seeds[0] {
                if let casOutcome = try syntheticOnly(seed: seed)?.outcome {
                    outcomes["synthetic", default: []].append(casOutcome)
                    cas = Dictionary(uniqueKeysWithValues: zip(classes, casOutcome.metrics.recall))
                }
            }

            for (variant, mixing, phase) in variants {
                let wanted = mixing.syntheticCounts(realCounts: counts)
                let acceptance =
                    mixing.acceptanceThreshold > 0
                    ? AcceptanceJudge(classifier: realModel, classes: classes, threshold: mixing.acceptanceThreshold) : nil
                let (mix, draws) = timed("draw_\(phase)_s\(seed)") { drawSet(wanted, seed: seed, acceptance: acceptance) }
                if variant == policyName && seed == configuration.seeds[0] {
                    firstMix = mix
                    firstDraws = draws
                    for (c, n) in zip(classes, mix.classCounts) { syntheticPerClass[c] = n }
                }
                log("\(variant) seed \(seed): synthetic per class \(mix.classCounts) (wanted \(wanted))")
                let (model, steps) = try trainClassifier(phase, seed: seed, data: train, synthetic: mix, mixing: mixing)
                outcomes[variant, default: []].append(judge(model, evaluation, images: train.count + mix.count, steps: steps))
                if let tta {
                    outcomes[variant + ttaSuffix, default: []].append(
                        judge(model, evaluation, images: train.count + mix.count, steps: steps, tta: tta))
                }
                log("\(variant) seed \(seed): \(Self.brief(outcomes[variant]!.last!.metrics, classes: classes))")
            }

            if configuration.compareWarmStart {
                // The real-only run, started from this seed's synthetic-only weights instead of random ones: the
                // real images get exactly the real-only run's draws and schedule, and no batch mixes the two kinds.
                if let start = try syntheticOnly(seed: seed) {
                    let (model, steps) = try trainClassifier("warm-start", seed: seed, data: train, startingFrom: start.path)
                    outcomes[warmStartName, default: []].append(judge(model, evaluation, images: train.count, steps: steps))
                    log("\(warmStartName) seed \(seed): \(Self.brief(outcomes[warmStartName]!.last!.metrics, classes: classes))")
                } else {
                    phaseNotes["warm-start", default: []].append("seed \(seed): no synthetic-only classifier to start from")
                }
            }
        }

        // 3. Sample quality in the fixed network (the first seed's real-only classifier) and the paired tests.
        var fcd: [String: Double] = [:], diversity: [String: Double] = [:], featureDiversity: [String: Double] = [:]
        if let featureNetwork, let firstMix {
            timed("fcd") {
                fcd = SyntheticQuality.fcd(featureNetwork: featureNetwork, realValidation: evaluation, synthetic: firstMix)
                diversity = SyntheticQuality.diversity(realTrain: train, synthetic: firstMix)
                featureDiversity = SyntheticQuality.featureDiversity(featureNetwork: featureNetwork, realValidation: evaluation, synthetic: firstMix)
            }
        }
        var nearCopies: [String: Int] = [:], acceptance: [String: Double] = [:]
        for (c, draw) in firstDraws {
            nearCopies[classes[c]] = draw.nearCopiesRejected
            acceptance[classes[c]] = draw.acceptanceRate
        }
        let real = outcomes["real"]!
        var rows = [row("real", real, classes: classes, baseline: nil)]
        if let synthetic = outcomes["synthetic"] { rows.append(row("synthetic", synthetic, classes: classes, baseline: nil)) }
        for (variant, _, phase) in variants {
            rows.append(row(variant, outcomes[variant]!, classes: classes, baseline: real, evaluation: evaluation, notes: phaseNotes[phase]))
        }
        if let warm = outcomes[warmStartName], warm.count == real.count {
            rows.append(row(warmStartName, warm, classes: classes, baseline: real, evaluation: evaluation, notes: phaseNotes["warm-start"]))
        }
        if let realTTA = outcomes["real" + ttaSuffix] {
            // Reported beside the plain rows, each real+synthetic one tested against real-only under the same views.
            rows.append(row("real" + ttaSuffix, realTTA, classes: classes, baseline: nil))
            for (variant, _, phase) in variants {
                rows.append(
                    row(
                        variant + ttaSuffix, outcomes[variant + ttaSuffix]!, classes: classes, baseline: realTTA, evaluation: evaluation,
                        notes: phaseNotes[phase]))
            }
        }
        summary.train = train.count
        return ExperimentResult(
            rows: rows, cas: cas, fcd: fcd, diversity: diversity, nearCopies: nearCopies, acceptance: acceptance,
            syntheticPerClass: syntheticPerClass, seconds: seconds,
            evaluatedOn: configuration.test == nil
                ? "validation split (real images; near-duplicate groups"
                    + (configuration.groupPattern == nil ? "" : " and file-name groups") + " kept whole)" : "test tree \(configuration.test!)",
            trainCounts: Dictionary(uniqueKeysWithValues: zip(classes, counts)),
            evaluationCounts: Dictionary(uniqueKeysWithValues: zip(classes, evaluation.classCounts)),
            dataset: summary, imageSize: size, ganSteps: configuration.ganSteps, ganSeed: ganSettings.seed, seeds: configuration.seeds,
            epochs: configuration.classifier.epochs, mixing: configuration.mixing,
            spectralNormalization: configuration.gan.spectralNormalization == true, cachedPhases: cachedPhases,
            validationCurve: validationCurve, featureDiversity: featureDiversity, gan: ganSettings,
            ganSelection: selection.isEmpty ? nil : selection, ganStep: gan.iteration)
    }
}
