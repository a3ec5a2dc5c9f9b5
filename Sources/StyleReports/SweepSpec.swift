// `stylectl sweep --spec FILE.json|.yaml`: the sweep's flags as keys of a JSON or YAML mapping.

import Foundation
import StyleTransfer
import Yams

extension SweepRequest {
    /// The keys of a spec file: the flags of `stylectl sweep` without their dashes.
    public static let specKeys = [
        "content", "style", "interpolate", "corners", "mask", "stretch-mask", "steps", "alpha", "preserve-color",
        "content-size", "style-size", "report", "reports-dir", "overwrite", "no-metrics", "vgg", "decoder",
        "crop", "mask-mode", "style-weights", "model", "cell-size", "tile",
    ]

    /// Reads a spec file: a JSON (`.json`) or YAML (`.yaml`, `.yml`) mapping whose keys are
    /// ``specKeys`` with the values the flags take. Lists (`content`, `style`, `interpolate`,
    /// `corners`, `mask`, `alpha`, `preserve-color`, `style-weights`) are arrays or comma-separated
    /// strings; numbers may be numbers or strings; `stretch-mask`, `crop`, `overwrite` and
    /// `no-metrics` are booleans. Relative paths
    /// (images, masks, `reports-dir`, `vgg`, `decoder`) are relative to the spec file's folder.
    /// Keys left out take the flags' defaults.
    ///
    /// A report's `manifest.json` is read as the spec of the sweep it records
    /// (``init(manifest:folder:)``), so `--spec Reports/NAME/manifest.json` runs that sweep again;
    /// so is a sharded sweep's `Reports/NAME/shards/plan.json` (``SweepShardPlan``), so that
    /// `--spec Reports/NAME/shards/plan.json --shard K/N` reruns shard K.
    ///
    /// The file is read only when it is a regular file of at most ``SpecLimits/bytes``, nested
    /// within ``SpecLimits`` (checked on the text, before a parser recurses), and a YAML file's
    /// tree, its aliases expanded, holds at most ``SpecLimits/nodes`` nodes.
    ///
    /// - Throws: ``ReportError/unknownSpecKey(key:file:)`` for a key that is not a flag,
    ///   ``ReportError/invalidSpec(file:reason:)`` for an unreadable or oversized file or a value of
    ///   the wrong type.
    public init(specFile: String) throws(ReportError) {
        self.init()
        let format = URL(fileURLWithPath: specFile).pathExtension.lowercased()
        guard ["json", "yaml", "yml"].contains(format) else {
            throw .invalidSpec(file: specFile, reason: "the name must end in .json, .yaml or .yml")
        }
        let file = URL(fileURLWithPath: specFile)
        if file.lastPathComponent == SweepShardPlan.fileName && file.deletingLastPathComponent().lastPathComponent == SweepShard.shardsFolderName {
            // A sharded sweep's plan: the sweep its shards run, into the folder holding `shards/`.
            let plan = try SweepShardPlan.read(path: specFile)
            self.init(manifest: plan.manifest, folder: file.deletingLastPathComponent().deletingLastPathComponent().path)
            noMetrics = !plan.metrics
            return
        }
        if file.lastPathComponent == SweepManifest.fileName {
            let folder = file.deletingLastPathComponent().path
            try self.init(manifest: SweepManifest.read(folder: folder), folder: folder)
            return
        }
        let text = try SpecLimits.text(of: specFile)
        let parsed: Any?
        if format == "json" {
            do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
                throw .invalidSpec(file: specFile, reason: "not valid JSON (\(error.localizedDescription))")
            }
        } else {
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch { throw .invalidSpec(file: specFile, reason: "not valid YAML (\(error))") }
            if let node {
                var budget = SpecLimits.nodes
                guard SpecLimits.count(node, budget: &budget) else {
                    throw .invalidSpec(file: specFile, reason: "more than \(SpecLimits.nodes) values once its aliases (*name) are expanded; a sweep spec needs no aliases: write the values out")
                }
            }
            parsed = node?.any
        }
        guard let mapping = parsed as? [String: Any] else {
            throw .invalidSpec(file: specFile, reason: "the top level must be a mapping of the sweep's flags (without dashes) to values")
        }
        if let unknown = mapping.keys.sorted().first(where: { !Self.specKeys.contains($0) }) {
            throw .unknownSpecKey(key: unknown, file: specFile)
        }
        let folder = URL(fileURLWithPath: specFile).deletingLastPathComponent()
        let values = SpecValues(file: specFile, folder: folder, mapping: mapping)
        if let v = try values.paths("content") { contents = v }
        styles = try values.paths("style")
        interpolate = try values.paths("interpolate")
        corners = try values.paths("corners")
        masks = try values.paths("mask")
        if let v = try values.bool("stretch-mask") { stretchMask = v }
        if let v = try values.integer("steps") { steps = v }
        if let v = try values.strings("alpha") { alphas = try parseAlphas(v) }
        if let v = try values.strings("preserve-color") { preserveColors = try parsePreserveColors(v) }
        if let v = try values.integers("content-size") { setContentSizes(v) }
        if let v = try values.integers("style-size") { setStyleSizes(v) }
        if let v = try values.integer("cell-size") { cellSize = v }
        if let v = try values.integer("tile") { tile = v }
        if let v = try values.bool("crop") { crop = v }
        if let v = try values.strings("mask-mode") { maskMode = try parseMaskMode(v.joined(separator: ",")) }
        if let v = try values.strings("style-weights") { styleWeights = try parseStyleWeights(v) }
        report = try values.strings("report")?.joined(separator: ",")
        if let v = try values.paths("reports-dir") { reportsDirectory = v.joined(separator: ",") }
        if let v = try values.bool("overwrite") { overwrite = v }
        if let v = try values.bool("no-metrics") { noMetrics = v }
        vgg = try values.paths("vgg")?.joined(separator: ",")
        decoder = try values.paths("decoder")?.joined(separator: ",")
        if let v = try values.strings("model")?.joined(separator: ",") {
            guard let variant = ModelVariant(rawValue: v) else {
                throw .invalidValue(flag: "--model", value: v, expected: "one of \(ModelVariant.names)")
            }
            model = variant
        }
    }
}

extension SweepRequest {
    /// The request for the sweep a report's manifest records: its grid, inputs (the absolute paths
    /// recorded), values and weight files, into the report folder `folder` itself. Run as it is, it
    /// resumes that report (cells whose image is there and decodes are kept, the others computed
    /// again); with flags replacing values (as for any spec) and another `--report`, it runs the
    /// variation beside it.
    public init(manifest: SweepManifest, folder: String) {
        self.init()
        let d = manifest.definition
        contents = d.contents.map(\.path)
        let styles = d.styles.map(\.path)
        switch d.grid {
        case .styles, .masks: self.styles = styles
        case .interpolation: interpolate = styles
        case .bilinear: corners = styles
        }
        masks = d.masks.isEmpty ? nil : d.masks.map(\.path)
        stretchMask = d.stretchMask
        steps = d.steps
        alphas = d.alphas
        preserveColors = d.preserveColors.compactMap(ColorPreservation.init(rawValue:))
        contentSize = d.contentSize
        styleSize = d.styleSize
        crop = d.cropsImages
        maskMode = d.spatialMaskMode
        styleWeights = d.styleWeights
        cellSize = manifest.cellSize
        contentSizes = d.contentSizes
        styleSizes = d.styleSizes
        let standardized = URL(fileURLWithPath: folder).standardizedFileURL
        report = standardized.lastPathComponent
        reportsDirectory = standardized.deletingLastPathComponent().path
        vgg = d.vgg.path
        decoder = d.decoder.path
        model = d.model
        tile = d.tile
    }
}

/// Typed access to a spec file's values, with errors naming the file and key.
private struct SpecValues {
    let file: String
    let folder: URL
    let mapping: [String: Any]

    func wrongType(_ key: String, _ expected: String) -> ReportError {
        .invalidSpec(file: file, reason: "'\(key)' must be \(expected)")
    }

    /// A scalar as text: strings as they are, numbers as written.
    func scalar(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if type(of: value) == Bool.self { return nil }  // a YAML boolean (JSON gives NSNumbers)
        if let number = value as? Int { return String(number) }
        if let number = value as? Double { return "\(number)" }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }

    /// A list: an array of scalars or one comma-separated string, whose empty items are refused as the flags' are.
    func strings(_ key: String) throws(ReportError) -> [String]? {
        guard let value = mapping[key] else { return nil }
        if let array = value as? [Any] {
            var items: [String] = []
            for element in array {
                guard let item = scalar(element) else { throw wrongType(key, "a list of strings or numbers") }
                items.append(item.trimmingCharacters(in: .whitespaces))
            }
            return items
        }
        guard let text = scalar(value) else { throw wrongType(key, "a list or a comma-separated string") }
        // The flags' rule (``commaList(_:flag:)``); no item at all is an empty list, refused where the list is used.
        do { return try commaList(text, flag: "--" + key) } catch {
            if case .noValue = error { return [] }
            throw .invalidSpec(file: file, reason: String(error.description.dropLast()))  // its own full stop
        }
    }

    /// Paths, relative ones resolved against the spec file's folder.
    func paths(_ key: String) throws(ReportError) -> [String]? {
        try strings(key)?.map { $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).standardizedFileURL.path }
    }

    /// A whole number, or a list of them (`content-size`, `style-size`: the sizes swept).
    func integers(_ key: String) throws(ReportError) -> [Int]? {
        guard let items = try strings(key) else { return nil }
        var numbers: [Int] = []
        for item in items {
            guard let number = Int(item) else { throw wrongType(key, "a whole number or a list of them") }
            numbers.append(number)
        }
        return numbers
    }

    func integer(_ key: String) throws(ReportError) -> Int? {
        guard let value = mapping[key] else { return nil }
        guard let text = scalar(value), let number = Int(text) else { throw wrongType(key, "a whole number") }
        return number
    }

    func bool(_ key: String) throws(ReportError) -> Bool? {
        guard let value = mapping[key] else { return nil }
        guard let flag = value as? Bool else { throw wrongType(key, "true or false") }
        return flag
    }
}

/// Bounds on a spec file, checked before its text reaches a parser: a spec is a mapping of a few
/// flags to scalars and lists, a few kilobytes; anything far larger or deeper is refused rather
/// than handed to a parser that may allocate without bound (YAML aliases, "billion laughs") or
/// recurse once per level (Yams' composer, deep `[[[[...`).
public enum SpecLimits {
    /// The file's size: 1 MiB holds thousands of paths.
    public static let bytes = 1 << 20
    /// `[` and `{` characters in the whole text: each nesting level of a flow collection needs one,
    /// so this bounds the flow nesting; a spec needs one per list.
    public static let brackets = 64
    /// Columns of a line's indentation and block indicators (` `, `-`, `?`, `:`): each nesting
    /// level of a block collection takes at least one more, so this bounds the block nesting.
    public static let indentation = 32
    /// Nodes of a YAML spec after alias expansion (1,000 paths in each of several lists fit).
    public static let nodes = 20_000

    /// The text of a spec file: a regular file (not a FIFO or device, which could block or never
    /// end) of at most ``bytes`` bytes of UTF-8, within the nesting bounds.
    static func text(of path: String) throws(ReportError) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .invalidSpec(file: path, reason: "cannot be read") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .invalidSpec(file: path, reason: "is not a regular file") }
        guard info.st_size <= bytes else {
            throw .invalidSpec(file: path, reason: "is \(info.st_size) bytes; a spec file has at most \(bytes) (1 MiB)")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count <= bytes,
              let text = String(data: data, encoding: .utf8) else {
            throw .invalidSpec(file: path, reason: "cannot be read as UTF-8 text of at most \(bytes) bytes")
        }
        var openers = 0
        var lineStart = true
        var prefix = 0
        for byte in data {
            if byte == UInt8(ascii: "\n") {
                (lineStart, prefix) = (true, 0)
                continue
            }
            if lineStart {
                if [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"), UInt8(ascii: "\t")].contains(byte) {
                    prefix += 1
                    if prefix > indentation {
                        throw .invalidSpec(file: path, reason: "a line is indented by more than \(indentation) columns (nested too deep for a sweep spec)")
                    }
                } else {
                    lineStart = false
                }
            }
            if byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{") {
                openers += 1
                if openers > brackets {
                    throw .invalidSpec(file: path, reason: "more than \(brackets) '[' and '{' (nested too deep for a sweep spec, which needs one per list)")
                }
            }
        }
        return text
    }

    /// Whether `node` has at most `budget` nodes, aliases counted as often as they appear;
    /// stops as soon as the budget is spent.
    static func count(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .scalar: return true
        case .sequence(let items):
            for item in items where !count(item, budget: &budget) { return false }
            return true
        case .mapping(let pairs):
            for (key, value) in pairs where !count(key, budget: &budget) || !count(value, budget: &budget) { return false }
            return true
        }
    }
}
