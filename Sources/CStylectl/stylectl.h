/*
 * stylectl.h: the C API of stylectl's library, for Python (ctypes) and C callers. Version 1.
 *
 * Built by `swift build -c release --product StyleCAPI` as .build/release/libStyleCAPI.so (SwiftPM
 * names a library after its product, and the product name `stylectl` is the executable's); the
 * Python package installs it as `stylectl/libstylectl.so`. Link C programs with -lStyleCAPI.
 *
 * Conventions:
 * - Every function that can fail returns a `stylectl_status` and, on failure, sets `*message` to a
 *   NUL-terminated UTF-8 string with the words `stylectl` prints after "Error: " for the same
 *   failure (the typed Swift errors' descriptions; control characters escaped as \x1B). Free it with
 *   stylectl_string_free. On success `*message` is set to NULL. Output pointers are set to NULL on
 *   failure.
 * - Nothing aborts the process on bad input: null pointers, negative counts, unknown names, NaN or
 *   out-of-range alpha and weights, missing or unreadable files, masks of the wrong shape and
 *   sizes beyond the limits are all returned as errors, checked before any work starts.
 * - Every allocation the library returns has its own free function; each accepts NULL.
 * - Thread safety: any function may be called from several threads at once. Calls on one
 *   stylizer handle are serialised by a lock per handle (they share its encoding caches and the
 *   network's buffers); use one handle per thread to run stylizations in parallel. A handle must
 *   not be freed while another thread is using it.
 * - Images are given as file paths (JPEG or PNG), read exactly as `stylectl stylize` reads them.
 */
#ifndef STYLECTL_H
#define STYLECTL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this header; stylectl_api_version() gives the library's. */
#define STYLECTL_API_VERSION 1

typedef enum stylectl_status {
    STYLECTL_OK = 0,
    /* A null pointer, a negative count, an unknown model, mask mode or colour preservation name. */
    STYLECTL_ERROR_ARGUMENT = 1,
    /* The weight files: not found, unreadable, of another network or model. */
    STYLECTL_ERROR_WEIGHTS = 2,
    /* The images and controls: missing or unreadable images, alpha, weights, masks, sizes. */
    STYLECTL_ERROR_STYLIZATION = 3,
    /* The stylization needs more memory than the budget (max_memory, $STYLECTL_MAX_MEMORY or 3/4 of MemAvailable). */
    STYLECTL_ERROR_MEMORY = 4
} stylectl_status;

/* A loaded encoder and decoder with their encoding caches: the 32 most recent style encodings
   and the 4 most recent content encodings (each 8 MiB at 512 x 512), keyed by file, size,
   modification time, sizing and colour transform, so a changed file is encoded again. */
typedef struct stylectl_stylizer stylectl_stylizer;

/* How images are sized, as stylize's --content-size, --style-size, --crop, --tile, --max-memory. */
typedef struct stylectl_sizing {
    /* The content's shorter side in pixels (the square's side for the seed model); 0 keeps its
       size; -1: the model's default (512; 256 for the seed). At most 16384. */
    int32_t content_size;
    /* The style's, alike; -1: the model's default. */
    int32_t style_size;
    /* Nonzero: the centre square (--crop). */
    int32_t crop;
    /* 0: whole, or in the largest tiles that fit the memory (as stylize); else --tile N. */
    int32_t tile;
    /* --max-memory (bytes, or with a K, M or G suffix); NULL: $STYLECTL_MAX_MEMORY, else 3/4 of MemAvailable. */
    const char *max_memory;
} stylectl_sizing;

/* What to stylize with, as stylize's --style, --style-weights, --mask, --mask-mode,
   --stretch-mask, --preserve-color, --alpha. */
typedef struct stylectl_controls {
    const char *const *styles;     /* style_count image paths, at least 1 */
    int32_t style_count;
    const float *weights;          /* NULL (equal weights) or weight_count interpolation weights, one per style */
    int32_t weight_count;
    const char *const *masks;      /* NULL or mask_count mask image paths */
    int32_t mask_count;
    const char *mask_mode;         /* NULL or "auto", "binary", "labels", "soft" */
    int32_t stretch_mask;          /* nonzero: --stretch-mask */
    const char *preserve_color;    /* NULL or "none", "coral", "luminance" */
    float alpha;                   /* in [0, 1] */
} stylectl_controls;

/* Flags of stylectl_stylize. */
#define STYLECTL_WANT_TENSORS 1 /* t and g(t) in the result */
#define STYLECTL_WANT_LOSSES 2  /* the losses (as a sweep's manifest records them) in the result */

/* A float32 tensor, row-major (NCHW for features). */
typedef struct stylectl_tensor {
    int32_t rank;
    int64_t shape[4];
    float *values; /* shape[0] * ... * shape[rank - 1] values; NULL when absent */
} stylectl_tensor;

typedef struct stylectl_result {
    int32_t width;
    int32_t height;
    /* height x width x 3 bytes, interleaved RGB: what stylize writes to a PNG for this stylization. */
    uint8_t *pixels;
    /* height x width x 3 floats, interleaved RGB: the image before quantisation. */
    float *image;
    /* With STYLECTL_WANT_TENSORS: t (1, 512, h, w), the decoder's input after the alpha blend, and
       g(t) (1, 3, 8h, 8w), the decoder's output before cropping and clamping. Their values are
       NULL for a stylization run in tiles, which never holds them whole. */
    stylectl_tensor target;
    stylectl_tensor decoded;
    /* With STYLECTL_WANT_LOSSES: a JSON object with "content", "style", "gramStyle",
       "colorDistance" and, with masks, "maskFidelity" (StylizationLosses); NULL otherwise. */
    char *losses_json;
    /* Seconds spent in the library's stylization (sizing, encoding, decoding, losses), for
       measuring a binding's overhead. */
    double seconds;
} stylectl_result;

/* The library's API version (STYLECTL_API_VERSION of the header it was built with). */
int32_t stylectl_api_version(void);

/* Finds the weight files as `stylectl stylize` does (vgg, decoder: NULL to search
   $STYLECTL_MODELS, then Models/ of the repository holding `search_from`, then ./Models), the model
   (NULL: recognised from the VGG file; else "pytorch-adain", "torch" or "seed"), and loads them.
   search_from: a file inside the repository whose Models/ folder is searched (as the CLI's own
   executable is); NULL: this library's file. */
stylectl_status stylectl_stylizer_load(const char *vgg, const char *decoder, const char *model, const char *search_from,
                                       stylectl_stylizer **stylizer, char **message);

/* The handle's weight files, model and cache statistics as a JSON object:
   {"vgg": ..., "decoder": ..., "model": ..., "styleCache": {"hits": n, "misses": n}, "contentCache": {...}}. */
stylectl_status stylectl_stylizer_info(stylectl_stylizer *stylizer, char **json, char **message);

void stylectl_stylizer_free(stylectl_stylizer *stylizer);

/* f(image): the relu4_1 features (1, 512, h, w) of an image file sized as `sizing` says for its
   role (0: content, 1: style), from the handle's encoding cache (encoded once per file, size and
   modification time). */
stylectl_status stylectl_encode(stylectl_stylizer *stylizer, const char *image, int32_t role, const stylectl_sizing *sizing,
                                stylectl_tensor **features, char **message);

void stylectl_tensor_free(stylectl_tensor *tensor);

/* Stylizes the image file `content` through stylectl's one stylization pipeline, exactly as
   `stylectl stylize` with the same controls and sizing does (memory checked first, tiles chosen
   alike). flags: STYLECTL_WANT_TENSORS | STYLECTL_WANT_LOSSES. */
stylectl_status stylectl_stylize(stylectl_stylizer *stylizer, const char *content, const stylectl_controls *controls,
                                 const stylectl_sizing *sizing, int32_t flags, stylectl_result **result, char **message);

void stylectl_result_free(stylectl_result *result);

void stylectl_string_free(char *string);

#ifdef __cplusplus
}
#endif

#endif /* STYLECTL_H */
