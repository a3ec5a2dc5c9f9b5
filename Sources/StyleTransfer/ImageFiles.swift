// The image files an input path names: a file as is, or the JPEG and PNG files of a folder.

import Foundation

/// The image files of an input path, as every command reads folders.
public enum ImageFiles {
    /// The extensions read from a folder (any case).
    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Whether a file name has one of ``extensions``.
    public static func isImageName(_ name: String) -> Bool {
        extensions.contains((name as NSString).pathExtension.lowercased())
    }

    /// A file as is, or the JPEG and PNG files of a folder sorted by name.
    ///
    /// - Throws: `inputNotFound` when nothing is at `path`, `noImagesInFolder` for a folder without
    ///   images; both name `role`.
    public static func at(_ path: String, role: InputRole) throws(StyleTransferError) -> (paths: [String], isFolder: Bool) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .inputNotFound(role: role, path: path)
        }
        guard isFolder.boolValue else { return ([path], false) }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let images = names.filter(isImageName).sorted()
        guard !images.isEmpty else { throw .noImagesInFolder(role: role, path: path) }
        return (images.map { (path as NSString).appendingPathComponent($0) }, true)
    }
}
