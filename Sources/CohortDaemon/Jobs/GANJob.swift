// An incremental GAN job: resume the dataset's cGAN from its checkpoint (or start one), train a bounded
// number of steps on the real training split with checkpoints on the way, then regenerate the
// dataset's synthetic samples. Interrupted (shutdown, pause), it checkpoints and resumes next time.
// With `gan.select_best`, every checkpoint is scored (GeneratorSelection) and the job ends on its best one.
import Catalog
import CohortControl
import Foundation
import Training

enum GANJob {
    static func run(_ context: JobContext) throws -> String {
        let dataset = context.dataset
        let settings = context.configuration
        let checkpointPath = settings.checkpointDirectory(dataset.name) + "/gan.safetensors"
        try FileManager.default.createDirectory(atPath: settings.checkpointDirectory(dataset.name), withIntermediateDirectories: true)
        let atStart = try DatasetBalance.read(context.catalog, dataset: dataset, settings: settings.balance)
        let present = atStart.realCounts.filter { $0.value > 0 }.keys.sorted()
        guard !present.isEmpty else { return "no real images yet" }
        let activeAtStart = atStart.activeImages

        // Class order must extend the checkpoint's (new classes get new embedding rows).
        var trainer: GANTrainer
        if FileManager.default.fileExists(atPath: checkpointPath) {
            trainer = try GANCheckpoint.resume(from: checkpointPath, including: present)
        } else {
            trainer = GANTrainer(classes: present, imageSize: dataset.imageSize, settings: settings.gan.training)
        }
        let train = try CatalogImages.load(context.catalog, dataset: dataset.name, split: .train, classes: trainer.classes, size: dataset.imageSize)
        guard train.count > 0 else { return "no training images (all in validation)" }

        let total = context.job.totalSteps
        var done = context.job.step
        context.logger.info(
            "\(dataset.name): GAN job \(context.job.id!) — \(total - done) of \(total) steps on \(train.count) images, classes \(trainer.classes.joined(separator: ","))"
        )
        let started = Date()
        let startStep = done
        let selection = settings.gan.selectBest ? try checkpointSelection(context, train: train, classes: trainer.classes) : nil
        let bestPath = settings.checkpointDirectory(dataset.name) + "/gan-best.safetensors"
        var choice = GeneratorSelection.Choice()
        while done < total {
            let chunk = min(settings.gan.checkpointEverySteps, total - done)
            trainer.train(on: train, steps: chunk, shouldStop: { context.shouldStop }) { _, losses in
                let current = done + 1
                done = current
                let rate = Double(current - startStep) / max(1e-3, Date().timeIntervalSince(started))
                let eta = rate > 0 ? Double(total - current) / rate : 0
                context.progress(
                    phase: "training", step: current, total: total,
                    detail: String(
                        format: "D %.3f G %.3f, %.1f steps/s, " + JobProgress.etaMarker + "%.0f s", losses.discriminator, losses.generator, rate, eta)
                )
            }
            try GANCheckpoint.save(trainer, to: checkpointPath)
            try context.commit(step: done)
            if let stop = context.stopReason { throw stop }
            if let selection {
                context.progress(phase: "selecting", step: done, total: total, detail: "scoring the checkpoint (neighbour CAS)")
                let point = selection.evaluate(trainer)
                context.logger.info("\(dataset.name): GAN iteration \(point.step): neighbour CAS \(point.summary)")
                try choice.offer(point, of: trainer, snapshotPath: bestPath, isFinal: done >= total)
            }
        }
        let trainedTo = trainer.iteration
        var kept = ""
        if let chosen = choice.chosen {
            let keptTrainer = try choice.keptTrainer(trainer, snapshotPath: bestPath) { try GANCheckpoint.resume(from: $0, including: present) }
            if keptTrainer !== trainer {
                // An earlier checkpoint scored clearly higher: it becomes the dataset's generator (and the next job's start).
                trainer = keptTrainer
                try GANCheckpoint.save(trainer, to: checkpointPath)
            }
            try? FileManager.default.removeItem(atPath: bestPath)
            kept = "kept iteration \(chosen.step) (neighbour CAS \(String(format: "%.1f%%", chosen.score * 100))); "
            context.logger.info("\(dataset.name): GAN job keeps iteration \(chosen.step) of \(trainedTo)")
        }
        let publishing = try GeneratorPublishing.prepare(context, checkpoint: checkpointPath, trainer: trainer, realTrain: train)
        let sha = publishing.checkpointSHA256
        let generation = try context.datasetState().generation + 1
        context.progress(phase: "generating", step: total, total: total, detail: "sampling and filtering near-copies")
        // The counts the job trained on, with the withheld classes as they are now (a report may have come meanwhile).
        let balance = BalancePolicy.balance(
            realCounts: atStart.realCounts, settings: settings.balance,
            suppressed: try settings.balance.withheld(try context.datasetState()))
        let published = try publishing.publisher.regenerate(
            trainer: trainer, checkpointSHA256: sha, generation: generation, balance: balance,
            realTrain: train, shouldStop: { context.shouldStop })
        try context.saveDatasetState { state in
            state.ganTrainedAt = Date().timeIntervalSince1970
            state.imagesAtGAN = activeAtStart
            state.generation = generation
            state.checkpoint = checkpointPath
            try state.setLastPublish(published)
        }
        let summary = published.filter { $0.wanted > 0 }.map { "\($0.className) \($0.published)" }.joined(separator: ", ")
        return
            "trained to iteration \(trainedTo); \(kept)checkpoint \(sha.prefix(12)); published \(summary.isEmpty ? "nothing (balanced)" : summary)"
    }

    /// The judge of `gan.select_best`: the latest report's real-only classifier as the fixed feature network
    /// and the validation split's real images; nil (the last checkpoint is kept) before the first report or
    /// without validation images.
    static func checkpointSelection(_ context: JobContext, train: LabeledImages, classes: [String]) throws -> GeneratorSelection? {
        let dataset = context.dataset
        guard let (network, _) = SyntheticPublisher.reportClassifier(context.configuration, dataset: dataset, logger: context.logger) else {
            context.logger.info("\(dataset.name): no report yet — the GAN job keeps its last checkpoint")
            return nil
        }
        let validation = try CatalogImages.load(context.catalog, dataset: dataset.name, split: .validation, classes: classes, size: dataset.imageSize)
        guard validation.count > 0 else { return nil }
        return GeneratorSelection(featureNetwork: network, realValidation: validation, realTrain: train)
    }

}

/// Top-up of classes with fewer samples than wanted from the existing checkpoint (no training).
enum GenerateJob {
    static func run(_ context: JobContext) throws -> String {
        if let text = context.job.arguments {
            return try runRequested(context, try JSONDecoder().decode(GenerateRequest.self, from: Data(text.utf8)))
        }
        let dataset = context.dataset
        guard let checkpoint = try context.datasetState().checkpoint, FileManager.default.fileExists(atPath: checkpoint) else {
            return "no generator checkpoint yet"
        }
        let current = try DatasetBalance.read(context.catalog, dataset: dataset, settings: context.configuration.balance)
        let (balance, have) = (current.classes, current.syntheticByClass)
        let publishing = try GeneratorPublishing.prepare(context, checkpoint: checkpoint)
        let trainer = publishing.trainer
        let generation = try context.datasetState().generation
        var added: [String] = []
        for entry in balance where entry.wanted > (have[entry.className] ?? 0) {
            if let stop = context.stopReason { throw stop }
            guard let label = trainer.classes.firstIndex(of: entry.className) else { continue }
            let missing = entry.wanted - (have[entry.className] ?? 0)
            context.progress(phase: "generating", step: 0, total: missing, detail: entry.className)
            let result = try publishing.publisher.publish(
                className: entry.className, label: label, count: missing, trainer: trainer,
                checkpointSHA256: publishing.checkpointSHA256, generation: generation,
                realTrain: publishing.realTrain, replacing: false)
            added.append("\(entry.className) +\(result.published)")
        }
        return added.isEmpty ? "nothing to top up" : "topped up " + added.joined(separator: ", ")
    }
}

extension GenerateJob {
    /// An operator's `generate`: `count` samples of one class into the job's own folder.
    static func runRequested(_ context: JobContext, _ request: GenerateRequest) throws -> String {
        let dataset = context.dataset
        guard let checkpoint = try context.datasetState().checkpoint, FileManager.default.fileExists(atPath: checkpoint) else {
            throw GenerateFailure.noGenerator(dataset: dataset.name)
        }
        let publishing = try GeneratorPublishing.prepare(context, checkpoint: checkpoint)
        guard let label = publishing.trainer.classes.firstIndex(of: request.className) else {
            throw GenerateFailure.unknownClass(dataset: dataset.name, className: request.className)
        }
        let directory = GenerateRequest.directory(context.configuration, dataset: dataset.name, job: context.job.id!, className: request.className)
        context.progress(phase: "generating", step: 0, total: request.count, detail: request.className)
        let result = try publishing.publisher.writeRequested(
            className: request.className, label: label, count: request.count,
            trainer: publishing.trainer, checkpointSHA256: publishing.checkpointSHA256,
            realTrain: publishing.realTrain, to: directory)
        context.progress(phase: "generating", step: request.count, total: request.count, detail: request.className)
        return "wrote \(result.written) \(request.className) samples to \(directory) (\(result.rejected) near-copies rejected)"
    }
}

/// Why an operator's generate job could not run.
enum GenerateFailure: Error, CustomStringConvertible {
    case noGenerator(dataset: String)
    case unknownClass(dataset: String, className: String)
    var description: String {
        switch self {
        case .noGenerator(let dataset): return "dataset '\(dataset)' has no generator checkpoint"
        case .unknownClass(let dataset, let className): return "the generator of '\(dataset)' has no class '\(className)'"
        }
    }
}

enum SyntheticCounts {
    /// Published synthetic samples per class of `dataset` (classes without any are left out).
    static func byClass(_ catalog: CatalogDatabase, dataset: String) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try catalog.classCounts(dataset: dataset) where row.synthetic > 0 { counts[row.className] = row.synthetic }
        return counts
    }
}
