// Cairo (https://cairographics.org), found through pkg-config (`cairo`): one drawing API onto image,
// SVG and PDF surfaces, so a figure is drawn once and written in all three formats.
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
