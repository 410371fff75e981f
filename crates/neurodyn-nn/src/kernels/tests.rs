//! The kernel against the plain loop.

use super::gemm::sgemm_on;
use super::*;

/// The plain loop: `S + op(A)·B` with op(A)(i, p) at `a[i·rs + p·cs]`.
fn naive(
    (m, n, k): (usize, usize, usize),
    (a, rs, cs): (&[f32], usize, usize),
    (b, ldb): (&[f32], usize),
    (s, lds): (&[f32], usize),
) -> Vec<f32> {
    let mut out = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = s[i * lds + j];
            for p in 0..k {
                acc = a[i * rs + p * cs].mul_add(b[p * ldb + j], acc);
            }
            out[i * n + j] = acc;
        }
    }
    out
}

/// Every tile shape, column tail and start mode, A as stored and transposed, one and two
/// threads, depths and heights past one block, against the plain loop (the kernel fuses each
/// multiply-add, so the loop does too and the results agree to the last bit), with strides
/// wider than the views and guard values around the written block.
#[test]
fn sgemm_matches_the_plain_loop() {
    let paths: Vec<Simd> = Simd::all_supported()
        .into_iter()
        .filter(|&s| s != Simd::Portable)
        .collect();
    if paths.is_empty() {
        eprintln!("no AVX2/FMA on this CPU: the kernel is not used, nothing to compare");
        return;
    }
    let mut state = 1u32;
    let mut rnd = move || {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5
    };
    // Row counts around both paths' tiles (6 and 12 rows) and column counts around their widths
    // (8/16 with AVX2, 16/32 with AVX-512) and masked tails.
    let small = [1usize, 2, 3, 5, 6, 7, 11, 12, 13, 16, 17, 25, 33];
    let mut cases = Vec::new();
    for &m in &small {
        for &n in &[
            1usize, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40, 48, 64, 80,
        ] {
            for &k in &[0usize, 1, 2, 5, 64] {
                cases.push((m, n, k));
            }
        }
    }
    // Past one block of rows (96) and of depth (256), large enough to split in two, and tall
    // enough (≥ 192 rows) for the kernel to pack B itself.
    cases.extend([
        (100, 33, 300),
        (197, 17, 520),
        (40, 256, 300),
        (256, 40, 1100),
        (300, 70, 257),
    ]);
    for (simd, (m, n, k)) in paths
        .iter()
        .flat_map(|&s| cases.iter().map(move |&c| (s, c)))
    {
        let mut panels = vec![0.0f32; packed_len(k, n)];
        for (transposed, packed, threads) in (0..8).map(|v| (v & 1 == 1, v & 2 == 2, 1 + v / 4)) {
            {
                let (ldb, ldc) = (n + 1, n + 5);
                // A stored (m × k, stride k+3) or transposed (k × m, stride m+2).
                let (a_len, rs, cs) = if transposed {
                    (k.max(1) * (m + 2), 1, m + 2)
                } else {
                    (m * (k + 3), k + 3, 1)
                };
                let a: Vec<f32> = (0..a_len).map(|_| rnd()).collect();
                let b: Vec<f32> = (0..k.max(1) * ldb).map(|_| rnd()).collect();
                let d: Vec<f32> = (0..m * ldc).map(|_| rnd()).collect();
                let zeros = vec![0.0f32; m * ldc];
                for (mode, s) in [("zero", &zeros), ("C", &d), ("D", &d)] {
                    let guard = 99.0;
                    let mut c = vec![guard; m * ldc + 4];
                    if mode == "C" {
                        for i in 0..m {
                            c[i * ldc..i * ldc + n].copy_from_slice(&d[i * ldc..i * ldc + n]);
                        }
                    }
                    let start = match mode {
                        "zero" => Start::Zero,
                        "C" => Start::C,
                        _ => Start::From(&d, ldc),
                    };
                    let dims = (m, n, k);
                    let (av, bv) = ((&a[..], rs, cs), (&b[..], ldb));
                    let right = if packed {
                        pack_panels(&b, k, n, ldb, 0.0, &mut panels);
                        Right::Panels(&panels)
                    } else {
                        Right::Rows(&b, ldb)
                    };
                    assert!(sgemm_on(
                        simd,
                        dims,
                        av,
                        right,
                        (&mut c, ldc),
                        start,
                        threads
                    ));
                    let want = naive(dims, av, bv, (s, ldc));
                    let what = format!(
                        "{simd} {m}x{n}x{k} {mode} Aᵀ {transposed} packed B {packed} threads {threads}"
                    );
                    for i in 0..m {
                        for j in 0..ldc {
                            let got = c[i * ldc + j];
                            if j < n {
                                assert_eq!(got, want[i * n + j], "{what} ({i},{j})");
                            } else {
                                assert_eq!(got, guard, "{what}: wrote ({i},{j})");
                            }
                        }
                    }
                    assert_eq!(&c[m * ldc..], &[guard; 4], "{what}: tail");
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "views exceed")]
fn sgemm_rejects_a_view_past_its_slice() {
    let (a, b) = (vec![0.0f32; 6], vec![0.0f32; 6]);
    let mut c = vec![0.0f32; 3];
    // C would need 2×2 = 4 elements.
    if !sgemm(
        (2, 2, 3),
        (&a, 3, 1),
        Right::Rows(&b, 2),
        (&mut c, 2),
        Start::Zero,
        1,
    ) {
        panic!("views exceed (no AVX2/FMA: the check did not run)");
    }
}

/// The transpose of strided blocks, in f32 (AVX registers eight by eight where the CPU has
/// them) and f64 (four by four), with edges on both sides: every value where it belongs and
/// nothing else written.
#[test]
fn transpose_strided_moves_every_value_and_nothing_else() {
    fn check<T: crate::real::Real>() {
        for (rows, cols, pad) in [
            (16, 196, 0),
            (6, 784, 3),
            (32, 49, 1),
            (9, 17, 5),
            (1, 1, 0),
        ] {
            let (src_rs, dst_rs) = (cols + pad, rows + 2 * pad);
            let src: Vec<T> = (0..rows * src_rs).map(|i| T::c(i as f64)).collect();
            let mut dst = vec![T::c(-1.0); cols * dst_rs];
            transpose_strided(&src, src_rs, &mut dst, dst_rs, rows, cols);
            for j in 0..cols {
                for k in 0..dst_rs {
                    let want = if k < rows {
                        src[k * src_rs + j]
                    } else {
                        T::c(-1.0)
                    };
                    assert!(dst[j * dst_rs + k] == want, "{rows}×{cols}: ({j}, {k})");
                }
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// Every lane operation, as each lane type computes it: `a + b`, `a − b`, `−5a`, `−a` and 0.
struct LaneOps<'a> {
    a: &'a [f32],
    b: &'a [f32],
    out: &'a mut [f32],
}

impl lanes::LaneWork<f32> for LaneOps<'_> {
    type Output = ();
    #[inline(always)]
    fn run<V: lanes::Lane<Elem = f32>>(self) {
        let n = self.a.len();
        for c in (0..n).step_by(V::WIDTH) {
            let (a, b) = (V::load(&self.a[c..]), V::load(&self.b[c..]));
            let results = [a.add(b), a.sub(b), a.scale(-5.0), a.neg(), V::zero()];
            for (k, r) in results.into_iter().enumerate() {
                r.store(&mut self.out[k * n + c..]);
            }
        }
    }
}

/// The register lanes (AVX-512, AVX2) and the arrays give the scalar operations' bits, signed
/// zeros included (`−0` from negating 0, `0 − 0 = 0`).
#[test]
fn every_lane_type_gives_the_scalar_bits() {
    let n = 48;
    let mut a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 3.0).collect();
    let mut b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.91).cos() * 1e-3).collect();
    a[0] = 0.0;
    b[0] = 0.0;
    a[1] = -0.0;
    a[2] = f32::MIN_POSITIVE;
    let mut want = Vec::with_capacity(5 * n);
    want.extend(a.iter().zip(&b).map(|(x, y)| x + y));
    want.extend(a.iter().zip(&b).map(|(x, y)| x - y));
    want.extend(a.iter().map(|x| -5.0 * x));
    want.extend(a.iter().map(|x| -x));
    want.extend(std::iter::repeat_n(0.0f32, n));
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    let mut runs: Vec<(&str, Vec<f32>)> = Vec::new();
    let mut run = |name, f: &dyn Fn(LaneOps<'_>)| {
        let mut out = vec![f32::NAN; 5 * n];
        f(LaneOps {
            a: &a,
            b: &b,
            out: &mut out,
        });
        runs.push((name, out));
    };
    run("arrays of 16", &|w| lanes::lanes_any(w, 16));
    run("arrays of 1", &|w| lanes::lanes_any(w, 3));
    #[cfg(target_arch = "x86_64")]
    {
        if Simd::Avx2.supported() {
            // SAFETY: AVX2 and FMA detected.
            run("AVX2", &|w| unsafe { lanes::lanes_avx2(w) });
        }
        if Simd::Avx512.supported() {
            // SAFETY: AVX-512 detected.
            run("AVX-512", &|w| unsafe { lanes::lanes_avx512(w) });
        }
    }
    for (name, got) in &runs {
        assert_eq!(bits(got), bits(&want), "{name}");
    }
    assert!(runs.len() >= 2);
}
