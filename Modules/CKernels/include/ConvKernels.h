// The convolution's Float32 kernels, compiled for AVX2 and AVX-512 next to the baseline build
// and chosen at run time (see KernelLevel.h):
// - the column kernels (im2col and its adjoint col2im). A 3 × 3 kernel over 32-wide planes
//   copies lines of 30–32 floats, shifted by one and zero at the border: short enough that a
//   memcpy call per line costs more than the copy, and exactly what masked vector loads and
//   stores do in one instruction each;
// - direct 3 × 3 stride-1 kernels (AVX-512 only), which skip the column matrix: it is written
//   once and read twice (GEMM packing, then the product) for as many multiply-adds per element as
//   there are output channels, which in a narrow network is only 16 or 32.
#ifndef CONV_KERNELS_H
#define CONV_KERNELS_H

#include <stddef.h>

#include "KernelLevel.h"

/// A convolution window: kernel, stride, padding and dilation along height and width.
typedef struct {
    ptrdiff_t kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW;
} ConvGeometry;

/// Unfolds one image x [channels, h, w] into cols [channels·kh·kw, ho·wo]:
/// cols[(c·kh + i)·kw + j, y·wo + xo] = x[c, y·sh − ph + i·dh, xo·sw − pw + j·dw], zero outside.
/// Writes every element of cols.
void conv_im2col_f32(KernelLevel level, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                      ConvGeometry g, float *cols);

/// The adjoint of conv_im2col_f32: adds every entry of cols back into the position of x it
/// came from (x is accumulated into, not overwritten).
void conv_col2im_f32(KernelLevel level, const float *cols, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                      ConvGeometry g, float *x);

/// Whether conv3x3_f32 runs at this level (it needs AVX-512's masked loads and 32
/// vector registers; below it a convolution goes through im2col and a GEMM).
int conv3x3_available(KernelLevel level);

/// The length of conv3x3_block_weights_f32's output.
ptrdiff_t conv3x3_blocked_weight_count(ptrdiff_t channels, ptrdiff_t outputs);

/// Regroups weight [outputs, channels, 3, 3] into the layout conv3x3_f32 reads: per block of
/// output channels [block][channel][tap][output in block], zero past the last output channel,
/// so that one tap's weights for a register tile are consecutive. Done once per convolution,
/// not per image.
void conv3x3_block_weights_f32(const float *weight, ptrdiff_t channels, ptrdiff_t outputs, float *blocked);

/// A direct 3 × 3 convolution at stride 1 of one image x [channels, h, w], zero-padded by padH
/// and padW (each at most 2), with weights regrouped by conv3x3_block_weights_f32: writes every
/// element of y [outputs, ho, wo], ho = h + 2·padH − 2, wo = w + 2·padW − 2. No column matrix:
/// each tile of output channels × 16-pixel vectors is accumulated in registers over channels
/// and taps, with masked loads for the padding. Only where conv3x3_available says so.
void conv3x3_f32(KernelLevel level, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                       ptrdiff_t padH, ptrdiff_t padW, const float *blocked, ptrdiff_t outputs, float *y);

/// The weight gradient of conv3x3_f32 over `images` consecutive images x [images, channels, h, w]
/// and their output gradients dy [images, outputs, ho, wo]: adds Σ over images and output pixels
/// of dy[o, pixel]·x[c, tap of pixel] into dw [outputs, channels, 3, 3], with no column matrix.
/// Only where conv3x3_available says so.
void conv3x3_weight_gradient_f32(KernelLevel level, const float *x, ptrdiff_t channels, ptrdiff_t h,
                                       ptrdiff_t w, ptrdiff_t padH, ptrdiff_t padW, const float *dy, ptrdiff_t outputs,
                                       ptrdiff_t images, float *dw);

#endif
