// OpenBLAS's CBLAS interface (Debian's libopenblas-dev; /usr/include/<triplet>/cblas.h is OpenBLAS's
// through the alternatives system), with openblas_get_corename and openblas_set_num_threads.
#include <cblas.h>
