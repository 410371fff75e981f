//! The conv CTRNN's one-step map and its Jacobian-vector products (`layers::StepMap`), checked
//! against central differences in f64 on a network that takes every branch of the equations;
//! the matrix-free Arnoldi spectrum (`neurodyn_analysis::krylov`) against the dense Jacobian of a
//! 10-channel 10×10 area (1,000 dimensions), built column by column from the same products and
//! decomposed by faer; and Newton–Krylov fixed points against a long simulation.

mod common;

use faer::Mat;
use neurodyn_analysis::krylov::{
    arnoldi, newton_krylov, ArnoldiConfig, FixedPointResidual, JacobianOf, NewtonConfig,
};
use neurodyn_core::{MatrixFreeMap, Rng};
use neurodyn_nn::layers::{numel, AreaSpec, ConvCtrnn, Readout, StepMap};

fn area(channels: usize, stride: usize) -> AreaSpec {
    AreaSpec { channels, stride }
}

/// Four areas over 1×8×8 images (the stem pools, an even area sums two maps, an odd one has a
/// 1×1 skip), read out from the last two.
fn four_areas() -> ConvCtrnn {
    common::four_area_conv(8, 3, (3, 4), 0.3)
}

/// One area of 10 channels at 10×10: a state of 1,000 rates.
fn thousand() -> ConvCtrnn {
    let stem = common::pooled_stem(4);
    ConvCtrnn::new([1, 20, 20], stem, &[area(10, 1)], Readout::Last, 3, 0.2).expect("1000")
}

fn random_params(net: &ConvCtrnn, scale: f64, rng: &mut Rng) -> Vec<f64> {
    (0..net.n_params()).map(|_| scale * rng.normal()).collect()
}

#[test]
fn jacobian_vector_products_match_central_differences_on_every_branch() {
    let net = four_areas();
    let mut rng = Rng::new(11);
    let params = random_params(&net, 0.5, &mut rng);
    let image: Vec<f64> = (0..numel(net.in_shape())).map(|_| rng.normal()).collect();
    // Rates away from 0 so that no unit sits on ReLU's kink.
    let n = net.state_len();
    let r: Vec<f64> = (0..n).map(|_| rng.uniform_range(0.1, 1.0)).collect();
    let mut map = StepMap::new(&net, &params, &image);
    assert_eq!(map.dim(), n);
    let mut f = vec![0.0; n];
    map.step(&r, &mut f);
    let eps = 1e-6;
    let (mut plus, mut minus) = (vec![0.0; n], vec![0.0; n]);
    let mut worst = 0.0f64;
    for trial in 0..4 {
        let v: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let mut jv = vec![0.0; n];
        map.step(&r, &mut f);
        map.jvp(&v, &mut jv);
        let rp: Vec<f64> = r.iter().zip(&v).map(|(a, b)| a + eps * b).collect();
        let rm: Vec<f64> = r.iter().zip(&v).map(|(a, b)| a - eps * b).collect();
        map.step(&rp, &mut plus);
        map.step(&rm, &mut minus);
        let scale = jv.iter().map(|x| x.abs()).fold(0.0, f64::max);
        for i in 0..n {
            let fd = (plus[i] - minus[i]) / (2.0 * eps);
            worst = worst.max((fd - jv[i]).abs() / scale);
        }
        assert!(scale > 0.1, "trial {trial}: the product is not trivial");
    }
    assert!(worst < 1e-7, "worst relative difference {worst:e}");
    // F itself: with the identity-free leak, F(r) − (1 − α) r is α ReLU(z) ≥ 0.
    map.step(&r, &mut f);
    assert!(f
        .iter()
        .zip(&r)
        .all(|(fi, ri)| fi - (1.0 - net.alpha()) * ri >= -1e-15));
}

fn sort_by_modulus(e: &mut [[f64; 2]]) {
    e.sort_by(|a, b| {
        b[0].hypot(b[1])
            .total_cmp(&a[0].hypot(a[1]))
            .then(b[0].total_cmp(&a[0]))
            .then(b[1].total_cmp(&a[1]))
    });
}

#[test]
fn arnoldi_spectrum_of_a_thousand_rates_matches_the_dense_jacobian() {
    let net = thousand();
    let mut rng = Rng::new(5);
    let mut params = random_params(&net, 0.3, &mut rng);
    // Stronger recurrence, so that the leading modes reach beyond the leak's 1 − α.
    let rec = net
        .tensors()
        .iter()
        .find(|t| t.name == "area0.rec.weight")
        .expect("rec")
        .range
        .clone();
    params[rec].iter_mut().for_each(|w| *w *= 2.0);
    let image: Vec<f64> = (0..numel(net.in_shape())).map(|_| rng.normal()).collect();
    let n = net.state_len();
    assert_eq!(n, 1000);
    let r: Vec<f64> = (0..n).map(|_| rng.uniform_range(0.0, 1.0)).collect();
    let mut map = StepMap::new(&net, &params, &image);
    let mut f = vec![0.0; n];
    map.step(&r, &mut f);
    // The dense Jacobian, column by column.
    let mut dense = Mat::<f64>::zeros(n, n);
    let (mut e, mut col) = (vec![0.0; n], vec![0.0; n]);
    for j in 0..n {
        e[j] = 1.0;
        map.jvp(&e, &mut col);
        e[j] = 0.0;
        for i in 0..n {
            dense[(i, j)] = col[i];
        }
    }
    let mut want: Vec<[f64; 2]> = dense
        .eigenvalues()
        .expect("dense eigenvalues")
        .iter()
        .map(|z| [z.re, z.im])
        .collect();
    sort_by_modulus(&mut want);
    let cfg = ArnoldiConfig {
        n_eigenvalues: 10,
        max_dim: 300,
        tol: 1e-10,
        ..ArnoldiConfig::default()
    };
    let got = arnoldi(&mut JacobianOf(&mut map), &cfg).expect("arnoldi");
    assert_eq!(got.n_converged, 10, "{got:?}");
    assert!(
        want[0][0].hypot(want[0][1]) > 1.0 - net.alpha() + 0.05,
        "the recurrence shapes the leading modes: {:?}",
        &want[..3]
    );
    for (k, (g, w)) in got.eigenvalues.iter().zip(&want).enumerate() {
        let err = (g[0] - w[0]).hypot(g[1] - w[1]);
        assert!(err < 1e-6, "eigenvalue {k}: {g:?} vs dense {w:?} ({err:e})");
    }
    // The leading Ritz vector is an eigenvector of the dense matrix too.
    let theta = got.eigenvalues[0];
    if theta[1] == 0.0 || got.leading_im.iter().all(|&x| x == 0.0) {
        let x = &got.leading_re;
        let mut ax = vec![0.0; n];
        for i in 0..n {
            ax[i] = (0..n).map(|j| dense[(i, j)] * x[j]).sum();
        }
        let res: f64 = ax
            .iter()
            .zip(x)
            .map(|(a, b)| (a - theta[0] * b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(res < 1e-6, "dense residual of the leading vector {res:e}");
    }
    assert!(got.krylov_dim < n, "converged before spanning the space");
}

#[test]
fn newton_krylov_finds_the_state_a_long_simulation_settles_in() {
    let net = four_areas();
    let mut rng = Rng::new(2);
    let params = random_params(&net, 0.15, &mut rng);
    let image: Vec<f64> = (0..numel(net.in_shape())).map(|_| rng.normal()).collect();
    let n = net.state_len();
    let mut map = StepMap::new(&net, &params, &image);
    // Simulate long from rest: a contracting network settles to its fixed point.
    let (mut r, mut next) = (vec![0.0; n], vec![0.0; n]);
    for _ in 0..3000 {
        map.step(&r, &mut next);
        std::mem::swap(&mut r, &mut next);
    }
    map.step(&r, &mut next);
    let settled: f64 = r
        .iter()
        .zip(&next)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(settled < 1e-12, "the simulation settled ({settled:e})");
    // Newton–Krylov from a few steps in reaches the same point in a handful of steps.
    let mut start = vec![0.0; n];
    for _ in 0..5 {
        map.step(&start, &mut next);
        std::mem::swap(&mut start, &mut next);
    }
    let res = newton_krylov(
        &mut FixedPointResidual(&mut map),
        &start,
        &NewtonConfig::default(),
    )
    .expect("newton");
    assert!(res.converged, "{res:?}");
    assert!(res.iterations <= 20, "{res:?}");
    let dist = res
        .x
        .iter()
        .zip(&r)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(dist < 1e-9, "Newton's point vs the simulation's: {dist:e}");
}
