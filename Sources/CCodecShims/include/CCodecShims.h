// C shims over libjpeg(-turbo) and libpng for ImageCodec.
//
// Both libraries report fatal errors by calling a handler that must not return; the usual handler
// longjmp()s back to the caller, which Swift cannot do. These functions keep the setjmp/longjmp
// inside C and return a status code with a message instead. Buffers they return are allocated
// with malloc and released with cimage_free.

#ifndef CCODECSHIMS_H
#define CCODECSHIMS_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Room for a message, including the terminating NUL (libjpeg's JMSG_LENGTH_MAX).
#define CIMAGE_MESSAGE_LENGTH 200

typedef enum {
    CIMAGE_OK = 0,
    /// The data is not a valid image of the format (truncated, corrupt, unsupported); see message.
    CIMAGE_CORRUPT = 1,
    /// The header declares a width or height of 0.
    CIMAGE_EMPTY = 2,
    /// Memory for the pixels could not be allocated.
    CIMAGE_OUT_OF_MEMORY = 3,
    /// The header declares more than `max_pixels` pixels; width and height hold what it declares.
    CIMAGE_TOO_MANY_PIXELS = 4,
    /// The data ends before the header does (cjpeg_read_size only: more data may complete it).
    CIMAGE_TRUNCATED_HEADER = 5,
} CImageStatus;

/// A decoded image: interleaved samples, row after row, top row first.
typedef struct {
    /// `width * height * channels` samples; 8-bit samples as bytes, 16-bit samples as native-endian
    /// uint16_t. NULL unless the status is CIMAGE_OK.
    void *samples;
    int width;
    int height;
    /// 3 (RGB) or 4 (RGBA, straight alpha).
    int channels;
    /// 8 or 16.
    int bit_depth;
    char message[CIMAGE_MESSAGE_LENGTH];
} CImageDecoded;

/// Decodes a JPEG held in memory to 8-bit RGB, as Pillow decodes it and converts it with
/// `convert("RGB")`: libjpeg's default (accurate integer) DCT and fancy upsampling; greyscale
/// replicated to R, G and B; CMYK read with Adobe's inverted convention and converted as Pillow
/// does. libjpeg warnings about corrupt or missing data (such as "Premature end of JPEG file")
/// are errors, so a truncated file fails instead of decoding to grey. A header declaring more
/// than `max_pixels` pixels is refused (CIMAGE_TOO_MANY_PIXELS) before any pixel memory is allocated.
CImageStatus cjpeg_decode(const unsigned char *data, size_t size, size_t max_pixels, CImageDecoded *out);

/// Reads only a JPEG's header (jpeg_read_header, up to the first start-of-scan) into `out`'s
/// width and height; no samples. CIMAGE_TRUNCATED_HEADER when `data` ends inside the header.
CImageStatus cjpeg_read_size(const unsigned char *data, size_t size, CImageDecoded *out);

/// Encodes 8-bit interleaved RGB as a baseline JPEG (4:2:0 chroma subsampling, optimised Huffman
/// tables) at `quality` in 1...100. On success `*jpeg` holds `*jpeg_size` bytes.
CImageStatus cjpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                          unsigned char **jpeg, size_t *jpeg_size,
                          char message[CIMAGE_MESSAGE_LENGTH]);

/// A JPEG or PNG written to a FILE row after row, top row first (cjpeg_row_writer_open,
/// cpng_row_writer_open), so that the image is never held whole. Each call keeps libjpeg's or
/// libpng's setjmp in C and returns a status with a message; after a failure the writer only
/// takes cimage_row_writer_close. The bytes are those of the whole-image encoders with the same
/// settings: cjpeg_encode's, and libpng's simplified png_image_write_to_memory / _to_stdio for
/// PNG_FORMAT_RGB (an sRGB chunk, libpng's default filters and compression).
typedef struct CImageRowWriter CImageRowWriter;

/// Starts cjpeg_encode's JPEG (baseline, 4:2:0, optimised Huffman tables, `quality` in 1...100)
/// into `file` (jpeg_stdio_dest). The optimised tables need every block's coefficients before
/// the first byte of entropy-coded data: libjpeg keeps them in memory (2 bytes each, about
/// 3 bytes per pixel at 4:2:0) until cimage_row_writer_finish writes the scan.
CImageStatus cjpeg_row_writer_open(FILE *file, int width, int height, int quality, CImageRowWriter **writer,
                                   char message[CIMAGE_MESSAGE_LENGTH]);

/// Starts an 8-bit RGB PNG into `file` (png_init_io): the header and sRGB chunk are written now,
/// each row is filtered and deflated as it comes (png_write_row).
CImageStatus cpng_row_writer_open(FILE *file, int width, int height, CImageRowWriter **writer,
                                  char message[CIMAGE_MESSAGE_LENGTH]);

/// Writes `rows` rows of 8-bit interleaved RGB (3 * width bytes each), the next ones down. More
/// rows than the image's height are an error, and nothing is written.
CImageStatus cimage_row_writer_write(CImageRowWriter *writer, const unsigned char *rgb, int rows,
                                     char message[CIMAGE_MESSAGE_LENGTH]);

/// Ends the image once every row is written (libjpeg's jpeg_finish_compress, libpng's
/// png_write_end); a failed write of `file` is an error whose message says so. The caller
/// flushes and closes `file`.
CImageStatus cimage_row_writer_finish(CImageRowWriter *writer, char message[CIMAGE_MESSAGE_LENGTH]);

/// Releases a writer, finished or not (an unfinished image is abandoned); `file` stays open.
void cimage_row_writer_close(CImageRowWriter *writer);

/// Decodes a PNG held in memory with libpng, without any gamma or colour-space transform (gAMA,
/// sRGB, iCCP and cHRM chunks are ignored, as Pillow ignores them): palettes and greyscale expand
/// to RGB, transparency (alpha channel or tRNS) to a straight alpha channel; 1, 2 and 4-bit
/// samples are scaled to 8 bits and 16-bit samples are kept. A header declaring more than
/// `max_pixels` pixels is refused (CIMAGE_TOO_MANY_PIXELS) before any pixel memory is allocated.
CImageStatus cpng_decode(const unsigned char *data, size_t size, size_t max_pixels, CImageDecoded *out);

/// Releases a buffer returned by these functions.
void cimage_free(void *buffer);

#ifdef __cplusplus
}
#endif

#endif
