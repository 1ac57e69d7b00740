#include "ConvKernels.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One body per kernel over lines of the column matrix, inlined into a function per instruction
// set with that set's line copy and line add. A line is the `count` outputs xo of one (channel,
// kernel row, kernel column, output row): input column xo·stride of `src` (already offset by
// the kernel column and the padding) for xo in lo ..< hi, zero elsewhere.

/// The output columns xo whose input column xo·stride + offset lies in 0 ..< width: [*lo, *hi).
static inline void valid_columns(ptrdiff_t offset, ptrdiff_t stride, ptrdiff_t width, ptrdiff_t outputs,
                                 ptrdiff_t *lo, ptrdiff_t *hi) {
    ptrdiff_t lower = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    ptrdiff_t upper = width - 1 - offset < 0 ? 0 : (width - 1 - offset) / stride + 1;
    if (lower > outputs) lower = outputs;
    if (upper > outputs) upper = outputs;
    if (upper < lower) upper = lower;
    *lo = lower;
    *hi = upper;
}

/// dst[xo] = src[xo·stride] on lo ..< hi, 0 on the rest of 0 ..< count. Three plain loops the
/// compiler vectorises for the target it is inlined into.
static inline void line_copy_portable(float *restrict dst, const float *restrict src, ptrdiff_t lo, ptrdiff_t hi,
                                      ptrdiff_t count, ptrdiff_t stride) {
    for (ptrdiff_t xo = 0; xo < lo; xo++) dst[xo] = 0.0f;
    if (stride == 1) {
        for (ptrdiff_t xo = lo; xo < hi; xo++) dst[xo] = src[xo];
    } else {
        for (ptrdiff_t xo = lo; xo < hi; xo++) dst[xo] = src[xo * stride];
    }
    for (ptrdiff_t xo = hi; xo < count; xo++) dst[xo] = 0.0f;
}

/// dst[xo·stride] += src[xo] on lo ..< hi.
static inline void line_add_portable(float *restrict dst, const float *restrict src, ptrdiff_t lo, ptrdiff_t hi,
                                     ptrdiff_t stride) {
    if (stride == 1) {
        for (ptrdiff_t xo = lo; xo < hi; xo++) dst[xo] += src[xo];
    } else {
        for (ptrdiff_t xo = lo; xo < hi; xo++) dst[xo * stride] += src[xo];
    }
}

#define IM2COL_BODY(LINE_COPY)                                                                   \
    const ptrdiff_t ho = (h + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH + 1;   \
    const ptrdiff_t wo = (w + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW + 1;   \
    for (ptrdiff_t c = 0; c < channels; c++)                                                     \
        for (ptrdiff_t i = 0; i < g.kernelH; i++)                                                \
            for (ptrdiff_t j = 0; j < g.kernelW; j++) {                                          \
                float *row = cols + ((c * g.kernelH + i) * g.kernelW + j) * ho * wo;             \
                const ptrdiff_t offset = j * g.dilationW - g.padW;                               \
                ptrdiff_t lo, hi;                                                                \
                valid_columns(offset, g.strideW, w, wo, &lo, &hi);                               \
                for (ptrdiff_t y = 0; y < ho; y++) {                                             \
                    const ptrdiff_t iy = y * g.strideH - g.padH + i * g.dilationH;               \
                    if (iy < 0 || iy >= h) {                                                     \
                        LINE_COPY(row + y * wo, x, 0, 0, wo, g.strideW);                         \
                    } else {                                                                     \
                        LINE_COPY(row + y * wo, x + (c * h + iy) * w + offset, lo, hi, wo, g.strideW); \
                    }                                                                            \
                }                                                                                \
            }

#define COL2IM_BODY(LINE_ADD)                                                                    \
    const ptrdiff_t ho = (h + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH + 1;   \
    const ptrdiff_t wo = (w + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW + 1;   \
    for (ptrdiff_t c = 0; c < channels; c++)                                                     \
        for (ptrdiff_t i = 0; i < g.kernelH; i++)                                                \
            for (ptrdiff_t j = 0; j < g.kernelW; j++) {                                          \
                const float *row = cols + ((c * g.kernelH + i) * g.kernelW + j) * ho * wo;       \
                const ptrdiff_t offset = j * g.dilationW - g.padW;                               \
                ptrdiff_t lo, hi;                                                                \
                valid_columns(offset, g.strideW, w, wo, &lo, &hi);                               \
                for (ptrdiff_t y = 0; y < ho; y++) {                                             \
                    const ptrdiff_t iy = y * g.strideH - g.padH + i * g.dilationH;               \
                    if (iy < 0 || iy >= h) continue;                                             \
                    LINE_ADD(x + (c * h + iy) * w + offset, row + y * wo, lo, hi, g.strideW);    \
                }                                                                                \
            }

#define IM2COL_PARAMETERS                                                                        \
    const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ConvGeometry g, float *cols
#define COL2IM_PARAMETERS                                                                        \
    const float *cols, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ConvGeometry g, float *x

static void im2col_baseline(IM2COL_PARAMETERS) { IM2COL_BODY(line_copy_portable) }
static void col2im_baseline(COL2IM_PARAMETERS) { COL2IM_BODY(line_add_portable) }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void im2col_avx2(IM2COL_PARAMETERS) { IM2COL_BODY(line_copy_portable) }
__attribute__((target("avx2,fma"))) static void col2im_avx2(COL2IM_PARAMETERS) { COL2IM_BODY(line_add_portable) }

/// The lanes l of a 16-float vector with from ≤ l < to.
__attribute__((target("avx512f"))) static inline __mmask16 lanes(ptrdiff_t from, ptrdiff_t to) {
    if (from < 0) from = 0;
    if (to > 16) to = 16;
    if (to <= from) return 0;
    return (__mmask16)(((1u << (to - from)) - 1u) << from);
}

/// A line in 16-float steps: the masked loads read only the valid input columns (lanes outside
/// them are zero and never touch memory), the masked store writes the line. At stride 2 the 32
/// input columns of 16 outputs are two vectors, of which a permute keeps the even lanes.
__attribute__((target("avx512f"))) static inline void line_copy_avx512(float *dst, const float *src, ptrdiff_t lo,
                                                                       ptrdiff_t hi, ptrdiff_t count,
                                                                       ptrdiff_t stride) {
    if (stride == 1) {
        for (ptrdiff_t xo = 0; xo < count; xo += 16)
            _mm512_mask_storeu_ps(dst + xo, lanes(0, count - xo),
                                  _mm512_maskz_loadu_ps(lanes(lo - xo, hi - xo), src + xo));
    } else if (stride == 2) {
        const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        for (ptrdiff_t xo = 0; xo < count; xo += 16) {
            // Input lane k of the pair is column 2·xo + k: valid from 2·lo up to 2·(hi − 1).
            const ptrdiff_t from = 2 * (lo - xo), to = 2 * (hi - xo) - 1;
            const __m512 first = _mm512_maskz_loadu_ps(lanes(from, to), src + 2 * xo);
            const __m512 second = _mm512_maskz_loadu_ps(lanes(from - 16, to - 16), src + 2 * xo + 16);
            _mm512_mask_storeu_ps(dst + xo, lanes(0, count - xo), _mm512_permutex2var_ps(first, even, second));
        }
    } else {
        line_copy_portable(dst, src, lo, hi, count, stride);
    }
}

__attribute__((target("avx512f"))) static inline void line_add_avx512(float *dst, const float *src, ptrdiff_t lo,
                                                                      ptrdiff_t hi, ptrdiff_t stride) {
    if (stride != 1) {
        line_add_portable(dst, src, lo, hi, stride);
        return;
    }
    for (ptrdiff_t xo = lo; xo < hi; xo += 16) {
        const __mmask16 m = lanes(0, hi - xo);
        const __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + xo), _mm512_maskz_loadu_ps(m, src + xo));
        _mm512_mask_storeu_ps(dst + xo, m, sum);
    }
}

__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void im2col_avx512(IM2COL_PARAMETERS) {
    IM2COL_BODY(line_copy_avx512)
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void col2im_avx512(COL2IM_PARAMETERS) {
    COL2IM_BODY(line_add_avx512)
}
#endif

/// A tile is TILE_VECTORS output vectors for OUTPUT_BLOCK output channels: 24 accumulators. For
/// each input channel and tap the tile loads its input vectors once and adds them, scaled by a
/// broadcast weight, into every output channel's accumulators: 4 masks, 4 inputs and 6 weights
/// loaded per 24 multiply-adds, so the two FMA ports rather than the load ports set the pace.
/// Four vectors per tile leave no empty slot on 8 × 8, 16 × 16 and 32 × 32 planes.
#define OUTPUT_BLOCK 6
#define TILE_VECTORS 4

#if defined(__x86_64__)
/// The direct 3 × 3 convolution (stride 1) works on output vectors of 16 pixels. Where the output
/// rows are as wide as the input rows (padding 1 across), a tap is the same shift of the flat
/// plane for every pixel, so a vector is 16 consecutive pixels of the plane and a narrow plane
/// fills every lane (an 8 × 8 plane is 4 full vectors, not 8 half-empty rows). Otherwise a
/// vector is a 16-column chunk of one output row. Either way lane l of a tap reads input
/// address `input + i·w + j + l` at tap (i, j), and masks zero the lanes that fall into the padding.
typedef struct {
    ptrdiff_t output;     ///< The plane offset of lane 0.
    ptrdiff_t input;      ///< The input plane offset lane 0 reads at tap (0, 0); tap (i, j) is i·w + j on.
    __mmask16 load[9];    ///< Per tap: the lanes whose input lies inside the image.
    __mmask16 store;      ///< The lanes that are output pixels.
} VectorPlacement;

/// The output vectors of a plane (see VectorPlacement).
static inline ptrdiff_t conv3x3_vector_count(ptrdiff_t ho, ptrdiff_t wo, ptrdiff_t w) {
    return wo == w ? (ho * wo + 15) / 16 : ho * ((wo + 15) / 16);
}

/// Where output vector v reads and writes. The vector's lanes are walked in row segments (one
/// for a chunk of a wide row, up to three for 16 pixels of 8-pixel rows), so that its masks are a
/// few shifts rather than a test per lane and tap: this runs once per vector and call, which for
/// layers with few channels is not negligible beside the multiply-adds.
__attribute__((target("avx512f"))) static void conv3x3_place(ptrdiff_t v, ptrdiff_t h, ptrdiff_t w, ptrdiff_t padH,
                                                             ptrdiff_t padW, ptrdiff_t ho, ptrdiff_t wo,
                                                             VectorPlacement *p) {
    const int flat = wo == w;
    const ptrdiff_t chunks = (wo + 15) / 16;
    const ptrdiff_t first = flat ? 16 * v : v / chunks * wo + v % chunks * 16;
    const ptrdiff_t last = flat ? ho * wo : first - first % wo + wo;  // One past the vector's last pixel.
    const ptrdiff_t row0 = first / wo, column0 = first % wo;
    __mmask16 rows[3] = {0, 0, 0}, columns[3] = {0, 0, 0};
    ptrdiff_t row = row0, column = column0;
    p->output = first;
    p->store = 0;
    for (ptrdiff_t lane = 0; lane < 16 && first + lane < last; row++, column = 0) {
        // Lanes lane ..< lane + count are the pixels column ..< column + count of this row.
        ptrdiff_t count = wo - column < 16 - lane ? wo - column : 16 - lane;
        if (first + lane + count > last) count = last - first - lane;
        const __mmask16 segment = lanes(lane, lane + count);
        p->store |= segment;
        for (ptrdiff_t k = 0; k < 3; k++) {
            if (row + k - padH >= 0 && row + k - padH < h) rows[k] |= segment;
            // The segment's lanes whose input column column + offset + k − padW lies in 0 ..< w.
            columns[k] |= lanes(lane + padW - k - column, lane + w + padW - k - column) & segment;
        }
        lane += count;
    }
    p->input = (row0 - padH) * w + column0 - padW;
    for (int t = 0; t < 9; t++) p->load[t] = rows[t / 3] & columns[t % 3];
}

/// One tile: the output channels of one weight block (`block` of them are real); a placement
/// past the plane's last vector has empty masks.
__attribute__((target("avx512f"))) static inline void conv3x3_tile(const float *x, ptrdiff_t channels,
                                                                   ptrdiff_t h, ptrdiff_t w, const float *weights,
                                                                   ptrdiff_t block, ptrdiff_t plane,
                                                                   const VectorPlacement *placement, float *y) {
    __m512 acc[OUTPUT_BLOCK][TILE_VECTORS];
    for (int o = 0; o < OUTPUT_BLOCK; o++)
        for (int v = 0; v < TILE_VECTORS; v++) acc[o][v] = _mm512_setzero_ps();
    for (ptrdiff_t c = 0; c < channels; c++) {
        const float *image = x + c * h * w;
        for (int i = 0; i < 3; i++) {
            const float *rows[TILE_VECTORS];
            for (int v = 0; v < TILE_VECTORS; v++) rows[v] = image + placement[v].input + i * w;
            for (int j = 0; j < 3; j++) {
                const int t = i * 3 + j;
                const float *tap = weights + (c * 9 + t) * OUTPUT_BLOCK;
                __m512 in[TILE_VECTORS];
                for (int v = 0; v < TILE_VECTORS; v++) in[v] = _mm512_maskz_loadu_ps(placement[v].load[t], rows[v] + j);
                for (int o = 0; o < OUTPUT_BLOCK; o++) {
                    const __m512 k = _mm512_set1_ps(tap[o]);
                    for (int v = 0; v < TILE_VECTORS; v++) acc[o][v] = _mm512_fmadd_ps(k, in[v], acc[o][v]);
                }
            }
        }
    }
    for (int o = 0; o < OUTPUT_BLOCK && o < block; o++)
        for (int v = 0; v < TILE_VECTORS; v++)
            _mm512_mask_storeu_ps(y + o * plane + placement[v].output, placement[v].store, acc[o][v]);
}

__attribute__((target("avx512f"))) static void conv3x3_avx512(const float *x, ptrdiff_t channels, ptrdiff_t h,
                                                              ptrdiff_t w, ptrdiff_t padH, ptrdiff_t padW,
                                                              const float *blocked, ptrdiff_t outputs, float *y) {
    const ptrdiff_t ho = h + 2 * padH - 2, wo = w + 2 * padW - 2, plane = ho * wo;
    const ptrdiff_t vectors = conv3x3_vector_count(ho, wo, w);
    for (ptrdiff_t first = 0; first < vectors; first += TILE_VECTORS) {
        VectorPlacement placement[TILE_VECTORS] = {0};
        for (ptrdiff_t v = 0; v < TILE_VECTORS && first + v < vectors; v++)
            conv3x3_place(first + v, h, w, padH, padW, ho, wo, &placement[v]);
        for (ptrdiff_t o = 0; o < outputs; o += OUTPUT_BLOCK) {
            const ptrdiff_t block = outputs - o < OUTPUT_BLOCK ? outputs - o : OUTPUT_BLOCK;
            conv3x3_tile(x, channels, h, w, blocked + o * channels * 9, block, plane, placement, y + o * plane);
        }
    }
}

/// The weight gradient of the direct 3 × 3 convolution, for GRADIENT_BLOCK output channels and
/// one input channel at a time: over every output vector, the output gradient's vectors are
/// loaded once and multiplied with the nine shifted input vectors into 9·GRADIENT_BLOCK
/// accumulators, which are summed across lanes once after all the images. (Summed after each
/// image instead, the 18 lane reductions cost more than the multiply-adds on 8 × 8 planes.)
#define GRADIENT_BLOCK 2

__attribute__((target("avx512f"))) static void conv3x3_weight_gradient_avx512(
    const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, ptrdiff_t padH, ptrdiff_t padW, const float *dy,
    ptrdiff_t outputs, ptrdiff_t images, float *dw) {
    const ptrdiff_t ho = h + 2 * padH - 2, wo = w + 2 * padW - 2, plane = ho * wo;
    const ptrdiff_t vectors = conv3x3_vector_count(ho, wo, w);
    VectorPlacement *placement = malloc((size_t)vectors * sizeof *placement);
    if (!placement) {
        fprintf(stderr, "conv3x3_weight_gradient_f32: out of memory for %td vector placements of a %td × %td plane\n",
                vectors, ho, wo);
        abort();
    }
    for (ptrdiff_t v = 0; v < vectors; v++) conv3x3_place(v, h, w, padH, padW, ho, wo, &placement[v]);
    for (ptrdiff_t o = 0; o < outputs; o += GRADIENT_BLOCK) {
        const int second = o + 1 < outputs;
        for (ptrdiff_t c = 0; c < channels; c++) {
            __m512 acc[GRADIENT_BLOCK][9];
            for (int b = 0; b < GRADIENT_BLOCK; b++)
                for (int t = 0; t < 9; t++) acc[b][t] = _mm512_setzero_ps();
            for (ptrdiff_t n = 0; n < images; n++) {
                const float *image = x + (n * channels + c) * h * w;
                const float *g0Plane = dy + (n * outputs + o) * plane, *g1Plane = g0Plane + second * plane;
                for (ptrdiff_t v = 0; v < vectors; v++) {
                    const VectorPlacement *p = &placement[v];
                    const __m512 g0 = _mm512_maskz_loadu_ps(p->store, g0Plane + p->output);
                    const __m512 g1 = _mm512_maskz_loadu_ps(second ? p->store : 0, g1Plane + p->output);
                    for (int i = 0; i < 3; i++) {
                        const float *row = image + p->input + i * w;
                        for (int j = 0; j < 3; j++) {
                            const __m512 in = _mm512_maskz_loadu_ps(p->load[i * 3 + j], row + j);
                            acc[0][i * 3 + j] = _mm512_fmadd_ps(g0, in, acc[0][i * 3 + j]);
                            acc[1][i * 3 + j] = _mm512_fmadd_ps(g1, in, acc[1][i * 3 + j]);
                        }
                    }
                }
            }
            for (int t = 0; t < 9; t++) {
                dw[(o * channels + c) * 9 + t] += _mm512_reduce_add_ps(acc[0][t]);
                if (second) dw[((o + 1) * channels + c) * 9 + t] += _mm512_reduce_add_ps(acc[1][t]);
            }
        }
    }
    free(placement);
}
#endif

int conv3x3_available(KernelLevel level) { return level == KernelLevelAVX512; }

ptrdiff_t conv3x3_blocked_weight_count(ptrdiff_t channels, ptrdiff_t outputs) {
    return (outputs + OUTPUT_BLOCK - 1) / OUTPUT_BLOCK * OUTPUT_BLOCK * channels * 9;
}

void conv3x3_block_weights_f32(const float *weight, ptrdiff_t channels, ptrdiff_t outputs, float *blocked) {
    memset(blocked, 0, (size_t)conv3x3_blocked_weight_count(channels, outputs) * sizeof *blocked);
    for (ptrdiff_t o = 0; o < outputs; o++)
        for (ptrdiff_t k = 0; k < channels * 9; k++)
            blocked[((o / OUTPUT_BLOCK) * channels * 9 + k) * OUTPUT_BLOCK + o % OUTPUT_BLOCK] =
                weight[o * channels * 9 + k];
}

void conv3x3_f32(KernelLevel level, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                       ptrdiff_t padH, ptrdiff_t padW, const float *blocked, ptrdiff_t outputs, float *y) {
#if defined(__x86_64__)
    if (level == KernelLevelAVX512) conv3x3_avx512(x, channels, h, w, padH, padW, blocked, outputs, y);
#else
    (void)level, (void)x, (void)channels, (void)h, (void)w, (void)padH, (void)padW, (void)blocked, (void)outputs,
        (void)y;
#endif
}

void conv3x3_weight_gradient_f32(KernelLevel level, const float *x, ptrdiff_t channels, ptrdiff_t h,
                                       ptrdiff_t w, ptrdiff_t padH, ptrdiff_t padW, const float *dy, ptrdiff_t outputs,
                                       ptrdiff_t images, float *dw) {
#if defined(__x86_64__)
    if (level == KernelLevelAVX512)
        conv3x3_weight_gradient_avx512(x, channels, h, w, padH, padW, dy, outputs, images, dw);
#else
    (void)level, (void)x, (void)channels, (void)h, (void)w, (void)padH, (void)padW, (void)dy, (void)outputs,
        (void)images, (void)dw;
#endif
}

void conv_im2col_f32(KernelLevel level, const float *x, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                      ConvGeometry g, float *cols) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: im2col_avx512(x, channels, h, w, g, cols); return;
    case KernelLevelAVX2: im2col_avx2(x, channels, h, w, g, cols); return;
#endif
    default: im2col_baseline(x, channels, h, w, g, cols); return;
    }
}

void conv_col2im_f32(KernelLevel level, const float *cols, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w,
                      ConvGeometry g, float *x) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: col2im_avx512(cols, channels, h, w, g, x); return;
    case KernelLevelAVX2: col2im_avx2(cols, channels, h, w, g, x); return;
#endif
    default: col2im_baseline(cols, channels, h, w, g, x); return;
    }
}
