// CBLAS: OpenBLAS's C interface plus the CPU feature probe the BLAS wrapper needs to tell
// whether OpenBLAS picked the right kernel ("core") for this processor.
#ifndef COHORT_CBLAS_SHIM_H
#define COHORT_CBLAS_SHIM_H

#include <cblas.h>
#include <stdint.h>

/// Bit flags returned by cohort_cpu_features().
enum {
    COHORT_CPU_AVX = 1 << 0,
    COHORT_CPU_AVX2 = 1 << 1,
    COHORT_CPU_FMA = 1 << 2,
    COHORT_CPU_AVX512F = 1 << 3,
};

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
/// The vector features both the CPU (cpuid) and the operating system (xgetbv: the registers are
/// saved on context switch) support. A kernel that uses a feature the OS does not save would crash.
static inline uint32_t cohort_cpu_features(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    uint32_t features = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    int osxsave = (ecx >> 27) & 1;
    int avx = (ecx >> 28) & 1;
    int fma = (ecx >> 12) & 1;
    if (!osxsave) return 0;
    unsigned int xcr0_lo = 0, xcr0_hi = 0;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    int ymm_saved = (xcr0_lo & 0x6) == 0x6;
    int zmm_saved = (xcr0_lo & 0xE6) == 0xE6;
    if (avx && ymm_saved) features |= COHORT_CPU_AVX;
    if (fma && ymm_saved) features |= COHORT_CPU_FMA;
    if (__get_cpuid_max(0, 0) >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        if (((ebx >> 5) & 1) && ymm_saved) features |= COHORT_CPU_AVX2;
        if (((ebx >> 16) & 1) && zmm_saved) features |= COHORT_CPU_AVX512F;
    }
    return features;
}
#else
static inline uint32_t cohort_cpu_features(void) { return 0; }
#endif

#endif
