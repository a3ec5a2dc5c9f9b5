// A read-only view of a zip archive's stored entries, as PyTorch writes them.

/// The entries of a zip archive held in memory, found through its central directory.
///
/// PyTorch's `PyTorchStreamWriter` (caffe2/serialize/inline_container.cc, miniz) writes every record
/// uncompressed (method 0, "stored"), with a data descriptor after the data (flag bit 3, so the local
/// header's sizes are zero and the central directory's are the real ones), pads the local header's
/// extra field ("FB" blocks) so data starts on a 64-byte boundary, and ends the archive with zip64
/// end records. This reader follows APPNOTE.TXT: it finds the end of central directory record (zip64
/// if present), reads sizes and offsets from the central directory (zip64 extra field 0x0001 when a
/// field is 0xFFFFFFFF) and skips each local header's name and extra field to reach the data. It only
/// hands out stored entries, each checked against the CRC-32 of its central directory entry (a
/// flipped bit in a tensor would otherwise load as a wrong weight); anything compressed or
/// encrypted is refused.
struct ZipArchive {
    struct Entry {
        var name: String
        /// Compression method: 0 stored, 8 deflate, ...
        var method: UInt16
        var flags: UInt16
        /// The CRC-32 of the uncompressed data.
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        var localHeaderOffset: Int
    }

    let bytes: UnsafeRawBufferPointer
    let path: String
    /// The entries by name, in central directory order.
    private(set) var entries: [Entry] = []
    private var entryIndex: [String: Int] = [:]

    /// `PK\u{3}\u{4}`, the first local file header; a file cut inside those bytes counts too.
    static func hasSignature(_ bytes: UnsafeRawBufferPointer) -> Bool {
        !bytes.isEmpty && zip(bytes, [0x50, 0x4B, 0x03, 0x04] as [UInt8]).allSatisfy { $0 == $1 }
    }

    init(_ bytes: UnsafeRawBufferPointer, path: String) throws(CheckpointError) {
        self.bytes = bytes
        self.path = path
        let (directoryOffset, directorySize, entryCount) = try findCentralDirectory()
        var offset = directoryOffset
        let end = directoryOffset + directorySize
        for _ in 0 ..< entryCount {
            guard end - offset >= 46, u32(offset) == 0x0201_4B50 else {
                throw malformed("central directory entry \(entries.count) at byte \(offset) is damaged")
            }
            let method = u16(offset + 10), flags = u16(offset + 8), crc32 = u32(offset + 16)
            var compressedSize = Int(u32(offset + 20)), uncompressedSize = Int(u32(offset + 24))
            let nameLength = Int(u16(offset + 28)), extraLength = Int(u16(offset + 30)), commentLength = Int(u16(offset + 32))
            var localOffset = Int(u32(offset + 42))
            guard nameLength + extraLength + commentLength <= end - offset - 46 else {
                throw malformed("central directory entry \(entries.count) runs past the directory")
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset + 46 ..< offset + 46 + nameLength]), as: UTF8.self)
            // Zip64 extended information: the 8-byte values of the fields that are 0xFFFFFFFF, in this order.
            var extra = offset + 46 + nameLength
            let extraEnd = extra + extraLength
            while extraEnd - extra >= 4 {
                let id = u16(extra), size = Int(u16(extra + 2))
                guard size <= extraEnd - extra - 4 else { break }
                if id == 0x0001 {
                    var field = extra + 4
                    var values = [uncompressedSize, compressedSize, localOffset]
                    for i in values.indices where values[i] == 0xFFFF_FFFF {
                        guard field + 8 <= extra + 4 + size else { throw malformed("entry '\(name)' has a short zip64 extra field") }
                        guard let v = Int(exactly: u64(field)) else { throw malformed("entry '\(name)' has an impossible zip64 size") }
                        values[i] = v
                        field += 8
                    }
                    (uncompressedSize, compressedSize, localOffset) = (values[0], values[1], values[2])
                }
                extra += 4 + size
            }
            entryIndex[name] = entries.count
            entries.append(Entry(
                name: name, method: method, flags: flags, crc32: crc32, compressedSize: compressedSize,
                uncompressedSize: uncompressedSize, localHeaderOffset: localOffset))
            offset += 46 + nameLength + extraLength + commentLength
        }
    }

    subscript(name: String) -> Entry? {
        entryIndex[name].map { entries[$0] }
    }

    /// The bytes of a stored (uncompressed, unencrypted) entry, in place, once their CRC-32 matches.
    func contents(of entry: Entry) throws(CheckpointError) -> UnsafeRawBufferPointer {
        guard entry.flags & 1 == 0 else {
            throw .unsupportedFeature(path: path, detail: "zip entry '\(entry.name)' is encrypted")
        }
        guard entry.method == 0 else {
            let method = entry.method == 8 ? "deflate" : "method \(entry.method)"
            throw .unsupportedFeature(path: path, detail: "zip entry '\(entry.name)' is compressed (\(method)); torch.save stores entries uncompressed, so re-save the file with torch.save")
        }
        guard entry.compressedSize == entry.uncompressedSize else {
            throw malformed("stored zip entry '\(entry.name)' has \(entry.compressedSize) bytes but claims \(entry.uncompressedSize)")
        }
        let header = entry.localHeaderOffset
        guard header >= 0, header <= bytes.count - 30 else {
            throw .truncated(path: path, detail: "the local header of '\(entry.name)' at byte \(header) is past the end (\(bytes.count) bytes)")
        }
        guard u32(header) == 0x0403_4B50 else { throw malformed("the local header of '\(entry.name)' at byte \(header) is damaged") }
        let start = header + 30 + Int(u16(header + 26)) + Int(u16(header + 28))
        guard entry.compressedSize >= 0, start <= bytes.count, entry.compressedSize <= bytes.count - start else {
            throw .truncated(path: path, detail: "zip entry '\(entry.name)' ends past the end of the file (\(bytes.count) bytes)")
        }
        let contents = UnsafeRawBufferPointer(rebasing: bytes[start ..< start + entry.compressedSize])
        let computed = CRC32.checksum(contents)
        guard computed == entry.crc32 else {
            throw malformed("zip member '\(entry.name)' fails its CRC-32 check (the archive records \(hex(entry.crc32)), its data gives \(hex(computed))): the file is damaged; download or save it again")
        }
        return contents
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    // MARK: End of central directory

    /// Finds the (zip64) end of central directory record: offset, size and entry count of the directory.
    private func findCentralDirectory() throws(CheckpointError) -> (offset: Int, size: Int, count: Int) {
        // The record is 22 bytes plus a comment of up to 65535 bytes at the very end of the file.
        guard bytes.count >= 22 else { throw .truncated(path: path, detail: "a zip archive of \(bytes.count) bytes has no end of central directory record") }
        var eocd: Int?
        for candidate in stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 0xFFFF), by: -1)
            where u32(candidate) == 0x0605_4B50 && candidate + 22 + Int(u16(candidate + 20)) == bytes.count {
            eocd = candidate
            break
        }
        guard let eocd else {
            throw .truncated(path: path, detail: "the zip archive has no end of central directory record (the end of the file is missing)")
        }
        var count = Int(u16(eocd + 10)), size = Int(u32(eocd + 12)), offset = Int(u32(eocd + 16))
        // Zip64 end of central directory locator, just before the record.
        if eocd >= 20, u32(eocd - 20) == 0x0706_4B50 {
            guard let record = Int(exactly: u64(eocd - 12)), record >= 0, record <= eocd - 20 - 56,
                  u32(record) == 0x0606_4B50
            else { throw malformed("the zip64 end of central directory record is damaged") }
            guard let c = Int(exactly: u64(record + 32)), let s = Int(exactly: u64(record + 40)), let o = Int(exactly: u64(record + 48)) else {
                throw malformed("the zip64 end of central directory record holds impossible sizes")
            }
            (count, size, offset) = (c, s, o)
        }
        guard offset >= 0, size >= 0, offset <= eocd, size <= eocd - offset else {
            throw malformed("the central directory (\(size) bytes at byte \(offset)) is not before its end record at byte \(eocd)")
        }
        guard count <= size / 46 else { throw malformed("the central directory claims \(count) entries in \(size) bytes") }
        return (offset, size, count)
    }

    // MARK: Little-endian fields (callers check bounds)

    private func u16(_ at: Int) -> UInt16 { UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)) }
    private func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    private func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }

    private func malformed(_ detail: String) -> CheckpointError {
        .malformed(path: path, detail: detail)
    }
}
