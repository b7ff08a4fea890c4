// cohortd ingesting DICOM as a PACS export arrives: files without extensions in class folders are
// cataloged; every patient's images share one side of the split (the salted patient key, across
// studies); a lateral view and a burned-in-annotation object are quarantined with their reasons; and
// no patient name, ID, birth date, study UID or institution appears anywhere under the state
// directory, the output tree, an export or the log.
import CohortTestSupport
import Foundation
import Testing

@testable import Catalog

@Suite(.serialized) struct DICOMIngestTests {
    static var unavailable: String? {
        DaemonHarness.executable == nil ? "build cohortd first (swift build)" : DICOMFixtures.unavailableReason
    }

    @Test(.enabled(if: unavailable == nil, "\(unavailable ?? "")"))
    func aPACSExportIsCatalogedPatientGroupedGatedAndLeavesNoIdentity() throws {
        let set = try DICOMFixtures.fixtures()
        let h = try DaemonHarness(extra: IngestIntegrationTests.noTraining)
        // The frontal-chest gate for this dataset (appended under dataset.phantom).
        var yaml = try String(contentsOfFile: h.config, encoding: .utf8)
        yaml = yaml.replacingOccurrences(
            of: "    image_size: 64\n",
            with: "    image_size: 64\n    dicom:\n      modalities: [DX, CR]\n      view_positions: [PA, AP]\n      body_parts: [CHEST]\n")
        try yaml.write(toFile: h.config, atomically: true, encoding: .utf8)
        for file in set.ingest {
            let folder = h.incoming + "/" + file.class
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: set.path(file.file), toPath: folder + "/" + (file.file as NSString).lastPathComponent)
        }
        try FileManager.default.copyItem(atPath: set.path("dx_lateral.dcm"), toPath: h.incoming + "/normal/lateral")
        try FileManager.default.copyItem(atPath: set.path("dx_burned_in.dcm"), toPath: h.incoming + "/pneumonia/burned")
        try FileManager.default.copyItem(atPath: set.path("report_sr.dcm"), toPath: h.incoming + "/pneumonia/report")

        let daemon = try h.start()
        let arrived = daemon.wait(timeout: 120) {
            daemon.counts(h.dataset, "real") == ["normal": 18, "pneumonia": 18]
                && daemon.counts(h.dataset, "quarantined") == ["normal": 1, "pneumonia": 2]
        }
        #expect(arrived, "real \(daemon.counts(h.dataset, "real")), quarantined \(daemon.counts(h.dataset, "quarantined"))\n\(daemon.log)")
        #expect(daemon.terminate().status == 0)

        let rows = try h.images()
        let byName = Dictionary(uniqueKeysWithValues: rows.map { (($0.path as NSString).lastPathComponent, $0) })
        #expect(byName["lateral"]?.reason?.contains("view position 'LL'") == true, "\(byName["lateral"]?.reason ?? "")")
        #expect(byName["burned"]?.reason?.contains("possible burned-in patient data") == true, "\(byName["burned"]?.reason ?? "")")
        #expect(byName["report"]?.reason?.contains("without an image") == true, "\(byName["report"]?.reason ?? "")")

        // One key and one side per patient, across both studies; different patients, different keys.
        var keys: [Int: Set<String>] = [:], sides: [Int: Set<String>] = [:]
        for file in set.ingest {
            let row = try #require(byName[(file.file as NSString).lastPathComponent])
            #expect(row.state == .active)
            keys[file.patient, default: []].insert(row.groupKey ?? "none")
            sides[file.patient, default: []].insert(row.split.map { "\($0)" } ?? "none")
        }
        #expect(keys.values.allSatisfy { $0.count == 1 && !$0.contains("none") }, "\(keys)")
        #expect(Set(keys.values.compactMap(\.first)).count == 6, "six patients, six keys")
        #expect(sides.values.allSatisfy { $0.count == 1 && !$0.contains("none") }, "a patient on both sides: \(sides)")

        // An export never carries a DICOM file (or its name): de-identified PNG renderings instead.
        let exported = try BalancedExport.write(catalog: try h.catalog(), dataset: h.dataset, trainOnly: false, to: h.dir.file("output/export"))
        #expect(exported.real == 36 && exported.rendered == 36 && exported.linked == 0, "\(exported)")
        let names = try FileManager.default.subpathsOfDirectory(atPath: h.dir.file("output/export")).filter { $0.contains("/") }
        #expect(names.count == 36 && names.allSatisfy { ($0 as NSString).lastPathComponent.hasPrefix("dicom-") && $0.hasSuffix(".png") }, "\(names)")

        // The salt is private; no identity anywhere Cohort writes.
        var status = stat()
        #expect(stat(h.state + "/dicom-salt", &status) == 0 && status.st_mode & 0o777 == 0o600)
        var leaks: [String] = []
        for root in [h.state, h.dir.file("output")] {
            guard let walker = FileManager.default.enumerator(atPath: root) else { continue }
            while let item = walker.nextObject() as? String {
                let path = root + "/" + item
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                for identity in set.identities where data.range(of: Data(identity.utf8)) != nil { leaks.append("\(item): \(identity)") }
            }
        }
        for identity in set.identities where daemon.log.contains(identity) { leaks.append("log: \(identity)") }
        #expect(leaks.isEmpty, "identities found: \(leaks)")
    }
}
