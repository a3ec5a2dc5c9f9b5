// The format-independent half of CImageRowWriter (see CCodecShims.h): row counting, and refusing
// calls after a failure.

#include "row_writer.h"

#include <stdio.h>

CImageStatus cimage_row_writer_write(CImageRowWriter *writer, const unsigned char *rgb, int rows,
                                     char message[CIMAGE_MESSAGE_LENGTH]) {
    message[0] = '\0';
    if (writer->failed) {
        snprintf(message, CIMAGE_MESSAGE_LENGTH, "the writer failed earlier");
        return CIMAGE_CORRUPT;
    }
    if (rows < 0 || rows > writer->height - writer->next_row) {
        snprintf(message, CIMAGE_MESSAGE_LENGTH, "%d rows given after %d of the image's %d", rows, writer->next_row,
                 writer->height);
        writer->failed = 1;
        return CIMAGE_CORRUPT;
    }
    CImageStatus status = writer->write(writer, rgb, rows, message);
    if (status == CIMAGE_OK) writer->next_row += rows;
    else writer->failed = 1;
    return status;
}

CImageStatus cimage_row_writer_finish(CImageRowWriter *writer, char message[CIMAGE_MESSAGE_LENGTH]) {
    message[0] = '\0';
    if (writer->failed) {
        snprintf(message, CIMAGE_MESSAGE_LENGTH, "the writer failed earlier");
        return CIMAGE_CORRUPT;
    }
    if (writer->next_row != writer->height) {
        snprintf(message, CIMAGE_MESSAGE_LENGTH, "only %d of the image's %d rows were written", writer->next_row,
                 writer->height);
        writer->failed = 1;
        return CIMAGE_CORRUPT;
    }
    CImageStatus status = writer->finish(writer, message);
    if (status != CIMAGE_OK) writer->failed = 1;
    return status;
}

void cimage_row_writer_close(CImageRowWriter *writer) {
    if (writer) writer->destroy(writer);
}
