// The engine's environment variables: accepted values, an empty value as unset, and the exact
// message of a refused value (which used to stop the process with fatalError at the first
// forward pass).

import Testing
import TensorCore

@Suite struct EngineEnvironmentTests {
    @Test func unsetOrEmptyGivesTheDefaults() throws {
        for environment in [[:], ["STYLECTL_CONVOLUTION": "", "STYLECTL_CHANNEL_BLOCK": ""]] {
            let settings = try EngineEnvironment(environment)
            #expect(settings.convolution == .automatic && settings.channelBlock == nil)
        }
    }

    @Test(arguments: [("automatic", ConvolutionAlgorithm.automatic), ("direct", .direct), ("winograd", .winograd)])
    func everyAlgorithmIsAccepted(value: String, algorithm: ConvolutionAlgorithm) throws {
        #expect(try EngineEnvironment(["STYLECTL_CONVOLUTION": value]).convolution == algorithm)
    }

    @Test(arguments: [8, 16])
    func bothChannelBlocksAreAccepted(block: Int) throws {
        #expect(try EngineEnvironment(["STYLECTL_CHANNEL_BLOCK": "\(block)"]).channelBlock == block)
    }

    @Test(arguments: ["fast", "Winograd", " direct", "direct\n"])
    func aBadConvolutionNamesTheVariableValueAndChoices(value: String) {
        let expected = EngineEnvironmentError.invalidValue(variable: "STYLECTL_CONVOLUTION", value: value,
                                                           accepted: ["automatic", "direct", "winograd"])
        #expect(throws: expected) { try EngineEnvironment(["STYLECTL_CONVOLUTION": value, "STYLECTL_CHANNEL_BLOCK": "8"]) }
        #expect(expected.description == "STYLECTL_CONVOLUTION must be automatic, direct or winograd, got '\(value)'; set one of these or unset it for the default")
    }

    @Test(arguments: ["12", "08", "+16", "sixteen", "-8"])
    func aBadChannelBlockNamesTheVariableValueAndChoices(value: String) {
        let expected = EngineEnvironmentError.invalidValue(variable: "STYLECTL_CHANNEL_BLOCK", value: value, accepted: ["8", "16"])
        #expect(throws: expected) { try EngineEnvironment(["STYLECTL_CONVOLUTION": "direct", "STYLECTL_CHANNEL_BLOCK": value]) }
        #expect(expected.description == "STYLECTL_CHANNEL_BLOCK must be 8 or 16, got '\(value)'; set one of these or unset it for the default")
    }
}
