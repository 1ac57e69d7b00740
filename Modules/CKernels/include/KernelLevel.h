// The instruction-set levels the runtime's C kernels are compiled for, and the run-time choice
// between them. The package itself builds for the baseline x86-64 (SSE2, no unsafe flags); each
// kernel family (spike rows, convolution, batch norm) compiles its hot loops once more per
// level with `__attribute__((target(...)))` and dispatches on the level it is given, so tests
// can run every level the CPU supports.
#ifndef KERNEL_LEVEL_H
#define KERNEL_LEVEL_H

/// Instruction sets the kernels are compiled for, in increasing order.
typedef enum {
    KernelLevelBaseline = 0,
    KernelLevelAVX2 = 1,
    KernelLevelAVX512 = 2,
} KernelLevel;

/// The widest level this CPU runs.
KernelLevel kernels_best_level(void);

#endif
