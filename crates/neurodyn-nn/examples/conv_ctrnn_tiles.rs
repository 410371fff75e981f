//! Times one forward and backward pass of the default conv-ctrnn recipe's network (stem 16@5×5
//! pad 2 + average pool 2; areas 16×14×14 and 32×7×7; batch 64, 15 steps, 5 read) in f32 on one
//! thread, by im2col, by Winograd with the tile chosen per map, and by Winograd F(2×2) and
//! F(4×4) everywhere, the variants alternating in one process, each round starting one later, (so that the
//! host's load falls on all alike); medians and minima, ms. `cargo run --release -p neurodyn-nn
//! --example conv_ctrnn_tiles [rounds]`; `CONV_CTRNN_ONLY=NAME` keeps the variants whose name
//! starts with NAME (e.g. for `perf`); `CONV_CTRNN_BATCH=N` times batch N instead of 64;
//! with `CONV_CTRNN_BITS` set it prints a hash of each variant's logits and gradient, to compare
//! two builds' results exactly. Then the spontaneous phase (batch 1, 20 steps) of each variant.

use neurodyn_core::Rng;
use neurodyn_nn::layers::{
    AreaSpec, ConvCtrnn, ConvCtrnnWorkspace, InitState, Readout, StemSpec, WinogradTile,
};
use std::time::Instant;

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let stem = StemSpec {
        channels: 16,
        kernel: 5,
        stride: 1,
        padding: 2,
        pool: 2,
        pool_window: 2,
        pool_padding: 0,
    };
    let areas = [
        AreaSpec {
            channels: 16,
            stride: 1,
        },
        AreaSpec {
            channels: 32,
            stride: 2,
        },
    ];
    let net = ConvCtrnn::new([1, 28, 28], stem, &areas, Readout::Last, 10, 0.2).expect("net");
    let variants = [
        ("im2col", net.clone()),
        ("Winograd, tile per map", net.clone().with_winograd(true)),
        (
            "Winograd F(2×2)",
            net.clone().with_winograd_tile(Some(WinogradTile::F2)),
        ),
        (
            "Winograd F(4×4)",
            net.clone().with_winograd_tile(Some(WinogradTile::F4)),
        ),
    ];
    let only = std::env::var("CONV_CTRNN_ONLY").unwrap_or_default();
    let variants: Vec<_> = variants
        .into_iter()
        .filter(|(name, _)| name.starts_with(&only))
        .collect();
    let batch: usize = std::env::var("CONV_CTRNN_BATCH")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64);
    let (steps, read) = (15, 5);
    let mut rng = Rng::new(0);
    let params: Vec<f32> = (0..net.n_params())
        .map(|_| 0.1 * rng.normal() as f32)
        .collect();
    let image: Vec<f32> = (0..batch * 784).map(|_| rng.normal() as f32).collect();
    let d_logits: Vec<f32> = (0..read * batch * 10)
        .map(|_| rng.normal() as f32)
        .collect();
    let mut grads = vec![0.0f32; net.n_params()];
    let mut ws: Vec<ConvCtrnnWorkspace<f32>> = variants
        .iter()
        .map(|_| ConvCtrnnWorkspace::default())
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
    for round in 0..rounds + 2 {
        // Each round starts one variant later, so that none always follows the same one.
        for j in 0..variants.len() {
            let k = (round + j) % variants.len();
            let v = &variants[k].1;
            let t0 = Instant::now();
            v.forward(
                &params,
                &mut ws[k],
                &image,
                InitState::Zero,
                batch,
                steps,
                read,
            );
            v.backward(&params, &mut ws[k], &d_logits, &mut grads, None, None);
            if round >= 2 {
                times[k].push(t0.elapsed().as_secs_f64() * 1e3);
            }
            if round == 0 && std::env::var_os("CONV_CTRNN_BITS").is_some() {
                let bits = |v: &[f32]| {
                    v.iter()
                        .fold(0u64, |h, &a| h.rotate_left(5) ^ u64::from(a.to_bits()))
                };
                println!(
                    "{:<24} bits: logits {:016x} grads {:016x}",
                    variants[k].0,
                    bits(ws[k].all_logits()),
                    bits(&grads)
                );
            }
        }
    }
    println!("{rounds} rounds, batch {batch}, {steps} steps, one thread: forward + backward, ms");
    for ((name, _), mut t) in variants.iter().zip(times) {
        t.sort_by(f64::total_cmp);
        println!("{name:<24} median {:7.2}  min {:7.2}", t[t.len() / 2], t[0]);
    }
    // The training step's other pass: the spontaneous state (batch of one, 20 steps).
    println!("spontaneous phase (batch 1, 20 steps), ms");
    for (k, (name, v)) in variants.iter().enumerate() {
        let mut t: Vec<f64> = (0..rounds)
            .map(|_| {
                let t0 = Instant::now();
                std::hint::black_box(v.spontaneous(&params, &mut ws[k], 20));
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        t.sort_by(f64::total_cmp);
        println!("{name:<24} median {:7.3}  min {:7.3}", t[t.len() / 2], t[0]);
    }
}
