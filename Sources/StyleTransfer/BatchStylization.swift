// Stylizing every pair of a set of content and style images, each image encoded once.

import Foundation
import ImageCodec
import TensorCore

/// One stylization to do: which content, which style, and where the result goes.
public struct StylizationPair: Sendable, Equatable {
    public var content: String
    public var style: String
    public var output: String

    public init(content: String, style: String, output: String) {
        self.content = content
        self.style = style
        self.output = output
    }

    /// The pairs that `stylectl stylize --content C --style S --output O` makes: the jobs of
    /// ``StylizationJob/plan(content:styles:output:otherInputs:)`` with one style, which says how
    /// outputs are named and what is refused before any work.
    public static func plan(
        content: String, style: String, output: String, otherInputs: [(option: String, path: String)] = []
    ) throws(StyleTransferError) -> [StylizationPair] {
        try StylizationJob.plan(content: content, styles: [style], output: output, otherInputs: otherInputs).map {
            StylizationPair(content: $0.content, style: $0.styles[0], output: $0.output)
        }
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    /// A file as is, or the JPEG and PNG files of a folder sorted by name.
    static func images(at path: String, option: String) throws(StyleTransferError) -> (paths: [String], isFolder: Bool) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .inputNotFound(option: option, path: path)
        }
        guard isFolder.boolValue else { return ([path], false) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let images = names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
        guard !images.isEmpty else { throw .noImagesInFolder(option: option, path: path) }
        return (images.map { (path as NSString).appendingPathComponent($0) }, true)
    }
}

/// Runs a list of stylizations, encoding each content and style image once.
public struct BatchStylization: Sendable {
    public var stylizer: Stylizer
    public var contentSizing: ImageSizing
    public var styleSizing: ImageSizing
    public var alpha: Float

    public init(stylizer: Stylizer, contentSizing: ImageSizing, styleSizing: ImageSizing, alpha: Float) {
        self.stylizer = stylizer
        self.contentSizing = contentSizing
        self.styleSizing = styleSizing
        self.alpha = alpha
    }

    /// What happened to one pair.
    public struct Outcome: Sendable {
        public var pair: StylizationPair
        public var index: Int
        public var count: Int
        public var seconds: Double
        public var error: StyleTransferError?
    }

    /// Stylizes every pair in order and reports each outcome as it happens. A failed pair does not
    /// stop the others; the returned count is the number of failures.
    @discardableResult
    public func run(_ pairs: [StylizationPair], progress: (Outcome) -> Void) -> Int {
        var contentCache: [String: (features: Tensor, width: Int, height: Int)] = [:]
        var styleCache: [String: Tensor] = [:]
        var failures = 0
        for (index, pair) in pairs.enumerated() {
            let start = DispatchTime.now().uptimeNanoseconds
            var failure: StyleTransferError?
            do throws(StyleTransferError) {
                if contentCache[pair.content] == nil {
                    let image = try contentSizing.load(path: pair.content)
                    contentCache = [pair.content: (stylizer.encode(image), image.width, image.height)]
                }
                if styleCache[pair.style] == nil {
                    styleCache[pair.style] = stylizer.encode(try styleSizing.load(path: pair.style))
                }
                let content = contentCache[pair.content]!
                let output = try stylizer.stylize(
                    content: content.features, style: styleCache[pair.style]!, alpha: alpha,
                    width: content.width, height: content.height)
                do { try writeImage(output, path: pair.output) } catch { throw .image(error) }
            } catch {
                failure = error
                failures += 1
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress(Outcome(pair: pair, index: index, count: pairs.count, seconds: seconds, error: failure))
        }
        return failures
    }
}
