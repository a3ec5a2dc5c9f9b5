// Writing a PNG or JPEG band of rows by band of rows, so that the image is never held whole,
// replaced atomically as writeImage replaces.

import CCodecShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an 8-bit RGB image as PNG or JPEG (chosen by the path's extension, as
/// ``writeImage(_:path:jpegQuality:)`` chooses) from bands of whole rows given top to bottom, so
/// that only the band in hand is held: libpng filters and deflates each row as it comes
/// (`png_write_row`), libjpeg takes scanlines (`jpeg_write_scanlines`). The file's bytes are those
/// ``writeImage(_:path:jpegQuality:)`` writes for the whole image, whatever the bands: PNG with
/// libpng's simplified API's settings (an sRGB chunk, the default filters and compression), JPEG
/// baseline 4:2:0 with optimised Huffman tables. Those tables need every block's coefficients
/// before the scan is written, so libjpeg keeps them in memory until ``finish()``: about 3 bytes per
/// pixel (2 bytes per coefficient, 1.5 samples per pixel at 4:2:0); a PNG keeps a few rows.
///
/// The rows go to a temporary file beside `path` (named as ``replaceAtomically(path:with:)``
/// names it), which ``finish()`` flushes to disk and renames over `path`. Any failure, a
/// ``cancel()``, or the writer's end without ``finish()`` removes the temporary file, so `path` is
/// either untouched or the whole image. Creating the temporary file and renaming it pass the gate
/// (``AtomicWriteGate/shared``), which keeps the file's name meanwhile: a signal handler's
/// ``AtomicWriteGate/closeForExit()`` removes it (the rows written to it afterwards go nowhere)
/// and holds back its rename; the gate is not held while rows are computed, so such a handler does
/// not wait for them.
public final class RowBandWriter {
    /// The file written once ``finish()`` succeeds.
    public let path: String
    public let width: Int
    public let height: Int
    /// Rows written so far.
    public private(set) var rowsWritten = 0

    private var temporary: String?
    private var fd: Int32 = -1
    private var file: UnsafeMutablePointer<FILE>?
    private var encoder: OpaquePointer?
    private let gate: AtomicWriteGate

    /// Creates the temporary file beside `path` and starts the image (a PNG's header is written
    /// now). The extension and `jpegQuality` (1...100, JPEG only) are checked before any file is
    /// made. `gate`: the gate the file's creation and rename pass (another than the shared one in tests).
    ///
    /// - Throws: ``ImageCodecError`` naming the file: `unsupportedOutputExtension`,
    ///   `invalidJPEGQuality`, `encodingFailed` (a size the format cannot hold, such as a JPEG side
    ///   above 65500) or `writeFailed`.
    public init(path: String, width: Int, height: Int, jpegQuality: Int = 95, gate: AtomicWriteGate = .shared) throws(ImageCodecError) {
        self.path = path
        self.gate = gate
        self.width = width
        self.height = height
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        let ext = name.lastIndex(of: ".").map { name[name.index(after: $0)...].lowercased() } ?? ""
        guard ["png", "jpg", "jpeg"].contains(ext) else { throw .unsupportedOutputExtension(path: path, extension: ext) }
        if ext != "png" && !(1 ... 100).contains(jpegQuality) { throw .invalidJPEGQuality(path: path, quality: jpegQuality) }
        guard width > 0, height > 0, width <= Int(Int32.max) / 3, height <= Int(Int32.max) else {
            throw .encodingFailed(path: path, reason: "an image of \(width) x \(height) pixels cannot be written")
        }
        let created = try gate.passing { () throws(ImageCodecError) in
            let created = try createTemporaryFile(beside: path)
            gate.keep(temporary: created.path)
            return created
        }
        (temporary, fd) = (created.path, created.fd)
        // A stream of its own descriptor for the encoders, closed before `fd` is synced and renamed.
        let copy = dup(fd)
        guard copy >= 0, let stream = fdopen(copy, "wb") else {
            let reason = systemMessage(errno)
            if copy >= 0 { close(copy) }
            cancel()
            throw .writeFailed(path: path, reason: reason)
        }
        file = stream
        var message = [CChar](repeating: 0, count: Int(CIMAGE_MESSAGE_LENGTH))
        let status = ext == "png" ? cpng_row_writer_open(stream, Int32(width), Int32(height), &encoder, &message)
                                  : cjpeg_row_writer_open(stream, Int32(width), Int32(height), Int32(jpegQuality), &encoder, &message)
        if status != CIMAGE_OK {
            cancel()
            throw .encodingFailed(path: path, reason: "\(ext == "png" ? "libpng" : "libjpeg"): \(Self.text(message))")
        }
    }

    deinit { cancel() }

    /// Writes the next rows down: `samples` holds whole rows of interleaved RGB (a multiple of
    /// `3 * width` bytes). On a failure the temporary file is removed and the writer takes no more.
    ///
    /// - Throws: ``ImageCodecError/encodingFailed(path:reason:)`` for rows that are not whole, rows
    ///   beyond the image's height, or a write that failed (the reason says so); ``ImageCodecError/writeFailed(path:reason:)``
    ///   after a ``cancel()``.
    public func write(rows samples: UnsafeBufferPointer<UInt8>) throws(ImageCodecError) {
        guard let encoder else { throw .writeFailed(path: path, reason: "the writer was cancelled or has finished") }
        guard samples.count.isMultiple(of: 3 * width) else {
            cancel()
            throw .encodingFailed(path: path, reason: "\(samples.count) bytes are not whole rows of \(width) pixels")
        }
        let rows = samples.count / (3 * width)
        guard rows > 0 else { return }
        var message = [CChar](repeating: 0, count: Int(CIMAGE_MESSAGE_LENGTH))
        guard cimage_row_writer_write(encoder, samples.baseAddress, Int32(clamping: rows), &message) == CIMAGE_OK else {
            cancel()
            throw .encodingFailed(path: path, reason: Self.text(message))
        }
        rowsWritten += rows
    }

    /// Ends the image, flushes the file to disk and renames it over `path`.
    ///
    /// - Throws: ``ImageCodecError/encodingFailed(path:reason:)`` when fewer rows than the height
    ///   were written, ``ImageCodecError/writeFailed(path:reason:)`` when the file could not be
    ///   written or renamed, or after a ``cancel()``; the temporary file is removed.
    public func finish() throws(ImageCodecError) {
        guard let encoder, let file, let temporary else { throw .writeFailed(path: path, reason: "the writer was cancelled or has finished") }
        var message = [CChar](repeating: 0, count: Int(CIMAGE_MESSAGE_LENGTH))
        var failure: ImageCodecError?
        if cimage_row_writer_finish(encoder, &message) != CIMAGE_OK { failure = .encodingFailed(path: path, reason: Self.text(message)) }
        cimage_row_writer_close(encoder)
        self.encoder = nil
        if fflush(file) != 0 && failure == nil { failure = .writeFailed(path: path, reason: systemMessage(errno)) }
        if fclose(file) != 0 && failure == nil { failure = .writeFailed(path: path, reason: systemMessage(errno)) }
        self.file = nil
        let fd = self.fd
        (self.temporary, self.fd) = (nil, -1)
        try gate.passing { () throws(ImageCodecError) in
            defer { gate.forget(temporary: temporary) }
            try commitTemporaryFile(temporary, fd: fd, to: path, failure: failure)
        }
    }

    /// Abandons the image: the temporary file is closed and removed, and `path` is left as it was.
    /// Nothing happens after ``finish()`` or a first cancel.
    public func cancel() {
        if let encoder { cimage_row_writer_close(encoder) }
        if let file { fclose(file) }
        if fd >= 0 { close(fd) }
        if let temporary {
            unlink(temporary)
            gate.forget(temporary: temporary)
        }
        (encoder, file, fd, temporary) = (nil, nil, -1, nil)
    }

    private static func text(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
