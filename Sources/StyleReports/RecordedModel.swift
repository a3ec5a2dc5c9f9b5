// The model a report was made with, as its manifest records it: always written, and read as
// pytorch-adain from a manifest written before models were recorded, so that such reports resume.

import StyleTransfer

/// A ``StyleTransfer/ModelVariant`` field of a manifest: encoded as its name (`"seed"`); a
/// manifest without the key decodes as ``StyleTransfer/ModelVariant/pytorchAdaIN``, the only
/// model stylectl ran before the key existed.
@propertyWrapper
public struct RecordedModel: Codable, Equatable, Sendable {
    public var wrappedValue: ModelVariant

    public init(wrappedValue: ModelVariant) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Swift.Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(ModelVariant.self)
    }

    public func encode(to encoder: any Swift.Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension KeyedDecodingContainer {
    /// A missing `model` key is pytorch-adain (see ``RecordedModel``).
    public func decode(_ type: RecordedModel.Type, forKey key: Key) throws -> RecordedModel {
        try decodeIfPresent(type, forKey: key) ?? RecordedModel(wrappedValue: .pytorchAdaIN)
    }
}
