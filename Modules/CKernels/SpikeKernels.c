#include "SpikeKernels.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

// One portable body per kernel, inlined into a function per instruction set: the compiler
// vectorises each copy for its target's vector width. TILE is the number of outputs a row keeps
// in registers while it adds its entries' weight rows: 8 vector registers, 16 of AVX-512's 32.

// Row r of y sums the weight rows of entries FIRST ..< END, entry e being weight row COLUMN(e)
// scaled by VALUE(e): the sparse rows' entries, or every column of a dense row.
#define ROW_PRODUCT_BODY(TILE, FIRST, END, COLUMN, VALUE)                                        \
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {                                              \
        float *out = y + r * n;                                                                  \
        const ptrdiff_t first = (FIRST), end = (END);                                            \
        ptrdiff_t o = 0;                                                                         \
        for (; o + (TILE) <= n; o += (TILE)) {                                                   \
            float acc[TILE];                                                                     \
            for (int i = 0; i < (TILE); i++) acc[i] = 0.0f;                                      \
            for (ptrdiff_t e = first; e < end; e++) {                                            \
                const float *wr = w + (ptrdiff_t)(COLUMN) * n + o;                               \
                const float v = (VALUE);                                                         \
                for (int i = 0; i < (TILE); i++) acc[i] += v * wr[i];                            \
            }                                                                                    \
            for (int i = 0; i < (TILE); i++) out[o + i] = bias ? acc[i] + bias[o + i] : acc[i];  \
        }                                                                                        \
        /* The last n − o < TILE outputs (all of them for a narrow layer): row by row in memory. */ \
        if (o < n) {                                                                             \
            float *restrict rest = out + o;                                                      \
            const ptrdiff_t width = n - o;                                                       \
            for (ptrdiff_t i = 0; i < width; i++) rest[i] = 0.0f;                                \
            for (ptrdiff_t e = first; e < end; e++) {                                            \
                const float *wr = w + (ptrdiff_t)(COLUMN) * n + o;                               \
                const float v = (VALUE);                                                         \
                for (ptrdiff_t i = 0; i < width; i++) rest[i] += v * wr[i];                      \
            }                                                                                    \
            if (bias)                                                                            \
                for (ptrdiff_t i = 0; i < width; i++) rest[i] += bias[o + i];                    \
        }                                                                                        \
    }

#define PRODUCT_BODY(TILE) ROW_PRODUCT_BODY(TILE, rowStart[r], rowStart[r + 1], column[e], value[e])
#define DENSE_PRODUCT_BODY(TILE)                                                                 \
    const float *bias = NULL;                                                                    \
    ROW_PRODUCT_BODY(TILE, 0, k, e, x[r * k + e])

#define SCATTER_BODY                                                                             \
    memset(dw, 0, (size_t)(inputs * n) * sizeof(float));                                         \
    if (db) memset(db, 0, (size_t)n * sizeof(float));                                            \
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {                                              \
        const float *restrict gr = g + r * n;                                                    \
        if (db)                                                                                  \
            for (ptrdiff_t k = 0; k < n; k++) db[k] += gr[k];                                    \
        for (ptrdiff_t e = rowStart[r]; e < rowStart[r + 1]; e++) {                              \
            float *restrict target = dw + (ptrdiff_t)column[e] * n;                              \
            const float v = value[e];                                                            \
            for (ptrdiff_t k = 0; k < n; k++) target[k] += v * gr[k];                            \
        }                                                                                        \
    }

#define PRODUCT_PARAMETERS                                                                       \
    const float *restrict w, const float *restrict bias, ptrdiff_t n, const ptrdiff_t *rowStart, \
        const int32_t *column, const float *value, ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *restrict y
#define SCATTER_PARAMETERS                                                                       \
    const float *restrict g, ptrdiff_t n, ptrdiff_t inputs, const ptrdiff_t *rowStart,           \
        const int32_t *column, const float *value, ptrdiff_t rowBegin, ptrdiff_t rowEnd,          \
        float *restrict dw, float *restrict db

#define DENSE_PRODUCT_PARAMETERS                                                                 \
    const float *restrict x, ptrdiff_t k, const float *restrict w, ptrdiff_t n, ptrdiff_t rowBegin, \
        ptrdiff_t rowEnd, float *restrict y

static void product_baseline(PRODUCT_PARAMETERS) { PRODUCT_BODY(32) }
static void dense_product_baseline(DENSE_PRODUCT_PARAMETERS) { DENSE_PRODUCT_BODY(32) }
static void scatter_baseline(SCATTER_PARAMETERS) { SCATTER_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void product_avx2(PRODUCT_PARAMETERS) { PRODUCT_BODY(64) }
__attribute__((target("avx2,fma"))) static void scatter_avx2(SCATTER_PARAMETERS) { SCATTER_BODY }
__attribute__((target("avx2,fma"))) static void dense_product_avx2(DENSE_PRODUCT_PARAMETERS) { DENSE_PRODUCT_BODY(64) }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void dense_product_avx512(DENSE_PRODUCT_PARAMETERS) {
    DENSE_PRODUCT_BODY(256)
}
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void product_avx512(PRODUCT_PARAMETERS) { PRODUCT_BODY(256) }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void scatter_avx512(SCATTER_PARAMETERS) { SCATTER_BODY }
#endif

// Counting vectorises at every level; compressing needs AVX-512's compress instruction, so
// below it the columns are found one by one.

#define COUNT_BODY                                                                               \
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {                                              \
        const float *row = x + r * n;                                                            \
        int32_t count = 0;                                                                       \
        for (ptrdiff_t j = 0; j < n; j++) count += row[j] != 0.0f;                               \
        counts[r] = count;                                                                       \
    }

#define COUNT_PARAMETERS const float *x, ptrdiff_t n, ptrdiff_t rowBegin, ptrdiff_t rowEnd, ptrdiff_t *counts

static void count_baseline(COUNT_PARAMETERS) { COUNT_BODY }

static void compress_row_tail(const float *row, ptrdiff_t from, ptrdiff_t n, ptrdiff_t e, int32_t *column,
                              float *value) {
    for (ptrdiff_t j = from; j < n; j++) {
        if (row[j] != 0.0f) {
            column[e] = (int32_t)j;
            value[e] = row[j];
            e++;
        }
    }
}

static void compress_baseline(const float *x, ptrdiff_t n, const ptrdiff_t *rowStart, ptrdiff_t rowBegin,
                              ptrdiff_t rowEnd, int32_t *column, float *value) {
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) compress_row_tail(x + r * n, 0, n, rowStart[r], column, value);
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void count_avx2(COUNT_PARAMETERS) { COUNT_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void count_avx512(COUNT_PARAMETERS) { COUNT_BODY }

/// 16 columns at a time: the mask of non-zeros selects indices and values, which are packed
/// in registers and written with a masked store of exactly the packed lanes (a compressing store
/// to memory is slow on some cores).
__attribute__((target("avx512f"))) static void compress_avx512(const float *x, ptrdiff_t n, const ptrdiff_t *rowStart,
                                                              ptrdiff_t rowBegin, ptrdiff_t rowEnd, int32_t *column,
                                                              float *value) {
    const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (ptrdiff_t r = rowBegin; r < rowEnd; r++) {
        const float *row = x + r * n;
        ptrdiff_t e = rowStart[r], j = 0;
        for (; j + 16 <= n; j += 16) {
            const __m512 v = _mm512_loadu_ps(row + j);
            const __mmask16 nonzero = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_NEQ_UQ);
            if (!nonzero) continue;
            const __mmask16 packed = (__mmask16)((1u << __builtin_popcount(nonzero)) - 1);
            const __m512i index = _mm512_add_epi32(first, _mm512_set1_epi32((int)j));
            _mm512_mask_storeu_epi32(column + e, packed, _mm512_maskz_compress_epi32(nonzero, index));
            _mm512_mask_storeu_ps(value + e, packed, _mm512_maskz_compress_ps(nonzero, v));
            e += __builtin_popcount(nonzero);
        }
        compress_row_tail(row, j, n, e, column, value);
    }
}
#endif

void spike_rows_count_f32(KernelLevel level, const float *x, ptrdiff_t n, ptrdiff_t rowBegin, ptrdiff_t rowEnd,
                          ptrdiff_t *counts) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: count_avx512(x, n, rowBegin, rowEnd, counts); return;
    case KernelLevelAVX2: count_avx2(x, n, rowBegin, rowEnd, counts); return;
#endif
    default: count_baseline(x, n, rowBegin, rowEnd, counts); return;
    }
}

void spike_rows_compress_f32(KernelLevel level, const float *x, ptrdiff_t n, const ptrdiff_t *rowStart,
                             ptrdiff_t rowBegin, ptrdiff_t rowEnd, int32_t *column, float *value) {
#if defined(__x86_64__)
    if (level == KernelLevelAVX512) {
        compress_avx512(x, n, rowStart, rowBegin, rowEnd, column, value);
        return;
    }
#endif
    compress_baseline(x, n, rowStart, rowBegin, rowEnd, column, value);
}

void spike_rows_product_f32(KernelLevel level, const float *w, const float *bias, ptrdiff_t n,
                            const ptrdiff_t *rowStart, const int32_t *column, const float *value,
                            ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *y) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: product_avx512(w, bias, n, rowStart, column, value, rowBegin, rowEnd, y); return;
    case KernelLevelAVX2: product_avx2(w, bias, n, rowStart, column, value, rowBegin, rowEnd, y); return;
#endif
    default: product_baseline(w, bias, n, rowStart, column, value, rowBegin, rowEnd, y); return;
    }
}

void spike_dense_rows_product_f32(KernelLevel level, const float *x, ptrdiff_t k, const float *w, ptrdiff_t n,
                                  ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *y) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: dense_product_avx512(x, k, w, n, rowBegin, rowEnd, y); return;
    case KernelLevelAVX2: dense_product_avx2(x, k, w, n, rowBegin, rowEnd, y); return;
#endif
    default: dense_product_baseline(x, k, w, n, rowBegin, rowEnd, y); return;
    }
}

void spike_rows_scatter_f32(KernelLevel level, const float *g, ptrdiff_t n, ptrdiff_t inputs,
                            const ptrdiff_t *rowStart, const int32_t *column, const float *value,
                            ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *dw, float *db) {
    switch (level) {
#if defined(__x86_64__)
    case KernelLevelAVX512: scatter_avx512(g, n, inputs, rowStart, column, value, rowBegin, rowEnd, dw, db); return;
    case KernelLevelAVX2: scatter_avx2(g, n, inputs, rowStart, column, value, rowBegin, rowEnd, dw, db); return;
#endif
    default: scatter_baseline(g, n, inputs, rowStart, column, value, rowBegin, rowEnd, dw, db); return;
    }
}
