// The training encoder built from the VGG encoder gives pytorch-AdaIN's relu1_1 ... relu4_1
// (.goldens/network), so the AdaIN loss is computed on the real features.

import StyleTransfer
import Testing
import TensorCore
import TestSupport

@Suite struct TrainingEncoderTests {
    @Test("TrainingEncoder(VGGEncoder) features match PyTorch")
    func vggFeatures() throws {
        let (encoder, _) = try NetworkGoldens.networks.get()
        let training = TrainingEncoder(encoder)
        #expect(training.steps.count == 12 && training.landmarks == [0, 3, 6, 11])
        let features = training.features(try NetworkGoldens.tensor("style_input"))
        for (i, (landmark, tolerance)) in zip(VGGEncoder.landmarks, [1e-5, 2e-5, 3e-5, 5e-5] as [Float]).enumerated() {
            expectMatchesGolden(features[i], try NetworkGoldens.tensor("style_\(landmark)"), rtol: tolerance, "training encoder \(landmark)")
        }
    }
}
