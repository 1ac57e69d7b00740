#include "KernelLevel.h"

KernelLevel kernels_best_level(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return KernelLevelAVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return KernelLevelAVX2;
#endif
    return KernelLevelBaseline;
}
