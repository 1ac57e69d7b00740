// Batch normalisation's per-channel passes for Float32, compiled for AVX2 and AVX-512 next to
// the baseline build and chosen at run time (see KernelLevel.h). Each
// pass is a sum or an affine map over the `inner` contiguous values of every (outer, channel)
// row: bandwidth and add-latency bound, so the wider vectors and sixteen independent partial
// sums per row pay directly.
//
// Tensors are seen as [outer, channels, inner]; each function handles channels
// channelBegin ..< channelEnd, so cores can take disjoint channel ranges.
#ifndef NORM_KERNELS_H
#define NORM_KERNELS_H

#include <stddef.h>

#include "KernelLevel.h"

/// mean[c] and the biased variance[c] of x over outer and inner, in two passes (mean first,
/// then squared deviations, so that a large mean does not cancel the variance); row sums are
/// added up in double.
void norm_channel_moments_f32(KernelLevel level, const float *x, ptrdiff_t outer, ptrdiff_t channels,
                               ptrdiff_t inner, ptrdiff_t channelBegin, ptrdiff_t channelEnd, float *mean,
                               float *variance);

/// The reverse pass of batch normalisation with batch statistics. With x̂ = (x − mean)·invStd
/// and y = x̂·weight + bias over N = outer·inner values per channel: dBias = Σ g,
/// dWeight = Σ g·x̂ and, when dx is not NULL, dx = weight·invStd·(g − dBias/N − x̂·dWeight/N).
void norm_batchnorm_backward_f32(KernelLevel level, const float *g, const float *x, ptrdiff_t outer,
                                  ptrdiff_t channels, ptrdiff_t inner, ptrdiff_t channelBegin, ptrdiff_t channelEnd,
                                  const float *mean, const float *invStd, const float *weight, float *dx,
                                  float *dWeight, float *dBias);

#endif
