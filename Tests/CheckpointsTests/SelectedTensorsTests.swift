// loadStateDict(path:keys:): torchvision's VGG-19 checkpoint read for its conv1_1 ... conv4_1 only,
// the classifier's bytes never read.

import Foundation
import Testing
@testable import Checkpoints
import TestSupport

@Suite struct SelectedTensorsTests {
    /// `features.0` ... `features.19`: conv1_1 ... conv4_1, the seed's encoder (`vgg19().features[:21]`).
    static let featureKeys: Set<String> = Set([0, 2, 5, 7, 10, 12, 14, 16, 19].flatMap { ["features.\($0).weight", "features.\($0).bias"] })
    static let classifierKeys: Set<String> = Set([0, 3, 6].flatMap { ["classifier.\($0).weight", "classifier.\($0).bias"] })
    static let files = ["vgg19_small_classifier_legacy.pth", "vgg19_small_classifier_zip.pth"]

    /// The storages a selective read asks for, by name (zip member or legacy storage key).
    func storagesRead(_ data: Data, file: String, keys: Set<String>?) throws -> (tensors: [String: StoredTensor], storages: [String]) {
        final class Names: @unchecked Sendable { var list: [String] = [] }
        let names = Names()
        let tensors = try readStateDict(data, path: file, selection: TensorSelection(keys: keys, storageRead: { names.list.append($0) }))
        return (tensors, names.list)
    }

    @Test(arguments: files)
    func featuresReadExactly(file: String) throws {
        let index = try FormatGoldenIndex.load()
        #expect(index.vgg19.files.contains(file))
        #expect(Self.featureKeys.isSubset(of: Set(index.vgg19.keys)) && Self.classifierKeys.isSubset(of: Set(index.vgg19.keys)))
        let expected = try FormatGoldenIndex.expected(index.vgg19.expected)
        #expect(Set(expected.keys) == Self.featureKeys)
        let tensors = try loadStateDict(path: TestPaths.golden("formats/\(file)").path, keys: Self.featureKeys)
        #expect(Set(tensors.keys) == Self.featureKeys)
        for (key, tensor) in expected {
            let read = try #require(tensors[key])
            #expect(read.shape == tensor.shape && bits(read.values) == bits(tensor.values), "\(key)")
        }
        #expect(tensors["features.19.weight"]?.shape == [512, 256, 3, 3])
    }

    /// Exactly the 18 feature storages are read; none of the classifier's (nor conv4_2 ... conv5_4's).
    @Test(arguments: files)
    func onlyTheWantedStoragesAreRead(file: String) throws {
        let data = try Data(contentsOf: TestPaths.golden("formats/\(file)"))
        let features = try storagesRead(data, file: file, keys: Self.featureKeys)
        let classifier = try storagesRead(data, file: file, keys: Self.classifierKeys)
        let all = try storagesRead(data, file: file, keys: nil)
        #expect(features.storages.count == 18 && Set(features.storages).count == 18)
        #expect(classifier.storages.count == 6)
        #expect(Set(features.storages).isDisjoint(with: classifier.storages))
        #expect(all.storages.count == all.tensors.count && all.tensors.count == 38)
        #expect(Set(classifier.tensors.keys) == Self.classifierKeys)
    }

    /// The zip's classifier members are damaged (their CRC-32 fails): a full load refuses the file,
    /// the features load as if nothing were wrong, so those members' bytes were never read.
    @Test func damagedClassifierMembersAreNeverRead() throws {
        let file = "vgg19_small_classifier_zip.pth"
        var data = try Data(contentsOf: TestPaths.golden("formats/\(file)"))
        let classifierMembers = try storagesRead(data, file: file, keys: Self.classifierKeys).storages
        let offsets: [Int] = try data.withUnsafeBytes { bytes in
            let archive = try ZipArchive(bytes, path: file)
            return try classifierMembers.map { name in
                let contents = try archive.contents(of: try #require(archive[name]))
                return contents.baseAddress! - bytes.baseAddress!
            }
        }
        for offset in offsets { data[offset] ^= 0xFF }
        let full = Result { () throws(CheckpointError) in try readStateDict(data, path: file) }
        guard case .failure(let error) = full else { Issue.record("the damaged file loaded"); return }
        #expect(error.caseName == "malformed" && error.description.contains("fails its CRC-32 check"), "\(error)")
        #expect(classifierMembers.contains { error.description.contains("'\($0)'") }, "\(error)")
        let features = try readStateDict(data, path: file, selection: TensorSelection(keys: Self.featureKeys, storageRead: nil))
        #expect(Set(features.keys) == Self.featureKeys)
    }

    @Test func keysTheFileLacksAreAbsent() throws {
        let tensors = try loadStateDict(path: TestPaths.golden("formats/vgg19_small_classifier_legacy.pth").path,
                                        keys: ["features.0.bias", "features.99.weight"])
        #expect(Array(tensors.keys) == ["features.0.bias"])
    }

    /// The real torchvision file (548 MB), when `STYLECTL_VGG19_PTH` names it: the features load.
    /// `/usr/bin/time -v swift test --skip-build --filter realTorchvisionFile` measures its peak RSS.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STYLECTL_VGG19_PTH"] != nil))
    func realTorchvisionFile() throws {
        let path = try #require(ProcessInfo.processInfo.environment["STYLECTL_VGG19_PTH"])
        let tensors = try loadStateDict(path: path, keys: Self.featureKeys)
        #expect(Set(tensors.keys) == Self.featureKeys)
        #expect(tensors.values.reduce(0) { $0 + $1.values.count } == 3_505_728)  // conv1_1 ... conv4_1
    }
}
