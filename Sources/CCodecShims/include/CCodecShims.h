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

/// cjpeg_encode's JPEG (the same bytes) written to `file` as libjpeg produces it (jpeg_stdio_dest),
/// without the whole file in memory. libjpeg checks its writes (and flushes `file` at the end): a
/// failed write is an error whose message says so.
CImageStatus cjpeg_encode_file(const unsigned char *rgb, int width, int height, int quality, FILE *file,
                               char message[CIMAGE_MESSAGE_LENGTH]);

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
