#ifndef PACKED_MATH_H
#define PACKED_MATH_H

/// Four doubles as one vector; Swift sees it as SIMD4<Double>.
typedef double kernels_double4 __attribute__((ext_vector_type(4)));

/// The square root of every lane in one packed instruction (sqrtpd / vsqrtpd). Swift has no
/// packed square root: SIMD4<Double>.squareRoot() calls libm per lane, and Double.squareRoot()
/// keeps a libm fallback per call. Static inline, so Swift inlines it. IEEE square roots are
/// correctly rounded, so every lane is the same bits as Double.squareRoot() gives.
static inline kernels_double4 kernels_sqrt4(kernels_double4 x) { return __builtin_elementwise_sqrt(x); }

#endif
