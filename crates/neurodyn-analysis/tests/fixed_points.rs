//! Fixed-point search on hand-made networks whose fixed points are known.

mod common;

use common::Ctrnn;
use neurodyn_analysis::fixed_points::{self, linearize, FixedPointConfig};
use neurodyn_analysis::jacobian_check::{fd_jacobian, jacobian_error};
use neurodyn_core::{Dynamics, Rng};

/// `x* = tanh(g x*)`, the positive root.
fn tanh_root(g: f64) -> f64 {
    let mut x = 1.0f64;
    for _ in 0..200 {
        x -= (x - (g * x).tanh()) / (1.0 - g * (1.0 - (g * x).tanh().powi(2)));
    }
    x
}

fn grid(n_dim: usize, values: &[f64]) -> Vec<f64> {
    let m = values.len();
    let mut out = Vec::new();
    for idx in 0..m.pow(n_dim as u32) {
        let mut r = idx;
        for _ in 0..n_dim {
            out.push(values[r % m]);
            r /= m;
        }
    }
    out
}

#[test]
fn two_unit_network_has_its_three_fixed_points() {
    let net = Ctrnn::new(2, 0.2, vec![2.0, 0.0, 0.0, 0.5]);
    let starts = grid(2, &[-1.5, -1.0, -0.4, 0.1, 0.5, 1.2, 1.6]);
    let res =
        fixed_points::run(&net, &[0.0], &starts, &FixedPointConfig::default()).expect("search");
    let conv: Vec<_> = res.converged().collect();
    assert_eq!(
        conv.len(),
        3,
        "points: {:?}",
        res.points.iter().map(|p| (&p.x, p.q)).collect::<Vec<_>>()
    );
    let xs = tanh_root(2.0);
    for p in &conv {
        assert!(p.q < 1e-12);
        let l = &p.linearization;
        if p.x[0].abs() < 1e-6 {
            // Origin: μ = 0.8 + 0.2·2 = 1.2 along x1, a saddle in both conventions.
            assert!(p.x[1].abs() < 1e-9);
            assert!(
                (l.eigenvalues[0][0] - 1.2).abs() < 1e-9,
                "{:?}",
                l.eigenvalues
            );
            assert!(!l.stable_discrete);
            assert_eq!(l.stable_continuous, Some(false));
            assert_eq!(l.n_unstable, 1);
        } else {
            assert!((p.x[0].abs() - xs).abs() < 1e-9, "{:?} vs ±{xs}", p.x);
            assert!(p.x[1].abs() < 1e-9);
            let mu1 = 0.8 + 0.4 * (1.0 - xs * xs);
            let mut mus: Vec<f64> = l.eigenvalues.iter().map(|z| z[0]).collect();
            mus.sort_by(f64::total_cmp);
            assert!(
                (mus[0] - mu1).abs() < 1e-9 && (mus[1] - 0.9).abs() < 1e-9,
                "{mus:?}"
            );
            assert!(l.stable_discrete);
            assert_eq!(l.stable_continuous, Some(true));
        }
    }
}

#[test]
fn flip_flop_has_27_fixed_points_8_stable() {
    let c = 0.05;
    let w = vec![2.0, c, c, c, 2.0, c, c, c, 2.0];
    let net = Ctrnn::new(3, 0.2, w);
    let starts = grid(3, &[-1.4, -1.0, -0.7, -0.3, 0.0, 0.3, 0.7, 1.0, 1.4]);
    let res =
        fixed_points::run(&net, &[0.0], &starts, &FixedPointConfig::default()).expect("search");
    let conv: Vec<_> = res.converged().collect();
    assert_eq!(
        conv.len(),
        27,
        "found {} converged of {}",
        conv.len(),
        res.points.len()
    );
    let mut by_unstable = [0usize; 4];
    for p in &conv {
        by_unstable[p.linearization.n_unstable] += 1;
        assert_eq!(
            p.linearization.stable_discrete,
            p.linearization.n_unstable == 0
        );
        assert_eq!(
            p.linearization.stable_continuous,
            Some(p.linearization.n_unstable == 0)
        );
    }
    // 8 stable corners, 12 one-saddles, 6 two-saddles, 1 source at the origin.
    assert_eq!(by_unstable, [8, 12, 6, 1]);
    assert!(
        res.n_duplicates > 600,
        "duplicates merged: {}",
        res.n_duplicates
    );
}

#[test]
fn line_attractor_is_found_with_its_direction() {
    // W = v vᵀ: eigenvalue 1 along v, so μ = 1 there in the linear regime.
    let v = [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0];
    let w: Vec<f64> = (0..9).map(|k| v[k / 3] * v[k % 3]).collect();
    let net = Ctrnn::new(3, 0.2, w);
    let origin = linearize(&net, &[0.0; 3], &[0.0]).expect("linearize");
    assert!((origin.marginal.mu[0] - 1.0).abs() < 1e-12 && origin.marginal.mu[1].abs() < 1e-12);
    assert_eq!(
        origin.marginal.lambda.map(|l| l[0].abs() < 1e-10),
        Some(true)
    );
    for (d, e) in origin.marginal.direction.iter().zip(v) {
        assert!((d - e).abs() < 1e-10, "{:?}", origin.marginal.direction);
    }
    let mut rng = Rng::new(5);
    let mut starts = Vec::new();
    for k in 0..200 {
        let c = -0.5 + k as f64 / 199.0;
        starts.extend(v.iter().map(|vi| c * vi + 0.05 * rng.normal()));
    }
    let res =
        fixed_points::run(&net, &[0.0], &starts, &FixedPointConfig::default()).expect("search");
    let conv: Vec<_> = res.converged().collect();
    assert!(conv.len() >= 5, "a line of slow points, got {}", conv.len());
    let along: Vec<f64> = conv
        .iter()
        .map(|p| p.x.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect();
    let spread = along.iter().copied().fold(f64::MIN, f64::max)
        - along.iter().copied().fold(f64::MAX, f64::min);
    assert!(spread > 0.01, "points spread {spread} along the line");
    for (p, c) in conv.iter().zip(&along) {
        let perp: f64 =
            p.x.iter()
                .zip(v)
                .map(|(x, vi)| (x - c * vi).powi(2))
                .sum::<f64>()
                .sqrt();
        assert!(perp < 1e-4, "off the line by {perp}");
        let m = &p.linearization.marginal;
        assert!((m.mu[0].hypot(m.mu[1]) - 1.0).abs() < 1e-3, "{:?}", m.mu);
        let dot: f64 = m.direction.iter().zip(v).map(|(a, b)| a * b).sum();
        assert!(dot.abs() > 0.999, "direction {:?}", m.direction);
    }
}

#[test]
fn results_do_not_depend_on_threads_and_slow_points_are_kept() {
    let mut rng = Rng::new(11);
    let net = Ctrnn::random(16, 1.5, 0.2, &mut rng);
    let rec = net.simulate(8, 50, &[0.0], &mut rng);
    let cfg = FixedPointConfig {
        n_starts: 64,
        noise_std: 0.05,
        ..FixedPointConfig::default()
    };
    let one = fixed_points::run_on_recording(&net, &rec, &[0.0], &cfg, &mut Rng::new(1))
        .expect("1 thread");
    let two = fixed_points::run_on_recording(
        &net,
        &rec,
        &[0.0],
        &FixedPointConfig {
            n_threads: 2,
            ..cfg.clone()
        },
        &mut Rng::new(1),
    )
    .expect("2 threads");
    assert_eq!(one, two);
    assert_eq!(one.q_all.len(), 64);
    for p in &one.points {
        assert_eq!(p.converged, p.q < cfg.tol_q);
        assert!((fixed_points::q_value(&net, &p.x, &[0.0]) - p.q).abs() <= 1e-12 + 1e-9 * p.q);
    }
    // Points are unique within tol_unique and in increasing q.
    for (i, a) in one.points.iter().enumerate() {
        for b in &one.points[i + 1..] {
            let d: f64 =
                a.x.iter()
                    .zip(&b.x)
                    .map(|(x, y)| (x - y).powi(2))
                    .sum::<f64>()
                    .sqrt();
            assert!(d > cfg.tol_unique);
            assert!(a.q <= b.q);
        }
    }
    let z = one.to_npz().expect("npz");
    assert_eq!(
        z.get("eigenvectors_re").map(|a| a.shape().to_vec()),
        Some(vec![one.points.len(), 16, 16])
    );
    let json = serde_json::to_string(&one).expect("json");
    assert!(json.contains("\"stable_discrete\""));
}

#[test]
fn outliers_far_from_the_starts_are_dropped() {
    // A 1-unit network with fixed points at 0 and ±0.9575; the starts' mean distance to their
    // centroid (0) is 0.232, so with scale 2 the points reached from ±0.8 lie beyond 0.46.
    let net = Ctrnn::new(1, 0.2, vec![2.0]);
    let starts = vec![-0.01, 0.01, 0.0, 0.002, -0.002, 0.8, -0.8];
    let cfg = FixedPointConfig {
        outlier_distance_scale: Some(2.0),
        ..FixedPointConfig::default()
    };
    let kept = fixed_points::run(&net, &[0.0], &starts, &cfg).expect("search");
    let all = fixed_points::run(
        &net,
        &[0.0],
        &starts,
        &FixedPointConfig {
            outlier_distance_scale: None,
            ..cfg
        },
    )
    .expect("search");
    assert_eq!(all.converged().count(), 3);
    assert_eq!(kept.converged().count(), 1);
    assert_eq!(kept.n_outliers, 2);
}

#[test]
fn analytic_jacobian_matches_finite_differences() {
    let mut rng = Rng::new(3);
    let net = Ctrnn::random(8, 1.2, 0.1, &mut rng);
    let x: Vec<f64> = (0..8).map(|_| rng.normal()).collect();
    assert!(jacobian_error(&net, &x, &[0.3], 1e-6) < 1e-8);
    // The check can fail: a transposed Jacobian is caught.
    struct Transposed<'a>(&'a Ctrnn);
    impl Dynamics for Transposed<'_> {
        fn n_state(&self) -> usize {
            self.0.n_state()
        }
        fn n_in(&self) -> usize {
            1
        }
        fn step(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
            self.0.step(x, u, out)
        }
        fn jacobian(&self, x: &[f64], u: &[f64], out: &mut [f64]) {
            let n = self.0.n;
            let mut j = vec![0.0; n * n];
            self.0.jacobian(x, u, &mut j);
            for a in 0..n {
                for b in 0..n {
                    out[a * n + b] = j[b * n + a];
                }
            }
        }
        fn dt_ms(&self) -> Option<f64> {
            None
        }
    }
    assert!(jacobian_error(&Transposed(&net), &x, &[0.3], 1e-6) > 1e-3);
    let fd = fd_jacobian(&net, &x, &[0.3], 1e-6);
    assert_eq!(fd.len(), 64);
}

#[test]
fn config_rejects_unknown_fields_and_bad_values() {
    let e = serde_json::from_str::<FixedPointConfig>(r#"{"tol_q": 1e-10, "tolq": 1}"#);
    assert!(e.is_err());
    let c: FixedPointConfig = serde_json::from_str(r#"{"tol_q": 1e-10}"#).expect("parse");
    assert_eq!(c.tol_unique, 1e-3);
    let net = Ctrnn::new(1, 0.2, vec![2.0]);
    let bad = FixedPointConfig { tol_q: -1.0, ..c };
    assert!(fixed_points::run(&net, &[0.0], &[0.1], &bad).is_err());
    assert!(fixed_points::run(&net, &[0.0, 1.0], &[0.1], &FixedPointConfig::default()).is_err());
}
