// libgd (contact sheets in StyleReports): true-colour images, resampling, FreeType text, PNG output.
#include <gd.h>
#include <gdfonts.h>
