// A thread-safe store of encodings (relu4_1 and, when asked, the style loss's statistics), keyed by what
// determines them, so each is computed once.

import Foundation
import ImageCodec
import Synchronization
import TensorCore

/// An image file as it is fed to the encoder: which file (path, size, modification date, so that a
/// changed file is encoded again) and how it is sized.
public struct ImageIdentity: Hashable, Sendable {
    /// The standardised absolute path.
    public let path: String
    public let byteCount: UInt64
    public let modified: Date
    public let sizing: ImageSizing

    /// Reads the file's size and modification date.
    ///
    /// - Throws: ``StyleControlError/transfer(_:)`` with `inputNotFound(role:path:)` naming
    ///   `role` when there is no such file.
    public init(path: String, sizing: ImageSizing, role: InputRole) throws(StyleControlError) {
        let standardized = URL(fileURLWithPath: path).standardizedFileURL.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: standardized),
              let bytes = (attributes[.size] as? NSNumber)?.uint64Value,
              let modified = attributes[.modificationDate] as? Date
        else { throw .transfer(.inputNotFound(role: role, path: path)) }
        self.path = standardized
        self.byteCount = bytes
        self.modified = modified
        self.sizing = sizing
    }
}

/// What is done to an image between loading and encoding.
public enum EncodingTransform: Hashable, Sendable {
    /// Encoded as loaded.
    case none
    /// A style recoloured by ``coral(source:target:)`` to match `target`, the content image.
    case coral(target: ImageIdentity)
    /// The image's luminance as a grey image (``luminanceImage(_:)``): the content in
    /// luminance-only transfer.
    case luminance
    /// A style's luminance matched to `target`'s (``matchLuminance(_:to:)``).
    case matchedLuminance(target: ImageIdentity)
}

/// What the encoder gives for one image: `f(image)` at relu4_1, and the statistics of relu1_1 ...
/// relu4_1 when they were asked for (the style loss's targets, ``StyleStatistics``).
///
/// Both come from one encoder pass when the statistics are asked for
/// (``VGGEncoder/encodeWithIntermediates(_:)``, whose relu4_1 is bit for bit ``VGGEncoder/encode(_:)``'s).
public struct Encoding: Sendable {
    /// relu4_1, shape (1, 512, ceil(H/8), ceil(W/8)).
    public var features: Tensor
    /// The channel means and stds of relu1_1, relu2_1, relu3_1 and relu4_1, or nil when not computed.
    public var statistics: StyleStatistics?
    /// The encoded image's size (after sizing).
    public var width: Int
    public var height: Int
    /// The size a stylization of the image is given back at (``ImageSizing/loadGivingBack(path:minimumSide:)``):
    /// the encoded size, or for ``ImageSizing/Shape/square`` the image's own.
    public var outputWidth: Int
    public var outputHeight: Int
    /// The sized image itself, kept with a content's encoding (colour preservation and the colour
    /// distance need it, and it is then not read again); nil for styles.
    public var image: RGBImage?

    public init(
        features: Tensor, statistics: StyleStatistics?, width: Int, height: Int, image: RGBImage? = nil,
        outputWidth: Int? = nil, outputHeight: Int? = nil
    ) {
        self.features = features
        self.statistics = statistics
        self.width = width
        self.height = height
        self.image = image
        self.outputWidth = outputWidth ?? width
        self.outputHeight = outputHeight ?? height
    }
}

/// Encodings shared across calls and threads, each computed once.
///
/// The key is the image file's identity (path, byte count, modification date, sizing) and the
/// transform applied before encoding, which for colour preservation names the content image it
/// matches. When several threads ask for the same key at once, one encodes and the others wait
/// for its result; different keys are encoded concurrently. An encoding that throws is not stored.
/// An encoding stored without statistics is replaced by one with them when they are asked for
/// (counted as a miss).
///
/// With a `capacity`, the oldest entry is dropped when a new one would exceed it; without, entries
/// stay until ``removeAll()``. A relu4_1 encoding of a 512 x 512 image takes 8 MiB.
public final class EncodingCache: Sendable {
    public struct Key: Hashable, Sendable {
        public let image: ImageIdentity
        public let transform: EncodingTransform

        public init(image: ImageIdentity, transform: EncodingTransform) {
            self.image = image
            self.transform = transform
        }
    }

    /// How often ``encoding(for:statistics:encode:)`` found a stored encoding, and how often it encoded.
    public struct Statistics: Sendable, Equatable {
        public var hits = 0
        public var misses = 0

        public init(hits: Int = 0, misses: Int = 0) {
            self.hits = hits
            self.misses = misses
        }
    }

    /// One key's encoding; its lock is held while encoding, so that waiters get the result.
    private final class Entry: Sendable {
        let encoding = Mutex<Encoding?>(nil)
    }

    private struct Table {
        var entries: [Key: Entry] = [:]
        var order: [Key] = []
    }

    public let capacity: Int?
    private let table = Mutex(Table())
    private let counts = Mutex(Statistics())

    /// - Parameter capacity: the most encodings kept (at least 1), or nil for no limit.
    public init(capacity: Int? = nil) {
        precondition(capacity.map { $0 >= 1 } ?? true, "an EncodingCache's capacity is at least 1")
        self.capacity = capacity
    }

    /// The stored encoding for `key` (with ``Encoding/statistics`` when `statistics`), or
    /// `encode(statistics)`'s result, stored.
    public func encoding<E: Error>(
        for key: Key, statistics: Bool = false, encode: (_ statistics: Bool) throws(E) -> Encoding
    ) throws(E) -> Encoding {
        let entry = table.withLock { table in
            if let entry = table.entries[key] { return entry }
            let entry = Entry()
            table.entries[key] = entry
            table.order.append(key)
            if let capacity, table.order.count > capacity {
                table.entries[table.order.removeFirst()] = nil
            }
            return entry
        }
        return try entry.encoding.withLock { (stored: inout Encoding?) throws(E) -> Encoding in
            if let stored, stored.statistics != nil || !statistics {
                counts.withLock { $0.hits += 1 }
                return stored
            }
            let encoding = try encode(statistics)
            stored = encoding
            counts.withLock { $0.misses += 1 }
            return encoding
        }
    }

    public var statistics: Statistics { counts.withLock { $0 } }

    /// Whether an encoding for `key` is stored (or being computed).
    public func contains(_ key: Key) -> Bool {
        table.withLock { $0.entries[key] != nil }
    }

    /// Drops every stored encoding.
    public func removeAll() {
        table.withLock { $0 = Table() }
    }
}
