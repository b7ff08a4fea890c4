// What every job that publishes from a dataset's generator needs, set up in one place: the generator
// (resumed from its checkpoint unless the job just trained it), the checkpoint's hash (recorded with each
// sample), the real training images (the near-copy filter compares against them) and a publisher with
// the real-only classifier's acceptance judge.
import Catalog
import ContentHash
import Training

struct GeneratorPublishing {
    let trainer: GANTrainer
    let checkpointSHA256: String
    let realTrain: LabeledImages
    let publisher: SyntheticPublisher

    /// `trainer` and `realTrain` when the caller already has them (the GAN job after training).
    static func prepare(_ context: JobContext, checkpoint: String, trainer: GANTrainer? = nil, realTrain: LabeledImages? = nil) throws
        -> GeneratorPublishing
    {
        let dataset = context.dataset
        let generator = try trainer ?? GANCheckpoint.resume(from: checkpoint)
        let train =
            try realTrain
            ?? CatalogImages.load(context.catalog, dataset: dataset.name, split: .train, classes: generator.classes, size: dataset.imageSize)
        let judge = SyntheticPublisher.acceptanceJudge(context.configuration, dataset: dataset, logger: context.logger)
        return GeneratorPublishing(
            trainer: generator, checkpointSHA256: try SHA256Hasher.hex(ofFile: checkpoint), realTrain: train,
            publisher: SyntheticPublisher(catalog: context.catalog, dataset: dataset, logger: context.logger, judge: judge))
    }
}
