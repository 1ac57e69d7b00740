// Spike-driven convolution kernels for Float32, compiled for AVX2 and AVX-512 next to the
// baseline build and chosen at run time (see KernelLevel.h). After the first layer of a spiking
// network every convolution reads spikes, mostly zeros; these kernels visit only the non-zero
// inputs, so their cost follows the number of spikes instead of the size of the input.
//
// One image's input x [channels, h, w] is given compressed plane by plane, as spike_rows_compress_f32
// writes it for rows of h·w pixels: plane c owns entries start[c] ..< start[c + 1], entry e being
// `value[e]` at pixel `pixel[e]` = row·w + column. Weights and gradients are taken output-minor
// ([channels·kh·kw, outputs], so the weights of one input tap are one contiguous vector) and
// outputs pixel-major ([ho·wo, outputs]) inside the kernels, transposed at their edges.
#ifndef SPIKE_CONV_KERNELS_H
#define SPIKE_CONV_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "ConvKernels.h"
#include "KernelLevel.h"

/// y [outputs, ho, wo] = the convolution of one compressed image with weightT [channels·kh·kw,
/// outputs] (row (c·kh + i)·kw + j holds w[·, c, i, j]): the entries are sorted by pixel, then
/// each output pixel sums value · tap weight vector over the non-zero inputs under its window
/// (kernel rows in three partial sums; within one, taps left to right, channels in order). Every
/// element of y is written. `scratch` holds ho·wo·outputs floats (the pixel-major sums) and
/// `byPixel` h·w + 1 + 2·channels·h·w int32 (the entries sorted by pixel).
void spike_conv_forward_f32(KernelLevel level, ConvGeometry g, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                            const ptrdiff_t *start, const int32_t *pixel, const float *value, const float *weightT,
                            ptrdiff_t outputs, float *scratch, int32_t *byPixel, float *y);

/// Adds the weight gradient of spike_conv_forward_f32 for one image into dwT [channels·kh·kw,
/// outputs]: row (c·kh + i)·kw + j gains Σ over the non-zero inputs of plane c of value ·
/// dy[·, output pixel reached through tap (i, j)], summed in registers. dy is [outputs, ho, wo];
/// `scratch` holds ho·wo·outputs floats (dy pixel-major) and `coordinates` 2·h·w int32.
void spike_conv_weight_gradient_f32(KernelLevel level, ConvGeometry g, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                                    const ptrdiff_t *start, const int32_t *pixel, const float *value,
                                    const float *dy, ptrdiff_t outputs, float *scratch, int32_t *coordinates,
                                    float *dwT);

#endif
