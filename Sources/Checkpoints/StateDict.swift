// Entry point: read a state_dict from any supported weight file, choosing the reader by content.

import Foundation

/// Reads the tensors of a `state_dict` from a weight file.
///
/// The format is recognised from the file's first bytes, not its name: safetensors, PyTorch's zip
/// checkpoint (`torch.save` since 1.6) or PyTorch's legacy pickle stream (pytorch-AdaIN's released
/// `vgg_normalised.pth` and `decoder.pth`). Nothing in a pickle is executed: only the objects a
/// `state_dict` of tensors needs are accepted, anything else is refused with
/// ``CheckpointError/forbiddenObject(path:name:)``.
///
/// - Parameter path: the file to read.
/// - Returns: every tensor in the file by its key (for example `"2.weight"`), as `Float`.
public func loadStateDict(path: String) throws(CheckpointError) -> [String: StoredTensor] {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
        let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file" : "no such file"
        throw .unreadable(path: path, reason: reason)
    }
    if SafeTensors.isSafeTensors(data) {
        return try SafeTensors.read(data, path: path)
    }
    throw .unknownFormat(path: path)
}
