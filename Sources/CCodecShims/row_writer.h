// The parts every CImageRowWriter shares (see CCodecShims.h); each format's writer embeds this
// struct first and fills in its three functions.

#ifndef CCODECSHIMS_ROW_WRITER_H
#define CCODECSHIMS_ROW_WRITER_H

#include "CCodecShims.h"

struct CImageRowWriter {
    /// Writes `rows` rows (their number already checked against the height).
    CImageStatus (*write)(CImageRowWriter *writer, const unsigned char *rgb, int rows, char *message);
    /// Ends the image (every row already written).
    CImageStatus (*finish)(CImageRowWriter *writer, char *message);
    /// Releases the library's state and the writer itself.
    void (*destroy)(CImageRowWriter *writer);
    int width;
    int height;
    /// Rows written so far.
    int next_row;
    /// Set once a call failed: the library's state is then only fit for destroying.
    int failed;
};

#endif
