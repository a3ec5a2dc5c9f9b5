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
/// Tensors come out contiguous in row-major order whatever their stride and storage offset in the
/// file, converted to `Float` from float32, float16, bfloat16 or float64. The file is memory-mapped
/// and each tensor's data copied once (an 80 MB VGG file loads in well under a second).
///
/// - Parameter path: the file to read.
/// - Returns: every tensor in the file by its key (for example `"2.weight"`), as `Float`.
/// - Throws: ``CheckpointError``, naming the file: `unreadable` (missing,
///   or not a regular file: a folder, a FIFO, a device), `unknownFormat`, `truncated` or
///   `malformed` (damaged), `forbiddenObject` (a pickle names anything but a
///   state_dict's objects, for example a whole pickled model), `notAStateDict` / `notATensor` (naming
///   the key), `unsupportedDType` (an integer tensor, naming its key), `unsupportedFeature` (a
///   compressed zip entry, a big-endian file).
public func loadStateDict(path: String) throws(CheckpointError) -> [String: StoredTensor] {
    try readStateDict(mappedWeightFile(path: path), path: path)
}

/// Reads only the tensors named in `keys` of a weight file: the others' bytes are never read.
///
/// For torchvision's `vgg19-dcbb9e9d.pth` (548 MB, a legacy-format file of which 80 MB are the
/// `features` and the rest the classifier) with `keys` its `features.0` ... `features.19` weights
/// and biases, only the pickle, the storage headers and those tensors' pages of the memory-mapped
/// file are touched: the classifier is never read into memory. Every entry of the file is still
/// checked to be a tensor, as ``loadStateDict(path:)`` does. Measured on a seeded torchvision
/// `vgg19()` saved as that file is (575 MB, legacy format; debug test binary whose own peak is
/// 42 MB): peak RSS 69 MB for the 18 tensors of conv1_1 ... conv4_1, 1,163 MB for the whole file.
///
/// - Returns: the tensors of `keys` the file holds (a key the file lacks is absent: the caller
///   names what is missing).
/// - Throws: as ``loadStateDict(path:)``, for the wanted tensors.
public func loadStateDict(path: String, keys: Set<String>) throws(CheckpointError) -> [String: StoredTensor] {
    try readStateDict(mappedWeightFile(path: path), path: path, selection: TensorSelection(keys: keys, storageRead: nil))
}

/// Reads a state_dict from a file's bytes; `path` is only for messages.
///
/// The bytes are read in place (a memory-mapped file is not copied); each tensor's data is copied
/// once, into its `StoredTensor`.
func readStateDict(_ data: Data, path: String, selection: TensorSelection = .all) throws(CheckpointError) -> [String: StoredTensor] {
    guard !data.isEmpty else { throw .truncated(path: path, detail: "the file is empty") }
    let pytorch: Result<[String: StoredTensor], CheckpointError>? = data.withUnsafeBytes { bytes in
        if ZipArchive.hasSignature(bytes) {
            return Result { () throws(CheckpointError) in try ZipCheckpoint.read(bytes, path: path, selection: selection) }
        }
        if LegacyCheckpoint.hasSignature(bytes) {
            return Result { () throws(CheckpointError) in try LegacyCheckpoint.read(bytes, path: path, selection: selection) }
        }
        return nil
    }
    if let pytorch { return try pytorch.get() }
    if SafeTensors.isSafeTensors(data) {
        return try SafeTensors.read(data, path: path, selection: selection)
    }
    throw .unknownFormat(path: path)
}
