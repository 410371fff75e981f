//! The `ei-ctrnn` kind as built from a config: its initial recurrent matrix is E/I-balanced and
//! has the configured spectral radius (1.5 by default, Song et al. 2016's ρ₀).

use neurodyn_core::Rng;
use neurodyn_nn::init::spectral_radius;
use neurodyn_train::{DaleConfig, RunConfig};

/// The effective recurrent matrix of a freshly built network (`n_in` 3, `n_rec` 40).
fn initial_w_rec(cfg: &RunConfig) -> Vec<f64> {
    let net = neurodyn_train::model::build::<f64>(&cfg.model, 3, 3, 20.0, &mut Rng::new(2))
        .expect("build");
    let h = cfg.model.n_rec;
    let at = h * 3 + h; // after w_in and the bias
    net.effective()[at..at + h * h].to_vec()
}

#[test]
fn dale_start_is_balanced_at_the_configured_radius() {
    let mut cfg = RunConfig::default();
    cfg.model.kind = neurodyn_train::ModelKind::EiCtrnn;
    cfg.model.n_rec = 40;
    let h = cfg.model.n_rec;
    for (dale, radius) in [(None, 1.5), (Some(0.9), 0.9)] {
        cfg.model.dale = dale.map(|radius| DaleConfig {
            radius,
            ..DaleConfig::default()
        });
        let w = initial_w_rec(&cfg);
        let rho = spectral_radius(&w, h);
        assert!(
            (rho - radius).abs() < 1e-9,
            "radius {rho}, configured {radius}"
        );
        for (i, row) in w.chunks_exact(h).enumerate() {
            assert_eq!(row[i], 0.0, "no autapse at {i}");
            let sum: f64 = row.iter().sum();
            let scale: f64 = row.iter().map(|v| v.abs()).sum();
            assert!(sum.abs() < 1e-9 * scale, "row {i} unbalanced: {sum}");
        }
    }
}
