//! The conv-ctrnn's element-wise loops (leak, ReLU, masks, sums over the batch), each compiled
//! for the active SIMD path ([`crate::kernels::vectorized`]) and written without branches, so
//! that it runs 8 (AVX2) or 16 (AVX-512) lanes wide instead of SSE2's four. The arithmetic is the
//! source's, in the same order, so the bits do not depend on the path.

use crate::real::Real;

/// One element-wise loop of the forward or the backward pass.
pub(super) enum Ew<'a, T> {
    /// `g += src ⊙ 1[r > 0]`.
    AddMasked {
        g: &'a mut [T],
        src: &'a [T],
        r: &'a [T],
    },
    /// `dst += src`.
    Add { dst: &'a mut [T], src: &'a [T] },
    /// `dst = max(0, src)`.
    Relu { dst: &'a mut [T], src: &'a [T] },
    /// `dst += max(0, src)`.
    AddRelu { dst: &'a mut [T], src: &'a [T] },
    /// `dst = a + max(0, src)`.
    SumRelu {
        dst: &'a mut [T],
        a: &'a [T],
        src: &'a [T],
    },
    /// `g += src ⊙ 1[r > 0]` and `acc += src`, in one pass over `src`.
    AddMaskedAnd {
        g: &'a mut [T],
        acc: &'a mut [T],
        src: &'a [T],
        r: &'a [T],
    },
    /// One area's step in one pass: `z += u` (with `b`: `z += u + b`, per sample, rows of
    /// `b.len()`), then `r_next = (1 − α) r_prev + α max(0, z)`.
    Step {
        r_next: &'a mut [T],
        r_prev: &'a [T],
        z: &'a mut [T],
        u: &'a [T],
        b: Option<&'a [T]>,
        alpha: T,
        keep: T,
    },
    /// One area's step, per sample (rows of `len`): `dz = α g ⊙ 1[z > 0]`, `g_prev = (1 − α) g`,
    /// `∂b += dz` (row after row, in order) and, where given, `acc += dz`.
    Area {
        dz: &'a mut [T],
        g: &'a [T],
        z: &'a [T],
        g_prev: &'a mut [T],
        gb: &'a mut [T],
        acc: Option<&'a mut [T]>,
        alpha: T,
        keep: T,
    },
}

impl<T: Real> crate::kernels::Pointwise for Ew<'_, T> {
    type Output = ();
    #[inline(always)]
    fn run(self) {
        let zero = T::c(0.0);
        match self {
            Ew::AddMasked { g, src, r } => {
                for ((d, &s), &x) in g.iter_mut().zip(src).zip(r) {
                    *d += if x > zero { s } else { zero };
                }
            }
            Ew::Relu { dst, src } => {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d = s.max(zero);
                }
            }
            Ew::AddRelu { dst, src } => {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d += s.max(zero);
                }
            }
            Ew::SumRelu { dst, a, src } => {
                for ((d, &x), &s) in dst.iter_mut().zip(a).zip(src) {
                    *d = x + s.max(zero);
                }
            }
            Ew::AddMaskedAnd { g, acc, src, r } => {
                for (((d, a), &s), &x) in g.iter_mut().zip(acc.iter_mut()).zip(src).zip(r) {
                    *d += if x > zero { s } else { zero };
                    *a += s;
                }
            }
            Ew::Step {
                r_next,
                r_prev,
                z,
                u,
                b,
                alpha,
                keep,
            } => {
                let len = b.map_or(z.len(), <[T]>::len).max(1);
                for (((zr, ur), o), p) in z
                    .chunks_exact_mut(len)
                    .zip(u.chunks_exact(len))
                    .zip(r_next.chunks_exact_mut(len))
                    .zip(r_prev.chunks_exact(len))
                {
                    match b {
                        Some(b) => {
                            for j in 0..len {
                                let v = zr[j] + (ur[j] + b[j]);
                                zr[j] = v;
                                o[j] = keep * p[j] + alpha * v.max(zero);
                            }
                        }
                        None => {
                            for j in 0..len {
                                let v = zr[j] + ur[j];
                                zr[j] = v;
                                o[j] = keep * p[j] + alpha * v.max(zero);
                            }
                        }
                    }
                }
            }
            Ew::Add { dst, src } => {
                for (d, &s) in dst.iter_mut().zip(src) {
                    *d += s;
                }
            }
            Ew::Area {
                dz,
                g,
                z,
                g_prev,
                gb,
                mut acc,
                alpha,
                keep,
            } => {
                let len = gb.len();
                for (row, (((dz, g), z), gp)) in dz
                    .chunks_exact_mut(len)
                    .zip(g.chunks_exact(len))
                    .zip(z.chunks_exact(len))
                    .zip(g_prev.chunks_exact_mut(len))
                    .enumerate()
                {
                    for j in 0..len {
                        let d = if z[j] > zero { alpha * g[j] } else { zero };
                        dz[j] = d;
                        gp[j] = keep * g[j];
                        gb[j] += d;
                    }
                    if let Some(acc) = acc.as_deref_mut() {
                        for (a, &d) in acc[row * len..(row + 1) * len].iter_mut().zip(&*dz) {
                            *a += d;
                        }
                    }
                }
            }
        }
    }
}

/// `g += src ⊙ 1[r > 0]`.
pub(super) fn add_masked<T: Real>(g: &mut [T], src: &[T], r: &[T]) {
    crate::kernels::vectorized(Ew::AddMasked { g, src, r });
}

/// `dst += src`.
pub(super) fn add<T: Real>(dst: &mut [T], src: &[T]) {
    crate::kernels::vectorized(Ew::Add { dst, src });
}

/// `dst = max(0, src)`.
pub(super) fn relu_into<T: Real>(dst: &mut [T], src: &[T]) {
    crate::kernels::vectorized(Ew::Relu { dst, src });
}

/// `dst += max(0, src)`.
pub(super) fn add_relu<T: Real>(dst: &mut [T], src: &[T]) {
    crate::kernels::vectorized(Ew::AddRelu { dst, src });
}
