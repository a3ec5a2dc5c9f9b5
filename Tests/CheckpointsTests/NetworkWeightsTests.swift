// Full-size pytorch-AdaIN weights (seeded, by Scripts/goldens_network.py) read the same from the
// legacy, zip and safetensors files.

import Testing
import Foundation
@testable import Checkpoints
import TestSupport

@Suite struct NetworkWeightsTests {
    @Test(arguments: ["vgg", "decoder"])
    func threeFormatsGiveIdenticalDicts(network: String) throws {
        // TestPaths.golden throws MissingGolden (a failure, not a skip) when Scripts/make-goldens has not run.
        let legacy = try loadStateDict(path: try TestPaths.golden("network/\(network)_legacy.pth").path)
        let zip = try loadStateDict(path: try TestPaths.golden("network/\(network)_zip.pth").path)
        let safetensors = try loadStateDict(path: try TestPaths.golden("network/\(network).safetensors").path)

        #expect(!legacy.isEmpty)
        #expect(Set(legacy.keys) == Set(zip.keys))
        #expect(Set(legacy.keys) == Set(safetensors.keys))
        for key in legacy.keys.sorted() {
            // Compare here rather than in #expect, whose failure would print megabytes of values.
            let sameAsZip = legacy[key] == zip[key]
            let sameAsSafetensors = legacy[key] == safetensors[key]
            #expect(sameAsZip, "\(network): '\(key)' differs between the legacy and zip files")
            #expect(sameAsSafetensors, "\(network): '\(key)' differs between the legacy and safetensors files")
        }
        if network == "vgg" {
            // pytorch-AdaIN's vgg: a 1x1 conv on RGB first, then conv3-64 after reflection padding.
            #expect(legacy["0.weight"]?.shape == [3, 3, 1, 1])
            #expect(legacy["2.weight"]?.shape == [64, 3, 3, 3])
        }
    }
}
