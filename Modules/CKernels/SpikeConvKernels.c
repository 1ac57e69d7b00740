#include "SpikeConvKernels.h"

#include <string.h>

// One portable body per kernel, inlined into a function per instruction set so the compiler
// vectorises the loops over outputs for that set's width. Two vectors' or one vector's worth
// of outputs (a tile) are summed in registers: an output pixel's value (forward) or a tap's
// gradient (weight gradient); a wider layer runs the entry loop once per tile, and outputs left
// over past the last tile run in a loop of their own width.

/// Row and column of each pixel index of plane entries first ..< end, so the taps' loops divide
/// once per entry instead of once per entry and tap.
static inline void split_pixels(const int32_t *pixel, ptrdiff_t count, ptrdiff_t w, int32_t *row, int32_t *column) {
    for (ptrdiff_t e = 0; e < count; e++) {
        row[e] = pixel[e] / (int32_t)w;
        column[e] = pixel[e] - row[e] * (int32_t)w;
    }
}

/// The output pixel that input (ty, tx) (offset by the tap and the padding) reaches at this
/// stride, or −1 when the tap falls between strides or outside the output. Non-negative values
/// are divided as 32-bit unsigned numbers, several times faster than 64-bit signed division.
static inline ptrdiff_t output_pixel(ptrdiff_t ty, ptrdiff_t tx, ptrdiff_t sh, ptrdiff_t sw, ptrdiff_t ho,
                                     ptrdiff_t wo) {
    if (ty < 0 || tx < 0) return -1;
    if (sh != 1) {
        if ((uint32_t)ty % (uint32_t)sh) return -1;
        ty = (uint32_t)ty / (uint32_t)sh;
    }
    if (sw != 1) {
        if ((uint32_t)tx % (uint32_t)sw) return -1;
        tx = (uint32_t)tx / (uint32_t)sw;
    }
    if (ty >= ho || tx >= wo) return -1;
    return ty * wo + tx;
}

/// dst [columns, rows] = src [rows, columns]ᵀ, in blocks of 16 rows: each destination line is
/// written whole while the block's source lines stay in cache. (A plain double loop strides one
/// side by a whole plane, 4 KB for 32 × 32 pixels, so every access lands in the same cache set.)
static inline void transpose(const float *restrict src, ptrdiff_t rows, ptrdiff_t columns, float *restrict dst) {
    for (ptrdiff_t r0 = 0; r0 < rows; r0 += 16) {
        const ptrdiff_t r1 = r0 + 16 < rows ? r0 + 16 : rows;
        for (ptrdiff_t c = 0; c < columns; c++)
            for (ptrdiff_t r = r0; r < r1; r++) dst[c * rows + r] = src[r * columns + c];
    }
}

// The taps (i, j) of plane c whose entries row[], column[] (count of them, values v) reach
// output pixel p through offsets (offY, offX); BODY runs for each such (entry, p).
#define FOR_EACH_TAP_OF_PLANE(BODY)                                                              \
    for (ptrdiff_t i = 0; i < g.kernelH; i++) {                                                  \
        for (ptrdiff_t j = 0; j < g.kernelW; j++) {                                              \
            const ptrdiff_t tap = (c * g.kernelH + i) * g.kernelW + j;                           \
            const ptrdiff_t offY = g.padH - i * g.dilationH, offX = g.padW - j * g.dilationW;    \
            BODY                                                                                 \
        }                                                                                        \
    }

#define OUTPUT_SIZE                                                                              \
    const ptrdiff_t ho = (h + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH + 1;   \
    const ptrdiff_t wo = (w + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW + 1;   \
    int32_t *row = coordinates, *column = coordinates + h * w;

// For each entry e of the plane whose tap reaches an output pixel p: BODY.
#define FOR_EACH_REACHED_PIXEL(BODY)                                                             \
    for (ptrdiff_t e = 0; e < count; e++) {                                                      \
        const ptrdiff_t p = output_pixel(row[e] + offY, column[e] + offX, g.strideH, g.strideW, ho, wo); \
        if (p < 0) continue;                                                                     \
        BODY                                                                                     \
    }

// Outputs o ..< o + TILE of one tap's gradient: summed in registers over the reached pixels'
// output gradients, then added to the tap's row once.
#define WEIGHT_GRADIENT_TILE(TILE)                                                               \
    for (; o + (TILE) <= outputs; o += (TILE)) {                                                 \
        float acc[TILE];                                                                         \
        for (int k = 0; k < (TILE); k++) acc[k] = 0.0f;                                          \
        FOR_EACH_REACHED_PIXEL(const float *gr = scratch + p * outputs + o;                      \
                               for (int k = 0; k < (TILE); k++) acc[k] += v[e] * gr[k];)         \
        for (int k = 0; k < (TILE); k++) target[o + k] += acc[k];                                \
    }

#define WEIGHT_GRADIENT_BODY(TILE)                                                               \
    OUTPUT_SIZE                                                                                  \
    transpose(dy, outputs, ho * wo, scratch);                                                    \
    for (ptrdiff_t c = 0; c < channels; c++) {                                                   \
        const ptrdiff_t first = start[c], count = start[c + 1] - first;                          \
        if (count == 0) continue;                                                                \
        const float *v = value + first;                                                          \
        split_pixels(pixel + first, count, w, row, column);                                      \
        FOR_EACH_TAP_OF_PLANE(                                                                   \
            float *target = dwT + tap * outputs;                                                 \
            ptrdiff_t o = 0;                                                                     \
            WEIGHT_GRADIENT_TILE(2 * (TILE))                                                     \
            WEIGHT_GRADIENT_TILE(TILE)                                                           \
            if (o < outputs) {                                                                   \
                FOR_EACH_REACHED_PIXEL(const float *gr = scratch + p * outputs;                  \
                                       for (ptrdiff_t k = o; k < outputs; k++) target[k] += v[e] * gr[k];) \
            })                                                                                   \
    }

// The weight gradient's common case, a 3 × 3 kernel at stride 1 without dilation: the nine
// taps' gradient sums of a plane's TILE outputs stay in registers while the plane's entries
// stream past, and an entry away from the border (all nine output pixels inside) reads the
// output gradient at fixed offsets from its own pixel, with no bounds tests.
#define IS_3X3_STRIDE_1(g)                                                                       \
    ((g).kernelH == 3 && (g).kernelW == 3 && (g).strideH == 1 && (g).strideW == 1 &&             \
     (g).dilationH == 1 && (g).dilationW == 1)

// For each entry e and each tap t = 3i + j reaching output pixel (r + padH − i, col + padW − j):
// BODY(t, offset of that pixel's line of `outputs` values from `base`).
#define FOR_EACH_ENTRY_3X3(BODY)                                                                 \
    for (ptrdiff_t e = 0; e < count; e++) {                                                      \
        const ptrdiff_t y0 = row[e] + g.padH, x0 = column[e] + g.padW;                           \
        const ptrdiff_t base = (y0 * wo + x0) * outputs + o;                                     \
        const float ve = v[e];                                                                   \
        if (y0 >= 2 && y0 < ho && x0 >= 2 && x0 < wo) {                                          \
            for (int i = 0; i < 3; i++)                                                          \
                for (int j = 0; j < 3; j++) {                                                    \
                    const int t = 3 * i + j;                                                     \
                    const ptrdiff_t line = base - (i * wo + j) * outputs;                        \
                    BODY                                                                         \
                }                                                                                \
        } else {                                                                                 \
            for (int i = 0; i < 3; i++)                                                          \
                for (int j = 0; j < 3; j++) {                                                    \
                    if (y0 - i < 0 || y0 - i >= ho || x0 - j < 0 || x0 - j >= wo) continue;      \
                    const int t = 3 * i + j;                                                     \
                    const ptrdiff_t line = base - (i * wo + j) * outputs;                        \
                    BODY                                                                         \
                }                                                                                \
        }                                                                                        \
    }

#define WEIGHT_GRADIENT_3X3_TILE(TILE)                                                           \
    for (; o + (TILE) <= outputs; o += (TILE)) {                                                 \
        float acc[9][TILE];                                                                      \
        for (int t = 0; t < 9; t++)                                                              \
            for (int k = 0; k < (TILE); k++) acc[t][k] = 0.0f;                                   \
        FOR_EACH_ENTRY_3X3(for (int k = 0; k < (TILE); k++) acc[t][k] += ve * scratch[line + k];) \
        for (int t = 0; t < 9; t++)                                                              \
            for (int k = 0; k < (TILE); k++) dwT[(c * 9 + t) * outputs + o + k] += acc[t][k];    \
    }

// One plane c of the 3 × 3 case: the register tiles, then outputs past the last tile one at a time.
#define PLANE_3X3(TILE, TILE_MACRO, SCALAR_BODY)                                                 \
    ptrdiff_t o = 0;                                                                             \
    TILE_MACRO(2 * (TILE))                                                                       \
    TILE_MACRO(TILE)                                                                             \
    for (; o < outputs; o++) {                                                                   \
        FOR_EACH_ENTRY_3X3(SCALAR_BODY)                                                          \
    }

#define WEIGHT_GRADIENT_3X3_BODY(TILE)                                                           \
    OUTPUT_SIZE                                                                                  \
    transpose(dy, outputs, ho * wo, scratch);                                                    \
    for (ptrdiff_t c = 0; c < channels; c++) {                                                   \
        const ptrdiff_t first = start[c], count = start[c + 1] - first;                          \
        if (count == 0) continue;                                                                \
        const float *v = value + first;                                                          \
        split_pixels(pixel + first, count, w, row, column);                                      \
        PLANE_3X3(TILE, WEIGHT_GRADIENT_3X3_TILE, dwT[(c * 9 + t) * outputs + o] += ve * scratch[line];) \
    }

// The forward as a gather: the image's entries re-sorted by pixel (a counting sort, linear in
// entries and pixels), then each output pixel sums, in registers, the weight vectors of the
// non-zero inputs under its window, and is written once. (Scattering each input into its nine
// outputs instead reads and writes every output line nine times per input, and a 32 × 32 × 16
// output is larger than the L1 cache.) Three partial sums, one per kernel row, keep three
// independent chains of additions in flight.
static inline void sort_by_pixel(ptrdiff_t channels, ptrdiff_t pixels, const ptrdiff_t *start, const int32_t *pixel,
                                 const float *value, int32_t *pixelStart, int32_t *entryChannel, float *entryValue) {
    memset(pixelStart, 0, (size_t)(pixels + 1) * sizeof(int32_t));
    const ptrdiff_t first = start[0], end = start[channels];
    for (ptrdiff_t e = first; e < end; e++) pixelStart[pixel[e] + 1]++;
    for (ptrdiff_t q = 0; q < pixels; q++) pixelStart[q + 1] += pixelStart[q];
    for (ptrdiff_t c = 0; c < channels; c++)
        for (ptrdiff_t e = start[c]; e < start[c + 1]; e++) {
            const int32_t slot = pixelStart[pixel[e]]++;
            entryChannel[slot] = (int32_t)c;
            entryValue[slot] = value[e];
        }
    // The fill advanced each start to the next pixel's: shift back.
    for (ptrdiff_t q = pixels; q > 0; q--) pixelStart[q] = pixelStart[q - 1];
    pixelStart[0] = 0;
}

#define GATHER_TILE(TILE)                                                                        \
    for (; o + (TILE) <= outputs; o += (TILE)) {                                                 \
        float acc[3][TILE];                                                                      \
        for (int r = 0; r < 3; r++)                                                              \
            for (int k = 0; k < (TILE); k++) acc[r][k] = 0.0f;                                   \
        for (ptrdiff_t i = 0; i < g.kernelH; i++) {                                              \
            const ptrdiff_t iy = oy * g.strideH - g.padH + i * g.dilationH;                       \
            if (iy < 0 || iy >= h) continue;                                                     \
            float *a = acc[i % 3];                                                               \
            for (ptrdiff_t j = 0; j < g.kernelW; j++) {                                          \
                const ptrdiff_t ix = ox * g.strideW - g.padW + j * g.dilationW;                   \
                if (ix < 0 || ix >= w) continue;                                                 \
                const ptrdiff_t q = iy * w + ix;                                                 \
                for (int32_t e = pixelStart[q]; e < pixelStart[q + 1]; e++) {                    \
                    const float *wr = weightT + ((entryChannel[e] * g.kernelH + i) * g.kernelW + j) * outputs + o; \
                    const float v = entryValue[e];                                               \
                    for (int k = 0; k < (TILE); k++) a[k] += v * wr[k];                          \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
        for (int k = 0; k < (TILE); k++) out[o + k] = (acc[0][k] + acc[1][k]) + acc[2][k];       \
    }

#define GATHER_FORWARD_BODY(TILE)                                                                \
    const ptrdiff_t ho = (h + 2 * g.padH - g.dilationH * (g.kernelH - 1) - 1) / g.strideH + 1;   \
    const ptrdiff_t wo = (w + 2 * g.padW - g.dilationW * (g.kernelW - 1) - 1) / g.strideW + 1;   \
    int32_t *pixelStart = byPixel, *entryChannel = byPixel + h * w + 1;                          \
    float *entryValue = (float *)(entryChannel + channels * h * w);                              \
    sort_by_pixel(channels, h * w, start, pixel, value, pixelStart, entryChannel, entryValue);   \
    for (ptrdiff_t oy = 0; oy < ho; oy++)                                                           \
        for (ptrdiff_t ox = 0; ox < wo; ox++) {                                                     \
            float *out = scratch + (oy * wo + ox) * outputs;                                       \
            ptrdiff_t o = 0;                                                                     \
            GATHER_TILE(2 * (TILE))                                                              \
            GATHER_TILE(TILE)                                                                    \
            GATHER_TILE(1)                                                                       \
        }                                                                                        \
    transpose(scratch, ho * wo, outputs, y);

#define FORWARD_PARAMETERS                                                                       \
    ConvGeometry g, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, const ptrdiff_t *start,        \
        const int32_t *pixel, const float *value, const float *restrict weightT, ptrdiff_t outputs, \
        float *restrict scratch, int32_t *restrict byPixel, float *restrict y
#define WEIGHT_GRADIENT_PARAMETERS                                                               \
    ConvGeometry g, ptrdiff_t channels, ptrdiff_t h, ptrdiff_t w, const ptrdiff_t *start,        \
        const int32_t *pixel, const float *value, const float *restrict dy, ptrdiff_t outputs,   \
        float *restrict scratch, int32_t *restrict coordinates, float *restrict dwT
#define FORWARD_ARGUMENTS g, channels, h, w, start, pixel, value, weightT, outputs, scratch, byPixel, y
#define WEIGHT_GRADIENT_ARGUMENTS g, channels, h, w, start, pixel, value, dy, outputs, scratch, coordinates, dwT

static void forward_baseline(FORWARD_PARAMETERS) { GATHER_FORWARD_BODY(4) }
static void weight_gradient_baseline(WEIGHT_GRADIENT_PARAMETERS) {
    if (IS_3X3_STRIDE_1(g)) {
        WEIGHT_GRADIENT_3X3_BODY(4)
    } else {
        WEIGHT_GRADIENT_BODY(4)
    }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void forward_avx2(FORWARD_PARAMETERS) { GATHER_FORWARD_BODY(8) }
__attribute__((target("avx2,fma"))) static void weight_gradient_avx2(WEIGHT_GRADIENT_PARAMETERS) {
    if (IS_3X3_STRIDE_1(g)) {
        WEIGHT_GRADIENT_3X3_BODY(8)
    } else {
        WEIGHT_GRADIENT_BODY(8)
    }
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void forward_avx512(FORWARD_PARAMETERS) {
    GATHER_FORWARD_BODY(16)
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void weight_gradient_avx512(WEIGHT_GRADIENT_PARAMETERS) {
    if (IS_3X3_STRIDE_1(g)) {
        WEIGHT_GRADIENT_3X3_BODY(16)
    } else {
        WEIGHT_GRADIENT_BODY(16)
    }
}
#endif

void spike_conv_forward_f32(KernelLevel level, FORWARD_PARAMETERS) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: forward_avx512(FORWARD_ARGUMENTS); return;
    case KernelLevelAVX2: forward_avx2(FORWARD_ARGUMENTS); return;
#endif
    default: forward_baseline(FORWARD_ARGUMENTS); return;
    }
}

void spike_conv_weight_gradient_f32(KernelLevel level, WEIGHT_GRADIENT_PARAMETERS) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: weight_gradient_avx512(WEIGHT_GRADIENT_ARGUMENTS); return;
    case KernelLevelAVX2: weight_gradient_avx2(WEIGHT_GRADIENT_ARGUMENTS); return;
#endif
    default: weight_gradient_baseline(WEIGHT_GRADIENT_ARGUMENTS); return;
    }
}
