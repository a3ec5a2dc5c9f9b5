// libjpeg decoding and encoding with the error handling kept in C (see CCodecShims.h).

#include "CCodecShims.h"
#include "row_writer.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

struct error_manager {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char *message;
};

static void fail(j_common_ptr cinfo) {
    struct error_manager *manager = (struct error_manager *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    snprintf(manager->message, CIMAGE_MESSAGE_LENGTH, "%s", text);
    longjmp(manager->jump, 1);
}

// Trace messages (level >= 0) are dropped. Warnings (level -1) mean corrupt or missing data,
// except two about metadata that leave the pixels intact (Pillow decodes those files too).
static void emit_message(j_common_ptr cinfo, int level) {
    if (level >= 0) return;
    int code = cinfo->err->msg_code;
    if (code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM) return;
    fail(cinfo);
}

static void install(struct error_manager *manager, char *message) {
    jpeg_std_error(&manager->pub);
    manager->pub.error_exit = fail;
    manager->pub.emit_message = emit_message;
    manager->message = message;
    message[0] = '\0';
}

// Pillow's MULDIV255 and cmyk2rgb (libImaging/Convert.c), after its "CMYK;I" unpacker has
// inverted the samples (Pillow assumes Adobe's inverted CMYK for every 4-channel JPEG).
static unsigned char muldiv255(int a, int b) {
    int t = a * b + 128;
    return (unsigned char)(((t >> 8) + t) >> 8);
}

static unsigned char clip8(int v) {
    return (unsigned char)(v < 0 ? 0 : v > 255 ? 255 : v);
}

static void cmyk_row_to_rgb(const unsigned char *cmyk, unsigned char *rgb, int width) {
    for (int x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        int nk = cmyk[3];  // 255 - inverted K
        for (int c = 0; c < 3; c++) rgb[c] = clip8(nk - muldiv255(255 - cmyk[c], nk));
    }
}

static void grey_row_to_rgb(const unsigned char *grey, unsigned char *rgb, int width) {
    for (int x = 0; x < width; x++, rgb += 3) rgb[0] = rgb[1] = rgb[2] = grey[x];
}

CImageStatus cjpeg_read_size(const unsigned char *data, size_t size, CImageDecoded *out) {
    struct jpeg_decompress_struct cinfo;
    struct error_manager manager;

    memset(out, 0, sizeof *out);
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = &manager.pub;
    install(&manager, out->message);
    if (setjmp(manager.jump)) {
        // jpeg_mem_src warns JWRN_JPEG_EOF when the data runs out; emit_message makes it fatal.
        int code = manager.pub.msg_code;
        jpeg_destroy_decompress(&cinfo);
        return code == JWRN_JPEG_EOF ? CIMAGE_TRUNCATED_HEADER : code == JERR_EMPTY_IMAGE ? CIMAGE_EMPTY : CIMAGE_CORRUPT;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    out->width = (int)cinfo.image_width;
    out->height = (int)cinfo.image_height;
    jpeg_destroy_decompress(&cinfo);
    return CIMAGE_OK;
}

CImageStatus cjpeg_decode(const unsigned char *data, size_t size, size_t max_pixels, CImageDecoded *out) {
    struct jpeg_decompress_struct cinfo;
    struct error_manager manager;
    unsigned char *volatile pixels = NULL;
    unsigned char *volatile row = NULL;

    memset(out, 0, sizeof *out);
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = &manager.pub;
    install(&manager, out->message);
    if (setjmp(manager.jump)) {
        CImageStatus status = manager.pub.msg_code == JERR_EMPTY_IMAGE ? CIMAGE_EMPTY : CIMAGE_CORRUPT;
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);

    // JPEG limits width and height to 65535 each: the product fits in size_t. Checked before
    // jpeg_start_decompress, which allocates libjpeg's buffers for the whole width.
    if ((size_t)cinfo.image_width * cinfo.image_height > max_pixels) {
        out->width = (int)cinfo.image_width;
        out->height = (int)cinfo.image_height;
        jpeg_destroy_decompress(&cinfo);
        return CIMAGE_TOO_MANY_PIXELS;
    }

    // What Pillow asks libjpeg for (JpegImagePlugin: mode from the number of components;
    // JpegDecode.c: out_color_space from the raw mode, DCT method and upsampling left at defaults).
    switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default:
        snprintf(out->message, CIMAGE_MESSAGE_LENGTH, "unsupported number of components: %d",
                 cinfo.num_components);
        jpeg_destroy_decompress(&cinfo);
        return CIMAGE_CORRUPT;
    }
    jpeg_start_decompress(&cinfo);

    size_t width = cinfo.output_width, height = cinfo.output_height;
    int components = cinfo.output_components;
    pixels = malloc(width * height * 3);
    if (components != 3) row = malloc(width * (size_t)components);
    if (!pixels || (components != 3 && !row)) {
        snprintf(out->message, CIMAGE_MESSAGE_LENGTH, "out of memory for %zu x %zu pixels", width, height);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(row);
        return CIMAGE_OUT_OF_MEMORY;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        unsigned char *target = pixels + (size_t)cinfo.output_scanline * width * 3;
        JSAMPROW rows[1] = {components == 3 ? target : row};
        jpeg_read_scanlines(&cinfo, rows, 1);
        if (components == 1) grey_row_to_rgb(row, target, (int)width);
        if (components == 4) cmyk_row_to_rgb(row, target, (int)width);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(row);

    out->samples = pixels;
    out->width = (int)width;
    out->height = (int)height;
    out->channels = 3;
    out->bit_depth = 8;
    return CIMAGE_OK;
}

// cjpeg_encode's settings, shared with the row writer so that both give the same bytes.
static void configure(struct jpeg_compress_struct *cinfo, int width, int height, int quality) {
    cinfo->image_width = (JDIMENSION)width;
    cinfo->image_height = (JDIMENSION)height;
    cinfo->input_components = 3;
    cinfo->in_color_space = JCS_RGB;
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    cinfo->optimize_coding = TRUE;
}

CImageStatus cjpeg_encode(const unsigned char *rgb, int width, int height, int quality,
                          unsigned char **jpeg, size_t *jpeg_size,
                          char message[CIMAGE_MESSAGE_LENGTH]) {
    struct jpeg_compress_struct cinfo;
    struct error_manager manager;
    unsigned char *buffer = NULL;  // address taken: lives in memory across longjmp
    unsigned long buffer_size = 0;

    *jpeg = NULL;
    *jpeg_size = 0;
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = &manager.pub;
    install(&manager, message);
    if (setjmp(manager.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        return CIMAGE_CORRUPT;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buffer, &buffer_size);
    configure(&cinfo, width, height, quality);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)(rgb + (size_t)cinfo.next_scanline * (size_t)width * 3)};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *jpeg = buffer;
    *jpeg_size = buffer_size;
    return CIMAGE_OK;
}

// A CImageRowWriter for JPEG: libjpeg's compressor with its error manager, each call setting the
// jump back into itself before entering libjpeg.
struct jpeg_row_writer {
    CImageRowWriter base;
    struct jpeg_compress_struct cinfo;
    struct error_manager manager;
};

static CImageStatus jpeg_writer_rows(CImageRowWriter *base, const unsigned char *rgb, int rows, char *message) {
    struct jpeg_row_writer *writer = (struct jpeg_row_writer *)base;
    writer->manager.message = message;
    if (setjmp(writer->manager.jump)) return CIMAGE_CORRUPT;
    for (int y = 0; y < rows; y++) {
        JSAMPROW row[1] = {(JSAMPROW)(rgb + (size_t)y * (size_t)base->width * 3)};
        jpeg_write_scanlines(&writer->cinfo, row, 1);
    }
    return CIMAGE_OK;
}

static CImageStatus jpeg_writer_finish(CImageRowWriter *base, char *message) {
    struct jpeg_row_writer *writer = (struct jpeg_row_writer *)base;
    writer->manager.message = message;
    if (setjmp(writer->manager.jump)) return CIMAGE_CORRUPT;
    jpeg_finish_compress(&writer->cinfo);
    return CIMAGE_OK;
}

static void jpeg_writer_destroy(CImageRowWriter *base) {
    struct jpeg_row_writer *writer = (struct jpeg_row_writer *)base;
    jpeg_destroy_compress(&writer->cinfo);
    free(writer);
}

CImageStatus cjpeg_row_writer_open(FILE *file, int width, int height, int quality, CImageRowWriter **out,
                                   char message[CIMAGE_MESSAGE_LENGTH]) {
    *out = NULL;
    message[0] = '\0';
    struct jpeg_row_writer *writer = calloc(1, sizeof *writer);
    if (!writer) {
        snprintf(message, CIMAGE_MESSAGE_LENGTH, "out of memory for libjpeg");
        return CIMAGE_OUT_OF_MEMORY;
    }
    writer->base.write = jpeg_writer_rows;
    writer->base.finish = jpeg_writer_finish;
    writer->base.destroy = jpeg_writer_destroy;
    writer->base.width = width;
    writer->base.height = height;
    writer->cinfo.err = &writer->manager.pub;
    install(&writer->manager, message);
    if (setjmp(writer->manager.jump)) {
        jpeg_writer_destroy(&writer->base);
        return CIMAGE_CORRUPT;
    }
    jpeg_create_compress(&writer->cinfo);
    jpeg_stdio_dest(&writer->cinfo, file);
    configure(&writer->cinfo, width, height, quality);
    jpeg_start_compress(&writer->cinfo, TRUE);
    *out = &writer->base;
    return CIMAGE_OK;
}

void cimage_free(void *buffer) {
    free(buffer);
}
