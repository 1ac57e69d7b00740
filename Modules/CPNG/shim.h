// libpng's simplified API (png_image), found through pkg-config (`libpng`). It reports errors
// through png_image.message and needs no setjmp/longjmp, which Swift cannot use safely.
#include <png.h>

/// PNG_IMAGE_SIZE is a macro Swift cannot import.
static inline size_t shim_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
