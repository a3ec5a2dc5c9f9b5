// libpng decoding through the classic API, and the PNG row writer, with the error handling kept in
// C (see CCodecShims.h).
// The simplified png_image API is not used for reading: it converts 16-bit samples and files
// with gAMA or sRGB chunks to linear light and premultiplies alpha, which Pillow does not do.

#include "CCodecShims.h"
#include "row_writer.h"

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

// A CImageRowWriter for PNG: what libpng's simplified png_image_write_main does for an 8-bit
// PNG_FORMAT_RGB image with no flags (benign errors made errors, IHDR, an sRGB chunk with the
// perceptual intent, the default filters and compression, png_write_row per row, png_write_end),
// so the bytes are png_image_write_to_memory's and png_image_write_to_stdio's.
struct png_row_writer {
    CImageRowWriter base;
    png_structp png;
    png_infop info;
    jmp_buf jump;
    char *message;
};

static void write_fail(png_structp png, png_const_charp text) {
    struct png_row_writer *writer = png_get_error_ptr(png);
    snprintf(writer->message, CIMAGE_MESSAGE_LENGTH, "%s", text);
    longjmp(writer->jump, 1);
}

static CImageStatus png_writer_rows(CImageRowWriter *base, const unsigned char *rgb, int rows, char *message) {
    struct png_row_writer *writer = (struct png_row_writer *)base;
    writer->message = message;
    if (setjmp(writer->jump)) return CIMAGE_CORRUPT;
    for (int y = 0; y < rows; y++) png_write_row(writer->png, rgb + (size_t)y * (size_t)base->width * 3);
    return CIMAGE_OK;
}

static CImageStatus png_writer_finish(CImageRowWriter *base, char *message) {
    struct png_row_writer *writer = (struct png_row_writer *)base;
    writer->message = message;
    if (setjmp(writer->jump)) return CIMAGE_CORRUPT;
    png_write_end(writer->png, writer->info);
    return CIMAGE_OK;
}

static void png_writer_destroy(CImageRowWriter *base) {
    struct png_row_writer *writer = (struct png_row_writer *)base;
    png_destroy_write_struct(&writer->png, &writer->info);
    free(writer);
}

CImageStatus cpng_row_writer_open(FILE *file, int width, int height, CImageRowWriter **out,
                                  char message[CIMAGE_MESSAGE_LENGTH]) {
    *out = NULL;
    message[0] = '\0';
    struct png_row_writer *writer = calloc(1, sizeof *writer);
    if (writer) {
        writer->message = message;
        writer->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, writer, write_fail, ignore_warning);
    }
    if (writer && writer->png) writer->info = png_create_info_struct(writer->png);
    if (!writer || !writer->info) {
        if (writer) png_writer_destroy(&writer->base);
        snprintf(message, CIMAGE_MESSAGE_LENGTH, "out of memory for libpng");
        return CIMAGE_OUT_OF_MEMORY;
    }
    writer->base.write = png_writer_rows;
    writer->base.finish = png_writer_finish;
    writer->base.destroy = png_writer_destroy;
    writer->base.width = width;
    writer->base.height = height;
    if (setjmp(writer->jump)) {
        png_writer_destroy(&writer->base);
        return CIMAGE_CORRUPT;
    }
    png_init_io(writer->png, file);
    png_set_benign_errors(writer->png, 0);
    png_set_IHDR(writer->png, writer->info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_set_sRGB(writer->png, writer->info, PNG_sRGB_INTENT_PERCEPTUAL);
    png_write_info(writer->png, writer->info);
    *out = &writer->base;
    return CIMAGE_OK;
}
