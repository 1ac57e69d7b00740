#include "NormKernels.h"

// One portable body per kernel, inlined into a function per instruction set. Sums keep LANES
// partial sums per row in an array the compiler turns into vector registers (float addition is
// not associative, so a single running sum would not vectorise); row totals go to double.

#define LANES 16

/// Two sums over one row in one pass, each with LANES partial sums (the same lanes in the same
/// order as a pass of its own, so the same bits) while the row is read once.
#define ROW_SUM2(RESULT1, TERM1, RESULT2, TERM2, COUNT)                                          \
    do {                                                                                         \
        float lane1[LANES] = {0}, lane2[LANES] = {0};                                            \
        ptrdiff_t i = 0;                                                                         \
        for (; i + LANES <= (COUNT); i += LANES)                                                 \
            for (int l = 0; l < LANES; l++) {                                                    \
                const ptrdiff_t k = i + l;                                                       \
                lane1[l] += (TERM1);                                                             \
                lane2[l] += (TERM2);                                                             \
            }                                                                                    \
        float total1 = 0.0f, total2 = 0.0f;                                                      \
        for (int l = 0; l < LANES; l++) total1 += lane1[l];                                      \
        for (int l = 0; l < LANES; l++) total2 += lane2[l];                                      \
        for (; i < (COUNT); i++) {                                                               \
            const ptrdiff_t k = i;                                                               \
            total1 += (TERM1);                                                                   \
            total2 += (TERM2);                                                                   \
        }                                                                                        \
        (RESULT1) = total1;                                                                      \
        (RESULT2) = total2;                                                                      \
    } while (0)

/// Σ term(i) over i < count for one row, LANES partial sums wide (ROW_SUM2 with an unused second
/// sum, which the compiler drops).
#define ROW_SUM(RESULT, COUNT, TERM)                                                             \
    do {                                                                                         \
        float unused;                                                                            \
        ROW_SUM2(RESULT, TERM, unused, 0.0f, COUNT);                                             \
        (void)unused;                                                                            \
    } while (0)

#define MOMENTS_BODY                                                                             \
    const double n = (double)(outer * inner);                                                    \
    for (ptrdiff_t c = channelBegin; c < channelEnd; c++) {                                      \
        double total = 0.0;                                                                      \
        for (ptrdiff_t o = 0; o < outer; o++) {                                                  \
            const float *restrict row = x + (o * channels + c) * inner;                          \
            float sum;                                                                           \
            ROW_SUM(sum, inner, row[k]);                                                         \
            total += sum;                                                                        \
        }                                                                                        \
        const float m = (float)(total / n);                                                      \
        double squares = 0.0;                                                                    \
        for (ptrdiff_t o = 0; o < outer; o++) {                                                  \
            const float *restrict row = x + (o * channels + c) * inner;                          \
            float sum;                                                                           \
            ROW_SUM(sum, inner, (row[k] - m) * (row[k] - m));                                    \
            squares += sum;                                                                      \
        }                                                                                        \
        mean[c] = m;                                                                             \
        variance[c] = (float)(squares / n);                                                      \
    }

#define BACKWARD_BODY                                                                            \
    const float n = (float)(outer * inner);                                                      \
    for (ptrdiff_t c = channelBegin; c < channelEnd; c++) {                                      \
        const float m = mean[c], r = invStd[c];                                                  \
        double sumG = 0.0, sumGX = 0.0;                                                          \
        for (ptrdiff_t o = 0; o < outer; o++) {                                                  \
            const ptrdiff_t offset = (o * channels + c) * inner;                                 \
            const float *restrict gr = g + offset, *restrict xr = x + offset;                    \
            float rowG, rowGX;                                                                   \
            ROW_SUM2(rowG, gr[k], rowGX, gr[k] * (xr[k] - m), inner);                            \
            sumG += rowG;                                                                        \
            sumGX += rowGX;                                                                      \
        }                                                                                        \
        const float db = (float)sumG, dw = (float)sumGX * r;                                     \
        dBias[c] = db;                                                                           \
        dWeight[c] = dw;                                                                         \
        if (!dx) continue;                                                                       \
        const float k = weight[c] * r, meanG = db / n, slope = dw * r / n;                       \
        for (ptrdiff_t o = 0; o < outer; o++) {                                                  \
            const ptrdiff_t offset = (o * channels + c) * inner;                                 \
            const float *restrict gr = g + offset, *restrict xr = x + offset;                    \
            float *restrict out = dx + offset;                                                   \
            for (ptrdiff_t i = 0; i < inner; i++) out[i] = k * (gr[i] - meanG - (xr[i] - m) * slope); \
        }                                                                                        \
    }

#define MOMENTS_PARAMETERS                                                                       \
    const float *x, ptrdiff_t outer, ptrdiff_t channels, ptrdiff_t inner, ptrdiff_t channelBegin, \
        ptrdiff_t channelEnd, float *mean, float *variance
#define BACKWARD_PARAMETERS                                                                      \
    const float *g, const float *x, ptrdiff_t outer, ptrdiff_t channels, ptrdiff_t inner,         \
        ptrdiff_t channelBegin, ptrdiff_t channelEnd, const float *mean, const float *invStd,     \
        const float *weight, float *dx, float *dWeight, float *dBias

static void moments_baseline(MOMENTS_PARAMETERS) { MOMENTS_BODY }
static void backward_baseline(BACKWARD_PARAMETERS) { BACKWARD_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void moments_avx2(MOMENTS_PARAMETERS) { MOMENTS_BODY }
__attribute__((target("avx2,fma"))) static void backward_avx2(BACKWARD_PARAMETERS) { BACKWARD_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void moments_avx512(MOMENTS_PARAMETERS) { MOMENTS_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void backward_avx512(BACKWARD_PARAMETERS) {
    BACKWARD_BODY
}
#endif

void norm_channel_moments_f32(KernelLevel level, const float *x, ptrdiff_t outer, ptrdiff_t channels,
                               ptrdiff_t inner, ptrdiff_t channelBegin, ptrdiff_t channelEnd, float *mean,
                               float *variance) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: moments_avx512(x, outer, channels, inner, channelBegin, channelEnd, mean, variance); return;
    case KernelLevelAVX2: moments_avx2(x, outer, channels, inner, channelBegin, channelEnd, mean, variance); return;
#endif
    default: moments_baseline(x, outer, channels, inner, channelBegin, channelEnd, mean, variance); return;
    }
}

void norm_batchnorm_backward_f32(KernelLevel level, const float *g, const float *x, ptrdiff_t outer,
                                  ptrdiff_t channels, ptrdiff_t inner, ptrdiff_t channelBegin, ptrdiff_t channelEnd,
                                  const float *mean, const float *invStd, const float *weight, float *dx,
                                  float *dWeight, float *dBias) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512:
        backward_avx512(g, x, outer, channels, inner, channelBegin, channelEnd, mean, invStd, weight, dx, dWeight, dBias);
        return;
    case KernelLevelAVX2:
        backward_avx2(g, x, outer, channels, inner, channelBegin, channelEnd, mean, invStd, weight, dx, dWeight, dBias);
        return;
#endif
    default:
        backward_baseline(g, x, outer, channels, inner, channelBegin, channelEnd, mean, invStd, weight, dx, dWeight, dBias);
        return;
    }
}
