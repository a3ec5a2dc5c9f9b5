// Where stylizations write: output names, and the checks, made before any work, that keep an
// output from replacing an input or another output.

import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One stylization of a plan: a content image, its style image(s) and the output file.
public struct StylizationJob: Sendable, Equatable {
    public var content: String
    /// One style, or several (interpolation or masks), in order.
    public var styles: [String]
    public var output: String
    /// The mask files (``SpatialMask/paths``), which the memory estimate counts
    /// (``StylizationMemory/Masks``); empty without a mask. ``plan(content:styles:output:otherInputs:)``
    /// leaves them empty: the controls bring them (``StylizationTask/job``).
    public var masks: [String]

    public init(content: String, styles: [String], output: String, masks: [String] = []) {
        self.content = content
        self.styles = styles
        self.output = output
        self.masks = masks
    }

    /// The extensions an output image may have (any case).
    public static let outputExtensions = ["png", "jpg", "jpeg"]

    /// The stylizations that `stylectl stylize --content C --style S1[,S2...] --output O` makes,
    /// checked so that no output can replace an input or another output.
    ///
    /// One style may be a folder; several styles must be image files. When the content or the
    /// style is a folder (every JPEG and PNG in it, sorted by name), or `output` is an existing
    /// folder or ends in `/`, the outputs go into the folder `output` (created if needed) as
    /// `<content>_stylized_<style>.png`, or `<content>_stylized_<style1>_<style2>....png` for
    /// several styles. Names use each image's file name without its extension (pytorch-AdaIN's
    /// names), except that when two images of one folder share that stem (`a.jpg` and `a.png`),
    /// both keep their extension (`a.jpg_stylized_s.png`, `a.png_stylized_s.png`), so that neither
    /// output replaces the other. Otherwise `output` is the image to write.
    ///
    /// Refused, before anything is written or any folder created:
    /// - an output that is the same file (same device and inode, through any link) as a content or
    ///   style image or one of `otherInputs` (masks, weights): it would be replaced;
    /// - two stylizations with one output (names that still clash after the rule above);
    /// - an output folder that is the `--content` or `--style` folder: a second run would stylize
    ///   the first run's outputs;
    /// - an output image whose extension is not in ``outputExtensions``, or whose folder is missing
    ///   or not writable (also checked for an output folder once it exists).
    ///
    /// - Parameter otherInputs: further input files, with the option that names them in errors.
    public static func plan(
        content: String, styles: [String], output: String, otherInputs: [(role: InputRole, path: String)] = []
    ) throws(StyleTransferError) -> [StylizationJob] {
        guard !styles.isEmpty else { throw .inputNotFound(role: .style, path: "") }
        let contents = try ImageFiles.at(content, role: .content)
        var styleLists: [(paths: [String], isFolder: Bool)] = []
        for style in styles { styleLists.append(try ImageFiles.at(style, role: .style)) }
        if styles.count > 1, let folder = styles.indices.first(where: { styleLists[$0].isFolder }) {
            throw .severalStylesWithFolder(path: styles[folder])
        }
        var isFolder: ObjCBool = false
        let outputExists = FileManager.default.fileExists(atPath: output, isDirectory: &isFolder)
        let batch = contents.isFolder || styleLists[0].isFolder
        let folderOutput = batch || output.hasSuffix("/") || (outputExists && isFolder.boolValue)

        var jobs: [StylizationJob] = []
        if folderOutput {
            if outputExists && !isFolder.boolValue {
                throw .outputNotAFolder(path: output, reason: "it is an existing file")
            }
            if outputExists, let folder = FileIdentity(path: output) {
                if contents.isFolder && FileIdentity(path: content) == folder {
                    throw .outputFolderIsInputFolder(output: output, role: .content)
                }
                if styleLists[0].isFolder && FileIdentity(path: styles[0]) == folder {
                    throw .outputFolderIsInputFolder(output: output, role: .style)
                }
            }
            let contentNames = outputStems(contents.paths)
            func path(_ name: String) -> String { (output as NSString).appendingPathComponent(name) }
            if styles.count == 1 {
                let styleNames = outputStems(styleLists[0].paths)
                for (c, contentPath) in contents.paths.enumerated() {
                    for (s, stylePath) in styleLists[0].paths.enumerated() {
                        jobs.append(StylizationJob(content: contentPath, styles: [stylePath],
                                                   output: path("\(contentNames[c])_stylized_\(styleNames[s]).png")))
                    }
                }
            } else {
                let label = styles.map { outputStems([$0])[0] }.joined(separator: "_")
                for (c, contentPath) in contents.paths.enumerated() {
                    jobs.append(StylizationJob(content: contentPath, styles: styles, output: path("\(contentNames[c])_stylized_\(label).png")))
                }
            }
        } else {
            try checkOutputFile(output)
            jobs = [StylizationJob(content: contents.paths[0], styles: styleLists.map { $0.paths[0] }, output: output)]
        }

        var firstWriter: [String: StylizationJob] = [:]
        for job in jobs {
            if let first = firstWriter[job.output] {
                throw .outputNameClash(output: job.output, first: first.inputs, second: job.inputs)
            }
            firstWriter[job.output] = job
        }
        let inputs = contents.paths.map { (role: InputRole.content, path: $0) }
            + styleLists.flatMap { list in list.paths.map { (role: InputRole.style, path: $0) } } + otherInputs
        try checkOutputsAreNotInputs(jobs.map(\.output), inputs: inputs)

        if folderOutput {
            do {
                try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            } catch {
                throw .outputNotAFolder(path: output, reason: "it cannot be created")
            }
            guard access(output, W_OK) == 0 else {
                throw .outputFolderUnusable(path: output, folder: output, reason: "is not writable")
            }
        }
        return jobs
    }

    /// The content and styles, for messages.
    var inputs: String { "--content '\(content)' with --style '\(styles.joined(separator: ","))'" }

    /// Each path's file name without its extension, or with it when another path has the same stem.
    static func outputStems(_ paths: [String]) -> [String] {
        let names = paths.map { ($0 as NSString).lastPathComponent }
        let stems = names.map { ($0 as NSString).deletingPathExtension }
        var count: [String: Int] = [:]
        for stem in stems { count[stem, default: 0] += 1 }
        return names.indices.map { count[stems[$0]]! > 1 ? names[$0] : stems[$0] }
    }

    /// Refuses an output image path whose extension is not written or whose folder cannot take it.
    public static func checkOutputFile(_ path: String) throws(StyleTransferError) {
        let ext = (path as NSString).pathExtension.lowercased()
        guard outputExtensions.contains(ext) else {
            throw .unsupportedOutput(path: path, extension: ext, allowed: outputExtensions)
        }
        let parent = (path as NSString).deletingLastPathComponent
        let folder = parent.isEmpty ? "." : parent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) else {
            throw .outputFolderUnusable(path: path, folder: folder, reason: "does not exist")
        }
        guard isFolder.boolValue else { throw .outputFolderUnusable(path: path, folder: folder, reason: "is not a folder") }
        guard access(folder, W_OK) == 0 else { throw .outputFolderUnusable(path: path, folder: folder, reason: "is not writable") }
    }

    /// Refuses any output that is the same file as an input (an output that does not exist yet
    /// cannot be one).
    public static func checkOutputsAreNotInputs(_ outputs: [String], inputs: [(role: InputRole, path: String)]) throws(StyleTransferError) {
        let identities = inputs.compactMap { input in FileIdentity(path: input.path).map { (input, $0) } }
        for output in outputs {
            guard let identity = FileIdentity(path: output) else { continue }
            if let (input, _) = identities.first(where: { $0.1 == identity }) {
                throw .outputIsInput(output: output, role: input.role, input: input.path)
            }
        }
    }
}

/// A file's device and inode, following links: two paths with the same identity are one file.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    /// The identity of the file at `path`, or nil when nothing is there.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
    }
}
