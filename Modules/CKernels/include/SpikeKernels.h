// The sparse input layer's two inner kernels in C, so they can be compiled for AVX2 and AVX-512
// next to the baseline x86-64 build and chosen at run time: the package itself builds for SSE2
// (no unsafe flags), and these loops are instruction-bound, so wider vectors pay directly.
//
// A matrix of sparse rows is given in compressed form: row r owns entries
// rowStart[r] ..< rowStart[r + 1], entry e being `value[e]` in column `column[e]`.
#ifndef SPIKE_KERNELS_H
#define SPIKE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "KernelLevel.h"

/// counts[r] = the number of non-zero entries of row r of x [rows, n], for rows rowBegin..<rowEnd.
void spike_rows_count_f32(KernelLevel level, const float *x, ptrdiff_t n, ptrdiff_t rowBegin, ptrdiff_t rowEnd,
                          ptrdiff_t *counts);

/// The non-zero entries of rows rowBegin..<rowEnd of x [rows, n] in compressed form: row r's
/// entries, in column order, go to column[e] and value[e] for e from rowStart[r] on. Writes
/// nothing outside those rows' entries.
void spike_rows_compress_f32(KernelLevel level, const float *x, ptrdiff_t n, const ptrdiff_t *rowStart,
                             ptrdiff_t rowBegin, ptrdiff_t rowEnd, int32_t *column, float *value);

/// y[r, 0..<n] = Σ_e value[e] · w[column[e], 0..<n] (+ bias, added last) for rows rowBegin..<rowEnd,
/// with w [inputs, n] row-major and y [rows, n]. Every element of those rows of y is written.
void spike_rows_product_f32(KernelLevel level, const float *w, const float *bias, ptrdiff_t n,
                            const ptrdiff_t *rowStart, const int32_t *column, const float *value,
                            ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *y);

/// y[r, 0..<n] = Σ_j x[r, j] · w[j, 0..<n] for rows rowBegin..<rowEnd of x [rows, k], with
/// w [k, n]: the same tiled loop for dense rows, for products with a short inner dimension k
/// (a narrow layer's input gradient), where a GEMM spends its time packing and zero-filling.
void spike_dense_rows_product_f32(KernelLevel level, const float *x, ptrdiff_t k, const float *w, ptrdiff_t n,
                                  ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *y);

/// dw = Σ_r Σ_e value[e] · g[r] scattered into row column[e] (dw [inputs, n]) and, when db is
/// not NULL, db = Σ_r g[r], over rows rowBegin..<rowEnd of g [rows, n]; dw and db are
/// overwritten. Cores owning different row ranges each fill their own dw and db, summed after.
void spike_rows_scatter_f32(KernelLevel level, const float *g, ptrdiff_t n, ptrdiff_t inputs,
                            const ptrdiff_t *rowStart, const int32_t *column, const float *value,
                            ptrdiff_t rowBegin, ptrdiff_t rowEnd, float *dw, float *db);

#endif
