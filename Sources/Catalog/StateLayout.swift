// Where cohortd keeps things under its state directory — one definition for the daemon and the offline
// tool (`cohort export --bundle` finds the models the same way cohortd wrote them).
import Foundation

public struct StateLayout: Sendable, Equatable {
    public var stateDirectory: String
    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    public var catalog: String { stateDirectory + "/catalog.sqlite" }
    /// The installation's secret salt for DICOM group keys (32 random bytes, mode 0600, made once).
    public var dicomSalt: String { stateDirectory + "/dicom-salt" }
    public func checkpointDirectory(_ dataset: String) -> String { stateDirectory + "/checkpoints/" + dataset }
    public func reportDirectory(_ dataset: String) -> String { stateDirectory + "/reports/" + dataset }
    /// The latest report's real-only classifier (evaluation weights): the publisher's acceptance judge.
    public func classifierWeights(_ dataset: String) -> String { checkpointDirectory(dataset) + "/classifier-real.safetensors" }
}
