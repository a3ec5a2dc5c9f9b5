// The engine's environment variables, STYLECTL_CONVOLUTION and STYLECTL_CHANNEL_BLOCK, read and
// checked in one place, so that a command refuses a bad value with a message before it loads
// any weights, instead of the engine stopping the process at its first forward pass.

import Foundation

/// A value of one of the engine's environment variables that the engine cannot use.
public enum EngineEnvironmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `variable` is set to `value`, which is none of `accepted` (compared exactly, case included).
    case invalidValue(variable: String, value: String, accepted: [String])

    public var description: String {
        switch self {
        case let .invalidValue(variable, value, accepted):
            let list = accepted.dropLast().joined(separator: ", ") + " or " + (accepted.last ?? "")
            return "\(variable) must be \(list), got '\(value)'; set one of these or unset it for the default"
        }
    }
}

/// What the engine's environment variables ask for.
///
/// An empty value counts as unset (as `STYLECTL_MODELS` does), so that `VARIABLE= command` restores
/// the default. The process's environment is read once, at first use (``process``); the engine uses
/// its values when they are valid and its defaults otherwise, so a command must call
/// ``checkProcess()`` before its work starts to refuse a bad value rather than ignore it.
public struct EngineEnvironment: Equatable, Sendable {
    /// The variable that forces the convolution algorithm (``ConvolutionAlgorithm``'s raw values).
    public static let convolutionVariable = "STYLECTL_CONVOLUTION"
    /// The variable that forces the channel block of activations (``channelBlocks``).
    public static let channelBlockVariable = "STYLECTL_CHANNEL_BLOCK"
    /// The channel blocks oneDNN's blocked layouts offer (`nChw8c`, `nChw16c`).
    public static let channelBlocks = [8, 16]

    /// `STYLECTL_CONVOLUTION`, else ``ConvolutionAlgorithm/automatic``.
    public let convolution: ConvolutionAlgorithm
    /// `STYLECTL_CHANNEL_BLOCK`, else nil: the block oneDNN prefers on this CPU.
    public let channelBlock: Int?

    /// Reads both variables from `environment`, or throws the first one whose value is refused.
    public init(_ environment: [String: String]) throws(EngineEnvironmentError) {
        if let value = environment[Self.convolutionVariable], !value.isEmpty {
            guard let algorithm = ConvolutionAlgorithm(rawValue: value) else {
                throw .invalidValue(variable: Self.convolutionVariable, value: value,
                                    accepted: ConvolutionAlgorithm.allCases.map(\.rawValue))
            }
            convolution = algorithm
        } else {
            convolution = .automatic
        }
        if let value = environment[Self.channelBlockVariable], !value.isEmpty {
            guard let block = Self.channelBlocks.first(where: { String($0) == value }) else {
                throw .invalidValue(variable: Self.channelBlockVariable, value: value,
                                    accepted: Self.channelBlocks.map(String.init))
            }
            channelBlock = block
        } else {
            channelBlock = nil
        }
    }

    /// The process's environment, read once.
    public static let process: Result<EngineEnvironment, EngineEnvironmentError> = {
        do throws(EngineEnvironmentError) {
            return .success(try EngineEnvironment(ProcessInfo.processInfo.environment))
        } catch {
            return .failure(error)
        }
    }()

    /// Throws the process environment's refused value, if any: commands call it before they load
    /// anything.
    public static func checkProcess() throws(EngineEnvironmentError) {
        _ = try process.get()
    }
}
