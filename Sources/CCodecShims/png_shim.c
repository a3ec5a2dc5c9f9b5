// libpng decoding through the classic API, with the error handling kept in C (see CCodecShims.h).
// The simplified png_image API is not used for reading: it converts 16-bit samples and files
// with gAMA or sRGB chunks to linear light and premultiplies alpha, which Pillow does not do.

#include "CCodecShims.h"

#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

struct reader {
    const unsigned char *data;
    size_t size;
    size_t position;
    jmp_buf jump;
    char *message;
};

static void fail(png_structp png, png_const_charp text) {
    struct reader *reader = png_get_error_ptr(png);
    snprintf(reader->message, CIMAGE_MESSAGE_LENGTH, "%s", text);
    longjmp(reader->jump, 1);
}

// Warnings are about ancillary chunks libpng skipped (bad CRC, bad length); the pixels are intact.
static void ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_bytes(png_structp png, png_bytep target, size_t count) {
    struct reader *reader = png_get_io_ptr(png);
    if (reader->size - reader->position < count) png_error(png, "file is truncated");
    memcpy(target, reader->data + reader->position, count);
    reader->position += count;
}

CImageStatus cpng_decode(const unsigned char *data, size_t size, size_t max_pixels, CImageDecoded *out) {
    struct reader reader;
    png_structp png = NULL;
    png_infop info = NULL;
    unsigned char *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;

    memset(out, 0, sizeof *out);
    reader.data = data;
    reader.size = size;
    reader.position = 0;
    reader.message = out->message;
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, fail, ignore_warning);
    if (png) info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(out->message, CIMAGE_MESSAGE_LENGTH, "out of memory for libpng");
        return CIMAGE_OUT_OF_MEMORY;
    }
    if (setjmp(reader.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        return CIMAGE_CORRUPT;
    }
    png_set_read_fn(png, &reader, read_bytes);
    png_read_info(png, info);

    // IHDR limits width and height to 2^31 - 1 each: the product fits in 64 bits.
    uint64_t declared = (uint64_t)png_get_image_width(png, info) * png_get_image_height(png, info);
    if (declared > max_pixels) {
        out->width = (int)png_get_image_width(png, info);
        out->height = (int)png_get_image_height(png, info);
        png_destroy_read_struct(&png, &info, NULL);
        return CIMAGE_TOO_MANY_PIXELS;
    }

    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    png_set_palette_to_rgb(png);          // no-op unless palette
    png_set_expand_gray_1_2_4_to_8(png);  // no-op unless grey below 8 bits
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (!(color_type & PNG_COLOR_MASK_COLOR)) png_set_gray_to_rgb(png);
    if (bit_depth == 16) {
        const uint16_t one = 1;
        if (*(const unsigned char *)&one == 1) png_set_swap(png);  // little-endian host
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    pixels = malloc(row_bytes * height);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        snprintf(out->message, CIMAGE_MESSAGE_LENGTH, "out of memory for %zu x %zu pixels", width, height);
        return CIMAGE_OUT_OF_MEMORY;
    }
    for (size_t y = 0; y < height; y++) rows[y] = pixels + y * row_bytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);

    out->samples = pixels;
    out->width = (int)width;
    out->height = (int)height;
    out->channels = channels;
    out->bit_depth = bit_depth == 16 ? 16 : 8;
    return CIMAGE_OK;
}
