// What a `stylectl_stylizer *` of the C API holds: the loaded network, its encoding caches and the
// lock that serialises calls on it; and the calls themselves in Swift terms.

import CStylectl
import Foundation
import ImageCodec
import StyleTransfer
import TensorCore

/// A failure of a C API call: its status and the words `stylectl` prints for it.
struct APIFailure: Error {
    let status: stylectl_status
    let message: String

    init(_ status: stylectl_status, _ message: String) {
        self.status = status
        // As the CLI prints it (CommandFailure): control characters of file names escaped.
        self.message = escapingControlCharacters(message, keepingNewlines: true)
    }

    /// A stylization's typed error: memory refusals as ``STYLECTL_ERROR_MEMORY``, the rest as
    /// ``STYLECTL_ERROR_STYLIZATION``.
    init(_ error: StyleTransferError) {
        switch error {
        case .insufficientMemory, .tileTooLarge, .tilesDoNotFit, .invalidMemorySetting:
            self.init(STYLECTL_ERROR_MEMORY, error.description)
        default:
            self.init(STYLECTL_ERROR_STYLIZATION, error.description)
        }
    }

    init(_ error: StyleControlError) {
        self.init(STYLECTL_ERROR_STYLIZATION, error.description)
    }
}

/// How one call sizes its images (``stylectl_sizing``, checked): `stylize`'s `--content-size`,
/// `--style-size`, `--crop`, `--tile` and `--max-memory`.
struct CallSizing {
    var content: ImageSizing
    var style: ImageSizing
    var tile: Tiling?
    var maxMemory: String?
}

/// A loaded stylizer with the caches its calls share. Calls are serialised by ``lock``: they share
/// the caches and the network's buffer pools, and one at a time keeps each call's memory estimate
/// (``StylizationMemory``) true of the process.
final class StylizerHandle: @unchecked Sendable {
    let stylizer: Stylizer
    let files: ModelFiles
    let styleCache = EncodingCache(capacity: 32)
    let contentCache = EncodingCache(capacity: 4)
    let lock = NSLock()

    init(stylizer: Stylizer, files: ModelFiles) {
        self.stylizer = stylizer
        self.files = files
    }

    /// Finds and loads the weight files as `stylectl stylize` does (``ModelFiles/locate(vgg:decoder:variant:environment:executablePath:)``,
    /// then ``ModelFiles/resolvingVariant()`` and ``Stylizer/init(models:)``).
    static func load(vgg: String?, decoder: String?, model: String?, searchFrom: String) throws(APIFailure) -> StylizerHandle {
        var variant: ModelVariant?
        if let model {
            guard let known = ModelVariant(rawValue: model) else {
                throw APIFailure(STYLECTL_ERROR_ARGUMENT, "unknown model '\(model)': use one of \(ModelVariant.names)")
            }
            variant = known
        }
        do {
            let files = try ModelFiles.locate(vgg: vgg, decoder: decoder, variant: variant, executablePath: searchFrom).resolvingVariant()
            return StylizerHandle(stylizer: try Stylizer(models: files), files: files)
        } catch {
            throw APIFailure(STYLECTL_ERROR_WEIGHTS, error.description)
        }
    }

    /// The files, the model and the caches' counts, as the JSON object of `stylectl_stylizer_info`.
    var info: [String: Any] {
        func counts(_ cache: EncodingCache) -> [String: Int] {
            let statistics = cache.statistics
            return ["hits": statistics.hits, "misses": statistics.misses]
        }
        return ["vgg": files.vgg, "decoder": files.decoder, "model": stylizer.variant.rawValue,
                "styleCache": counts(styleCache), "contentCache": counts(contentCache)]
    }

    /// Checks a `stylectl_sizing` as `stylize` checks its flags, in this model's sizing shape.
    func sizing(contentSize: Int32, styleSize: Int32, crop: Bool, tile: Int32, maxMemory: String?) throws(APIFailure) -> CallSizing {
        let conventions = stylizer.variant.conventions
        func size(_ value: Int32, of role: InputRole) throws(APIFailure) -> Int? {
            if value == -1 { return nil }
            do { try ImageSizing.check(size: Int(value), of: role) } catch { throw APIFailure(STYLECTL_ERROR_STYLIZATION, error.description) }
            return Int(value)
        }
        let content = conventions.sizing(size: try size(contentSize, of: .content), crop: crop)
        let style = conventions.sizing(size: try size(styleSize, of: .style), crop: crop)
        var tiling: Tiling?
        if tile != 0 {
            do { tiling = try Tiling(tile: Int(tile)) } catch { throw APIFailure(error) }
        }
        if let maxMemory {
            do { _ = try StylizationMemory.available(maxMemory: maxMemory) } catch { throw APIFailure(error) }
        }
        return CallSizing(content: content, style: style, tile: tiling, maxMemory: maxMemory)
    }

    /// `f(image)` from the caches: a content's encoding as the pipeline encodes it without colour
    /// preservation, or a style's (with the style loss's statistics, kept for later stylizations).
    /// The image's estimated memory is checked first.
    func encode(_ path: String, role: InputRole, sizing: CallSizing) throws(APIFailure) -> Tensor {
        let imageSizing = role == .style ? sizing.style : sizing.content
        do {
            _ = try ImageIdentity(path: path, sizing: imageSizing, role: role)
            try StylizationMemory.check(jobs: [StylizationJob(content: path, styles: [], output: "")],
                                        contentSizing: imageSizing, styleSizing: imageSizing)
        } catch let error as StyleControlError {
            throw APIFailure(error)
        } catch let error as StyleTransferError {
            throw APIFailure(error)
        } catch {
            throw APIFailure(STYLECTL_ERROR_STYLIZATION, "\(error)")
        }
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing.content, styleSizing: sizing.style,
                                           styleCache: styleCache, contentCache: contentCache)
        do {
            return role == .style ? try pipeline.styleEncoding(path).features : try pipeline.contentEncoding(path).features
        } catch {
            throw APIFailure(error)
        }
    }

    /// One stylization through ``StylizationPipeline``, as `stylectl stylize` runs it: the inputs'
    /// existence, then the memory estimate (whole, or the tiles that fit), then the pipeline; the
    /// losses measured when asked (``StylizationPipeline/losses(of:)``).
    func stylize(
        content: String, controls: StyleControls, sizing: CallSizing, measuring: Bool
    ) throws(APIFailure) -> (stylization: StylizationPipeline.Stylization, losses: StylizationLosses?) {
        let tiling: Tiling?
        do {
            try controls.validate()
            _ = try ImageIdentity(path: content, sizing: sizing.content, role: .content)
            for style in controls.styles { _ = try ImageIdentity(path: style, sizing: sizing.style, role: .style) }
            for mask in controls.mask?.paths ?? [] { _ = try ImageIdentity(path: mask, sizing: sizing.content, role: .mask) }
        } catch {
            throw APIFailure(error)
        }
        do {
            tiling = try StylizationMemory.tiling(
                jobs: [StylizationJob(content: content, styles: controls.styles, output: "", masks: controls.mask?.paths ?? [])],
                contentSizing: sizing.content, styleSizing: sizing.style, forced: sizing.tile, maxMemory: sizing.maxMemory, measuring: measuring)
        } catch {
            throw APIFailure(error)
        }
        let pipeline = StylizationPipeline(stylizer: stylizer, contentSizing: sizing.content, styleSizing: sizing.style,
                                           styleCache: styleCache, contentCache: contentCache, tiling: tiling)
        do {
            let stylization = try pipeline.stylize(content: content, controls: controls, measuring: measuring)
            return (stylization, measuring ? try pipeline.losses(of: stylization) : nil)
        } catch {
            throw APIFailure(error)
        }
    }
}
