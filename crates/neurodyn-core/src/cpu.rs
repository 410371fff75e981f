//! The CPU's vector state between faer's kernels and scalar code.

/// Clear the upper halves of the AVX registers after a faer product (`vzeroupper`).
///
/// faer's hand-written x86 micro-kernels return with the upper halves of the YMM registers
/// dirty. Until they are cleared, every legacy-SSE instruction that follows (the workspace is
/// compiled for baseline x86-64, libm's `exp`/`expf`/`tanhf` included) pays an AVX–SSE
/// transition or false-dependency penalty. Measured: a GRU step 30× slower
/// (`neurodyn-nn`'s `examples/step_profile gru`), and a conv layer's logistic fits 4× slower,
/// two thirds of it in `exp` (`neurodyn-analysis`' cross-validated decoding). Call it after a
/// product whose output feeds scalar maths. Does nothing off x86-64 or without AVX.
#[inline]
#[allow(unsafe_code)]
pub fn clear_upper_vector_state() {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: `vzeroupper` exists only with AVX, detected just above at run time; it
            // touches no memory and only zeroes bits 128..255 of the vector registers, which hold
            // no live value between two Rust statements.
            unsafe { std::arch::x86_64::_mm256_zeroupper() };
        }
    }
}
