//! Flush-to-zero for engine work: [`FlushDenormals`].
//!
//! Subnormal f32 values (below 1.2e-38) appear when weights, gradients or Adam's second moments
//! decay towards zero late in training. x86 CPUs handle an operation on one in microcode, about
//! a hundred times slower than a normal one: AntiReach's default recipe ran its last 150 steps 14×
//! slower than its first 150, 94 % of the time in the GEMM. Flushing such values to zero changes
//! results only where they occur (values 2^-126 below the scale of anything the engine adds them
//! to), so it is set for all engine work, and on every thread of it, for the same bits per seed
//! and thread count.

/// Sets flush-to-zero and denormals-are-zero on the calling thread while it lives, and restores
/// the thread's previous floating-point control state when dropped, so that code around the
/// engine (a library user's own) is unaffected. Nests freely. On architectures other than x86-64
/// and aarch64 it does nothing.
///
/// x86-64: MXCSR bits FTZ (15) and DAZ (6), which govern SSE/AVX arithmetic (f32 and f64).
/// aarch64: FPCR bit FZ (24).
#[must_use = "flush-to-zero holds only while the guard lives"]
pub struct FlushDenormals {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    saved: u64,
}

#[cfg(target_arch = "x86_64")]
const FLUSH_BITS: u64 = (1 << 15) | (1 << 6);
#[cfg(target_arch = "aarch64")]
const FLUSH_BITS: u64 = 1 << 24;

impl FlushDenormals {
    /// Set flush-to-zero on this thread until the guard is dropped.
    #[inline]
    pub fn new() -> Self {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            let saved = read();
            if saved & FLUSH_BITS != FLUSH_BITS {
                write(saved | FLUSH_BITS);
            }
            FlushDenormals { saved }
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        FlushDenormals {}
    }

    /// Whether flush-to-zero is set on this thread now.
    pub fn is_set() -> bool {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        {
            read() & FLUSH_BITS == FLUSH_BITS
        }
        #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
        false
    }
}

impl Default for FlushDenormals {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for FlushDenormals {
    #[inline]
    fn drop(&mut self) {
        #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
        if self.saved & FLUSH_BITS != FLUSH_BITS {
            write(self.saved);
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn read() -> u64 {
    let mut csr: u32 = 0;
    // SAFETY: `stmxcsr` stores the 32-bit MXCSR (present on every x86-64 CPU) to the address
    // given, a live local of that size; it touches nothing else.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
    }
    u64::from(csr)
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn write(v: u64) {
    let csr = v as u32;
    // SAFETY: `ldmxcsr` loads MXCSR from a live local; the value is one read from MXCSR with only
    // FTZ and DAZ changed (both supported on every x86-64 CPU), so no reserved bit is set.
    unsafe {
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, preserves_flags, readonly));
    }
}

#[cfg(target_arch = "aarch64")]
#[inline]
fn read() -> u64 {
    let v: u64;
    // SAFETY: reading FPCR has no side effect.
    unsafe {
        std::arch::asm!("mrs {}, fpcr", out(reg) v, options(nomem, nostack, preserves_flags));
    }
    v
}

#[cfg(target_arch = "aarch64")]
#[inline]
fn write(v: u64) {
    // SAFETY: the value is one read from FPCR with only FZ changed.
    unsafe {
        std::arch::asm!("msr fpcr, {}", in(reg) v, options(nomem, nostack, preserves_flags));
    }
}

#[cfg(test)]
mod tests {
    use super::FlushDenormals;

    /// A subnormal product is flushed while the guard lives and kept after it, nested guards
    /// restore the outer state, and the thread's state is back as it was.
    #[test]
    fn flushes_while_held_and_restores() {
        let tiny = std::hint::black_box(1.0e-20f32);
        let before = FlushDenormals::is_set();
        assert!(!before, "the test thread starts without flush-to-zero");
        assert!(
            std::hint::black_box(tiny * tiny) > 0.0,
            "1e-40 is a subnormal f32"
        );
        {
            let _g = FlushDenormals::new();
            assert!(FlushDenormals::is_set());
            assert_eq!(std::hint::black_box(tiny * tiny), 0.0);
            {
                let _inner = FlushDenormals::new();
                assert_eq!(std::hint::black_box(tiny) * std::hint::black_box(tiny), 0.0);
            }
            assert!(
                FlushDenormals::is_set(),
                "the inner guard keeps the outer's state"
            );
            // Denormals-are-zero: a subnormal input reads as zero.
            let sub = std::hint::black_box(f32::from_bits(1));
            assert_eq!(std::hint::black_box(sub * 2.0f32.powi(100)), 0.0);
        }
        assert!(!FlushDenormals::is_set());
        assert!(std::hint::black_box(tiny * tiny) > 0.0);
    }
}
