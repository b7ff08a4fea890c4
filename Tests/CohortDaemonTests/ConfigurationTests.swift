// Reading cohortd.yaml: defaults, environment overrides, and invalid values named by key.
import CohortTestSupport
import Foundation
import Testing
import Training

@testable import CohortDaemon

@Suite struct ConfigurationTests {
    static let minimal = """
        state_directory: /tmp/cohort-state
        datasets: [chest]
        dataset:
          chest:
            watch_root: /srv/in/chest
        """

    func load(_ yaml: String, environment: [String: String] = [:]) async throws(ConfigurationError) -> DaemonConfiguration {
        let dir = try! TemporaryDirectory()
        let path = try! dir.write("c.yaml", Array(yaml.utf8))
        return try await DaemonConfiguration.load(path: path, environment: environment)
    }

    func problem(_ yaml: String, environment: [String: String] = [:]) async -> ConfigurationError? {
        do {
            _ = try await load(yaml, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsFillEverythingElse() async throws {
        let c = try await load(Self.minimal)
        #expect(c.stateDirectory == "/tmp/cohort-state")
        #expect(c.datasets.count == 1)
        #expect(c.datasets[0].outputRoot == "/tmp/cohort-state/output/chest")
        #expect(c.datasets[0].imageSize == 64)
        #expect(c.datasets[0].classes.isEmpty && c.datasets[0].testRoot == nil)
        #expect(c.balance.target == .largest && c.balance.maxSyntheticPerReal == 1.0 && !c.balance.publishWhenHarmful)
        #expect(c.gan.modeSeekingWeight == 0 && c.gan.training.modeSeekingWeight == nil, "old checkpoints' settings")
        #expect(c.gan.discriminatorBatchNorm && c.gan.training.discriminatorBatchNorm == nil)
        let options = try await load(Self.minimal + "\ngan:\n  mode_seeking_weight: 1\n  discriminator_batch_norm: false\n")
        #expect(options.gan.training.modeSeekingWeight == 1 && options.gan.training.discriminatorBatchNorm == false)
        #expect(c.gan.transitionalConditioning == nil)
        let ramp = try await load(Self.minimal + "\ngan:\n  transitional_conditioning: 500,1500\n")
        #expect(ramp.gan.training.transitionalConditioning == ConditioningRamp(start: 500, end: 1500))
        let off = try await load(Self.minimal + "\ngan:\n  transitional_conditioning: off\n")
        #expect(off.gan.transitionalConditioning == nil)
        for bad in ["1500,500", "500", "a,b", "-1,10"] {
            let error = await problem(Self.minimal + "\ngan:\n  transitional_conditioning: \"\(bad)\"\n")
            #expect(error?.key == "gan.transitional_conditioning", "\(bad)")
        }
    }

    @Test func theShippedConfigurationIsValid() async throws {
        let path = SharedData.repositoryRoot + "/etc/cohort/cohortd.yaml"
        let c = try await DaemonConfiguration.load(path: path, environment: [:])
        #expect(c.datasets.map(\.name) == ["chest"])
        #expect(c.socketPath == "/run/cohort/cohortd.sock")
        // The installed service starts as shipped only if systemd-tmpfiles creates every root the default
        // configuration names (and its parents): cohortd cannot, under ProtectSystem=strict.
        let tmpfiles = try String(contentsOfFile: SharedData.repositoryRoot + "/systemd/cohort.tmpfiles", encoding: .utf8)
        let created = Set(
            tmpfiles.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count >= 2 && fields[0] == "d" ? String(fields[1]) : nil
            })
        for dataset in c.datasets {
            for root in [dataset.watchRoot, dataset.outputRoot] {
                var path = root
                while path.split(separator: "/").count > 1 {  // down to a top-level folder the system has (/srv)
                    #expect(created.contains(path), "systemd/cohort.tmpfiles does not create \(path) (\(dataset.name))")
                    path = (path as NSString).deletingLastPathComponent
                }
            }
        }
    }

    @Test func environmentOverridesTheFile() async throws {
        let c = try await load(
            Self.minimal + "\ngan:\n  max_steps: 900\n",
            environment: [
                "COHORT_GAN_MAX_STEPS": "1200", "COHORT_DATASET_CHEST_IMAGE_SIZE": "128", "COHORT_BALANCE_TARGET": "500"
            ])
        #expect(c.gan.maxSteps == 1200)
        #expect(c.datasets[0].imageSize == 128)
        #expect(c.balance.target == .fixed(500))
    }

    @Test func invalidValuesNameTheirKey() async {
        let bad: [(String, String, String)] = [
            (Self.minimal + "\ngan:\n  max_steps: lots\n", "gan.max_steps", "whole number"),
            (Self.minimal.replacingOccurrences(of: "/srv/in/chest", with: "relative/path"), "dataset.chest.watch_root", "absolute"),
            (Self.minimal + "\n    image_size: 96\n", "dataset.chest.image_size", "64 or 128"),
            ("datasets: []\n", "datasets", "at least one"),
            (
                Self.minimal.replacingOccurrences(of: "    watch_root: /srv/in/chest", with: "    image_size: 64"), "dataset.chest.watch_root",
                "missing"
            ),
            (Self.minimal + "\nbalance:\n  target: most\n", "balance.target", "largest"),
            (Self.minimal + "\nbalance:\n  publish_when_harmful: maybe\n", "balance.publish_when_harmful", "true or false"),
            (Self.minimal + "\n    output_root: /srv/in/chest/out\n", "dataset.chest.output_root", "watch root"),
            (Self.minimal + "\ngan:\n  base_steps: 500\n  max_steps: 100\n", "gan.max_steps", "at least"),
            (
                "state_directory: /tmp/s\ndatasets: [a, b]\ndataset:\n  a:\n    watch_root: /srv/in/a\n    output_root: /srv/out\n"
                    + "  b:\n    watch_root: /srv/in/b\n    output_root: /srv/out/b\n", "dataset.b.output_root", "overlaps dataset 'a'"
            ),
            (Self.minimal + "\n    group_pattern: 'person[0-9]+'\n", "dataset.chest.group_pattern", "capture group"),
            (Self.minimal + "\ngan:\n  batch_size: 9\n  mode_seeking_weight: 1\n", "gan.mode_seeking_weight", "even gan.batch_size")
        ]
        for (yaml, key, words) in bad {
            let error = await problem(yaml)
            #expect(error?.key == key, "expected an error on \(key), got \(String(describing: error))")
            #expect(error?.problem.contains(words) == true, "\(key): \(error?.problem ?? "no error")")
        }
    }

    @Test func malformedYAMLAndMissingFilesAreReported() async {
        #expect(await problem("datasets: [chest\n  : :")?.problem.contains("YAML") == true)
        do {
            _ = try await DaemonConfiguration.load(path: "/nonexistent/cohortd.yaml", environment: [:])
            Issue.record("a missing file must fail")
        } catch {
            #expect(error.problem.contains("cannot read"))
        }
    }
}
