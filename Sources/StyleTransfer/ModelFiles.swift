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
/// In a folder the model's standard names are looked up (``ModelConventions/vggNames`` and
/// ``ModelConventions/decoderNames``): for pytorch-AdaIN `vgg_normalised.pth` then
/// `vgg_normalised.safetensors`, `decoder.pth` then `decoder.safetensors` (its release names); for
/// the Torch release `vgg_normalised.t7`, `decoder.t7`; for the seed `vgg19-dcbb9e9d.pth`
/// (torchvision's) and `seed-decoder.pth`. Without a model, the first model (in the order of
/// ``ModelVariant/allCases``) whose two files are both found is taken, each explicit path
/// counting as found. An ONNX file (the seed's export of its whole StyleNet) given for one network
/// is taken for the other too.
public struct ModelFiles: Sendable, Equatable {
    public var vgg: String
    public var decoder: String
    /// The model to run these files as; nil: the model the VGG file is recognised as
    /// (``Stylizer/init(models:)``).
    public var variant: ModelVariant?

    /// pytorch-AdaIN's standard names (``ModelConventions/vggNames`` of each model).
    public static let vggNames = ModelVariant.pytorchAdaIN.conventions.vggNames
    public static let decoderNames = ModelVariant.pytorchAdaIN.conventions.decoderNames

    public init(vgg: String, decoder: String, variant: ModelVariant? = nil) {
        self.vgg = vgg
        self.decoder = decoder
        self.variant = variant
    }

    /// Resolves both files of `variant` (nil: of the first model whose two files are found);
    /// throws ``StyleTransferError/modelsNotFound(missing:searched:variant:)`` listing every place
    /// searched, with the command that downloads the standard weights.
    public static func locate(
        vgg explicitVGG: String?, decoder explicitDecoder: String?, variant: ModelVariant? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? ""
    ) throws(StyleTransferError) -> ModelFiles {
        let folders = searchFolders(environment: environment, executablePath: executablePath)
        // The seed's ONNX export holds both networks: one given for either network stands for both.
        var (explicitVGG, explicitDecoder) = (explicitVGG, explicitDecoder)
        if explicitVGG == nil, let onnx = explicitDecoder, WeightFileIdentity.isONNX(onnx) { explicitVGG = onnx }
        if explicitDecoder == nil, let onnx = explicitVGG, WeightFileIdentity.isONNX(onnx) { explicitDecoder = onnx }
        for candidate in variant.map({ [$0] }) ?? ModelVariant.allCases {
            let conventions = candidate.conventions
            if let vgg = find(explicitVGG, conventions.vggNames, in: folders), let decoder = find(explicitDecoder, conventions.decoderNames, in: folders) {
                return ModelFiles(vgg: vgg, decoder: decoder, variant: variant)
            }
        }
        // Nothing complete: name what is missing for the model asked for (pytorch-AdaIN's by default).
        let asked = variant ?? .pytorchAdaIN
        let conventions = asked.conventions
        var missing: [String] = []
        if find(explicitVGG, conventions.vggNames, in: folders) == nil {
            missing.append("the VGG encoder (\(conventions.vggNames.joined(separator: " or ")), or --vgg FILE)")
        }
        if find(explicitDecoder, conventions.decoderNames, in: folders) == nil {
            missing.append("the decoder (\(conventions.decoderNames.joined(separator: " or ")), or --decoder FILE)")
        }
        throw .modelsNotFound(missing: missing, searched: folders, variant: asked)
    }

    /// These files with ``variant`` set: as given, else the model the VGG file is recognised as
    /// (``WeightFileIdentity/identify(path:)``: only its identifying tensors are read), else
    /// pytorch-AdaIN's. What every command records and runs. A VGG path that is not an existing
    /// file is left for the command's own check of its inputs to name (the variant stays nil).
    ///
    /// - Throws: ``StyleTransferError/checkpoint(_:)`` when the VGG file cannot be read.
    public func resolvingVariant() throws(StyleTransferError) -> ModelFiles {
        var isFolder: ObjCBool = false
        if variant != nil || !FileManager.default.fileExists(atPath: vgg, isDirectory: &isFolder) || isFolder.boolValue { return self }
        var files = self
        files.variant = try WeightFileIdentity.identify(path: vgg)?.variant ?? .pytorchAdaIN
        return files
    }

    /// The VGG encoder's file alone (for training a decoder), searched as ``locate(vgg:decoder:environment:executablePath:)`` does,
    /// under `variant`'s standard names.
    public static func locateVGG(
        _ explicitVGG: String?, variant: ModelVariant = .pytorchAdaIN, environment: [String: String] = ProcessInfo.processInfo.environment,
        executablePath: String = CommandLine.arguments.first ?? ""
    ) throws(StyleTransferError) -> String {
        let vggNames = variant.conventions.vggNames
        let folders = searchFolders(environment: environment, executablePath: executablePath)
        guard let vgg = find(explicitVGG, vggNames, in: folders) else {
            throw .modelsNotFound(missing: ["the VGG encoder (\(vggNames.joined(separator: " or ")), or --vgg FILE)"], searched: folders, variant: variant)
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
