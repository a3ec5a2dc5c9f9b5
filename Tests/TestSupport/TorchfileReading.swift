// Reads a Torch7 file with PyPI's torchfile (pinned in Scripts/test's goldens venv): the
// independent reader of the .t7 files stylectl writes.

import Foundation

/// A `.t7` file's `nn.Sequential` as torchfile reads it.
public enum TorchfileReading {
    /// The reading script: the root's class, and per module its class, its scalar fields and its
    /// weight and bias (shape and numpy dtype; the values written as raw little-endian float32 to
    /// `<folder>/<module>.weight.f32` and `.bias.f32`).
    static let script = """
        import json, sys, torchfile
        root = torchfile.load(sys.argv[1], utf8_decode_strings=True)
        modules = []
        for m in root.modules:
            entry = {"class": m.torch_typename().decode()}
            for key in ("nInputPlane", "nOutputPlane", "kW", "kH", "dW", "dH", "padW", "padH", "pad_l", "pad_r", "pad_t", "pad_b",
                        "scale_factor", "threshold", "val", "inplace", "ceil_mode", "train", "_type"):
                if m[key] is not None:
                    entry[key] = m[key] if isinstance(m[key], (bool, str)) else float(m[key])
            for key in ("weight", "bias"):
                if m[key] is not None:
                    entry[key] = [list(m[key].shape), str(m[key].dtype)]
                    m[key].astype("<f4").tofile(f"{sys.argv[2]}/{len(modules)}.{key}.f32")
            modules.append(entry)
        print(json.dumps({"class": root.torch_typename().decode(), "modules": modules}))
        """

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Runs the script on `path`: the root's class name and the modules' entries; the weights'
    /// values go to `folder` (which must exist), read back with ``values(_:module:field:)``.
    public static func read(_ path: String, valuesTo folder: String) throws -> (className: String, modules: [[String: Any]]) {
        let data = try GoldensPython.run(["-c", script, path, folder], what: "torchfile's reading of \(path)", needs: "torchfile")
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any], let className = json["class"] as? String,
              let modules = json["modules"] as? [[String: Any]] else {
            throw Failure(description: "torchfile's reading of \(path) is not the expected JSON")
        }
        return (className, modules)
    }

    /// The values torchfile read for module `module`'s `field` (`weight` or `bias`), from ``read(_:valuesTo:)``'s folder.
    public static func values(_ folder: String, module: Int, field: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(module).\(field).f32"))
        return data.withUnsafeBytes { raw in (0 ..< data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) } }
    }
}
