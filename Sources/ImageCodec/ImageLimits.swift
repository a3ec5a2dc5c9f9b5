// How large an image file and its pixels may be: the defence against decompression bombs.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits checked before any work or allocation: the size of an input file (checked with `fstat`
/// before reading) and the pixels an image may have (checked from the file's header before
/// decoding, and from the requested size before resizing or cropping).
///
/// A 48 KB 1-bit PNG can declare 20000 x 20000 pixels (5.9 GB once decoded to float RGB); the pixel
/// limit refuses such files from their first bytes. The default is Pillow's: `Image.open` warns
/// above `MAX_IMAGE_PIXELS` (89,478,485 pixels) and refuses above twice that, 178,956,970 pixels
/// (13377 x 13377; 2.1 GB as float RGB), which this library uses. The environment variable
/// `STYLECTL_MAX_IMAGE_PIXELS` (a positive integer) replaces it in ``standard``, like assigning
/// `PIL.Image.MAX_IMAGE_PIXELS`.
public struct ImageLimits: Sendable, Equatable {
    /// The most pixels (width x height) an image read, resized or cropped may have.
    public var maxPixels: Int
    /// The most bytes an input file may hold.
    public var maxFileBytes: Int
    /// Why the environment's setting was refused, thrown by every function given these limits
    /// (a bad setting must not be ignored silently, and a static property cannot throw).
    var invalidSetting: ImageCodecError?

    /// Pillow's error threshold, `2 * PIL.Image.MAX_IMAGE_PIXELS`.
    public static let defaultMaxPixels = 2 * 89_478_485
    /// 1 GiB: far above any photograph, far below what would exhaust memory.
    public static let defaultMaxFileBytes = 1 << 30
    /// The environment variable that replaces ``defaultMaxPixels`` in ``standard``.
    public static let maxPixelsVariable = "STYLECTL_MAX_IMAGE_PIXELS"

    public init(maxPixels: Int = ImageLimits.defaultMaxPixels, maxFileBytes: Int = ImageLimits.defaultMaxFileBytes) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }

    /// The defaults, with the pixel limit from `STYLECTL_MAX_IMAGE_PIXELS` when it is set; the
    /// only place the variable is read (once, at first use).
    public static let standard = ImageLimits(maxPixelsSetting: getenv(maxPixelsVariable).map { String(cString: $0) })

    /// The defaults, with the pixel limit `setting` when it is not nil: a positive integer in
    /// decimal, or the limits carry ``ImageCodecError/invalidLimitSetting(variable:value:)``.
    init(maxPixelsSetting setting: String?) {
        self.init()
        guard let setting else { return }
        if let value = Int(setting), value > 0 {
            maxPixels = value
        } else {
            invalidSetting = .invalidLimitSetting(variable: Self.maxPixelsVariable, value: setting)
        }
    }

    /// Throws the environment's refused setting, if any.
    func check() throws(ImageCodecError) {
        if let invalidSetting { throw invalidSetting }
    }

    /// Whether `width` x `height` pixels are within the limit (computed without overflow, so any
    /// pair of `Int`s is answered).
    public func allows(width: Int, height: Int) -> Bool {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && pixels <= maxPixels
    }
}
