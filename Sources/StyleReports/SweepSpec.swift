// `stylectl sweep --spec FILE.json|.yaml`: the sweep's flags as keys of a JSON or YAML mapping.

import Foundation
import StyleTransfer
import Yams

extension SweepRequest {
    /// The keys of a spec file: the flags of `stylectl sweep` without their dashes.
    public static let specKeys = [
        "content", "style", "interpolate", "corners", "mask", "stretch-mask", "steps", "alpha", "preserve-color",
        "content-size", "style-size", "report", "reports-dir", "overwrite", "no-metrics", "vgg", "decoder",
    ]

    /// Reads a spec file: a JSON (`.json`) or YAML (`.yaml`, `.yml`) mapping whose keys are
    /// ``specKeys`` with the values the flags take. Lists (`content`, `style`, `interpolate`,
    /// `corners`, `mask`, `alpha`, `preserve-color`) are arrays or comma-separated strings; numbers
    /// may be numbers or strings; `stretch-mask`, `overwrite` and `no-metrics` are booleans. Relative paths
    /// (images, masks, `reports-dir`, `vgg`, `decoder`) are relative to the spec file's folder.
    /// Keys left out take the flags' defaults.
    ///
    /// - Throws: ``SweepError/unknownSpecKey(key:file:)`` for a key that is not a flag,
    ///   ``SweepError/invalidSpec(file:reason:)`` for an unreadable file or a value of the wrong type.
    public init(specFile: String) throws(SweepError) {
        self.init()
        let text: String
        do { text = try String(contentsOfFile: specFile, encoding: .utf8) } catch { throw .invalidSpec(file: specFile, reason: "cannot be read") }
        let parsed: Any?
        switch URL(fileURLWithPath: specFile).pathExtension.lowercased() {
        case "json":
            do { parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) } catch {
                throw .invalidSpec(file: specFile, reason: "not valid JSON (\(error.localizedDescription))")
            }
        case "yaml", "yml":
            do { parsed = try Yams.load(yaml: text) } catch { throw .invalidSpec(file: specFile, reason: "not valid YAML (\(error))") }
        default:
            throw .invalidSpec(file: specFile, reason: "the name must end in .json, .yaml or .yml")
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
        if let v = try values.integer("content-size") { contentSize = v }
        if let v = try values.integer("style-size") { styleSize = v }
        report = try values.strings("report")?.joined(separator: ",")
        if let v = try values.paths("reports-dir") { reportsDirectory = v.joined(separator: ",") }
        if let v = try values.bool("overwrite") { overwrite = v }
        if let v = try values.bool("no-metrics") { noMetrics = v }
        vgg = try values.paths("vgg")?.joined(separator: ",")
        decoder = try values.paths("decoder")?.joined(separator: ",")
    }
}

/// Typed access to a spec file's values, with errors naming the file and key.
private struct SpecValues {
    let file: String
    let folder: URL
    let mapping: [String: Any]

    func wrongType(_ key: String, _ expected: String) -> SweepError {
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

    /// A list: an array of scalars or one comma-separated string.
    func strings(_ key: String) throws(SweepError) -> [String]? {
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
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Paths, relative ones resolved against the spec file's folder.
    func paths(_ key: String) throws(SweepError) -> [String]? {
        try strings(key)?.map { $0.hasPrefix("/") ? $0 : folder.appendingPathComponent($0).standardizedFileURL.path }
    }

    func integer(_ key: String) throws(SweepError) -> Int? {
        guard let value = mapping[key] else { return nil }
        guard let text = scalar(value), let number = Int(text) else { throw wrongType(key, "a whole number") }
        return number
    }

    func bool(_ key: String) throws(SweepError) -> Bool? {
        guard let value = mapping[key] else { return nil }
        guard let flag = value as? Bool else { throw wrongType(key, "true or false") }
        return flag
    }
}
