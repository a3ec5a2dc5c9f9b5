// Where the encoder and decoder weight files are found.

import Foundation

/// The two weight files a stylization needs, found as the command line, `$STYLECTL_MODELS` or the
/// repository's `Models/` folder say.
///
/// Search order, first match wins for each file separately:
/// 1. an explicit path (`--vgg`, `--decoder`);
/// 2. the folder named by the environment variable `STYLECTL_MODELS`;
/// 3. `Models/` in the repository the executable was built in (found by walking up from the
///    executable to the folder holding `Package.swift`), then `Models/` in the current folder.
///
/// In a folder the standard names are looked up: `vgg_normalised.pth` then `vgg_normalised.safetensors`,
/// `decoder.pth` then `decoder.safetensors` (pytorch-AdaIN's release names).
public struct ModelFiles: Sendable, Equatable {
    public var vgg: String
    public var decoder: String

    public static let vggNames = ["vgg_normalised.pth", "vgg_normalised.safetensors"]
    public static let decoderNames = ["decoder.pth", "decoder.safetensors"]

    public init(vgg: String, decoder: String) {
        self.vgg = vgg
        self.decoder = decoder
    }

    /// Resolves both files; throws ``StyleTransferError/modelsNotFound(searched:)`` listing every
    /// place searched, with the command that downloads the standard weights.
    public static func locate(
        vgg explicitVGG: String?, decoder explicitDecoder: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? ""
    ) throws(StyleTransferError) -> ModelFiles {
        let folders = searchFolders(environment: environment, executablePath: executablePath)
        let vgg = find(explicitVGG, vggNames, in: folders)
        let decoder = find(explicitDecoder, decoderNames, in: folders)
        guard let vgg, let decoder else {
            var missing: [String] = []
            if vgg == nil { missing.append("the VGG encoder (\(vggNames.joined(separator: " or ")), or --vgg FILE)") }
            if decoder == nil { missing.append("the decoder (\(decoderNames.joined(separator: " or ")), or --decoder FILE)") }
            throw .modelsNotFound(missing: missing, searched: folders)
        }
        return ModelFiles(vgg: vgg, decoder: decoder)
    }

    /// The VGG encoder's file alone (for training a decoder), searched as ``locate(vgg:decoder:environment:executablePath:)`` does.
    public static func locateVGG(
        _ explicitVGG: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? ""
    ) throws(StyleTransferError) -> String {
        let folders = searchFolders(environment: environment, executablePath: executablePath)
        guard let vgg = find(explicitVGG, vggNames, in: folders) else {
            throw .modelsNotFound(missing: ["the VGG encoder (\(vggNames.joined(separator: " or ")), or --vgg FILE)"], searched: folders)
        }
        return vgg
    }

    /// `explicit` if given, else the first of `names` found in `folders`.
    private static func find(_ explicit: String?, _ names: [String], in folders: [String]) -> String? {
        if let explicit { return explicit }
        for folder in folders {
            for name in names {
                let path = (folder as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }

    /// The folders searched for the standard file names, in order.
    public static func searchFolders(environment: [String: String], executablePath: String) -> [String] {
        var folders: [String] = []
        if let folder = environment["STYLECTL_MODELS"], !folder.isEmpty { folders.append(folder) }
        if let root = repositoryRoot(from: executablePath) {
            folders.append((root as NSString).appendingPathComponent("Models"))
        }
        let local = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent("Models")
        if !folders.contains(local) { folders.append(local) }
        return folders
    }

    /// The nearest ancestor of the executable that holds a `Package.swift`.
    static func repositoryRoot(from executablePath: String) -> String? {
        guard !executablePath.isEmpty else { return nil }
        var url = URL(fileURLWithPath: executablePath).resolvingSymlinksInPath().deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url.path
            }
            url.deleteLastPathComponent()
        }
        return nil
    }
}
