//! Times one [`Conv2d`] forward and backward pass (f32) at the shapes of the default conv-ctrnn
//! recipe (batch 64: stem, `rec_0`, `ff_1`, `rec_1`) and of seed 000's CNN (batch 128), medians
//! and minima over the rounds, with the products' rate (2 FLOPs a multiply-add; the backward
//! twice the forward with ∂x, once without). `cargo run --release -p neurodyn-nn --example
//! conv_timing [rounds [threads]]`;
//! `CONV_TIMING_ONLY=NAME` keeps the cases whose name starts with NAME. With `CONV_TIMING_BITS` set it also prints a hash of the
//! bits of `y`, `∂x` and `∂θ`, to compare two builds' results exactly.

use neurodyn_core::Rng;
use neurodyn_nn::layers::{numel, Conv2d, Layer, LayerCtx, Shape, WinogradTile};
use std::time::Instant;

struct Case {
    name: &'static str,
    in_shape: Shape,
    c_out: usize,
    k: usize,
    stride: usize,
    pad: usize,
    bias: bool,
    batch: usize,
    dx: bool,
}

fn median_min(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0])
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(31);
    let threads: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1);
    let case = |name, in_shape, c_out, k, stride, pad, bias, batch, dx| Case {
        name,
        in_shape,
        c_out,
        k,
        stride,
        pad,
        bias,
        batch,
        dx,
    };
    let cases = [
        case(
            "stem 1→16 5×5 28²",
            [1, 28, 28],
            16,
            5,
            1,
            2,
            false,
            64,
            false,
        ),
        case(
            "rec_0 16→16 14²",
            [16, 14, 14],
            16,
            3,
            1,
            1,
            false,
            64,
            true,
        ),
        case(
            "ff_1 16→32 s2 →7²",
            [16, 14, 14],
            32,
            3,
            2,
            1,
            false,
            64,
            true,
        ),
        case("rec_1 32→32 7²", [32, 7, 7], 32, 3, 1, 1, false, 64, true),
        case(
            "cnn conv1 1→6 28²",
            [1, 28, 28],
            6,
            3,
            1,
            1,
            true,
            128,
            false,
        ),
        case(
            "cnn conv2 6→16 14²",
            [6, 14, 14],
            16,
            3,
            1,
            1,
            true,
            128,
            true,
        ),
    ];
    let mut rng = Rng::new(1);
    println!("{rounds} rounds, {threads} thread(s); ms forward / backward, median (min), GFLOP/s");
    // CONV_TIMING_ONLY=rec_0 times the cases whose name starts so (e.g. for `perf`).
    let only = std::env::var("CONV_TIMING_ONLY").unwrap_or_default();
    // CONV_TIMING_WINOGRAD=1 computes the 3×3 stride-1 convolutions by Winograd F(m×m, 3×3)
    // (the tile chosen for the map; CONV_TIMING_TILE=2 or 4 sets it).
    let winograd = std::env::var_os("CONV_TIMING_WINOGRAD").is_some();
    let tile = match std::env::var("CONV_TIMING_TILE").as_deref() {
        Ok("2") => Some(WinogradTile::F2),
        Ok("4") => Some(WinogradTile::F4),
        _ => None,
    };
    for c in cases.iter().filter(|c| c.name.starts_with(&only)) {
        let conv = Conv2d::new(
            c.in_shape,
            c.c_out,
            (c.k, c.k),
            (c.stride, c.stride),
            (c.pad, c.pad),
            (1, 1),
            c.bias,
        )
        .expect("conv")
        .with_winograd(winograd);
        let conv = match tile {
            Some(t) if winograd => conv.with_winograd_tile(Some(t)),
            _ => conv,
        };
        let params: Vec<f32> = Layer::<f32>::init_params(&conv, &mut rng)
            .into_iter()
            .map(|v| v as f32)
            .collect();
        let x: Vec<f32> = (0..c.batch * numel(c.in_shape))
            .map(|_| rng.normal() as f32)
            .collect();
        let out = Layer::<f32>::out_shape(&conv);
        let n_out = c.batch * numel(out);
        let dy: Vec<f32> = (0..n_out).map(|_| rng.normal() as f32).collect();
        let ctx = LayerCtx {
            batch: c.batch,
            training: true,
            threads,
            seed: 0,
        };
        let mut scratch = Vec::new();
        let mut y = vec![0.0f32; n_out];
        let mut dx = vec![0.0f32; x.len()];
        let mut dp = vec![0.0f32; params.len()];
        let (mut tf, mut tb) = (Vec::new(), Vec::new());
        for r in 0..rounds + 2 {
            let t0 = Instant::now();
            Layer::<f32>::forward(&conv, &params, &x, &mut y, &mut scratch, ctx);
            let t1 = Instant::now();
            Layer::<f32>::backward(
                &conv,
                &params,
                &x,
                &y,
                &dy,
                c.dx.then_some(&mut dx[..]),
                &mut dp,
                &mut scratch,
                ctx,
            );
            let t2 = Instant::now();
            if r >= 2 {
                tf.push((t1 - t0).as_secs_f64() * 1e3);
                tb.push((t2 - t1).as_secs_f64() * 1e3);
            }
        }
        let flops = 2.0 * (c.batch * out[1] * out[2] * c.c_out * c.in_shape[0] * c.k * c.k) as f64;
        let (fm, f0) = median_min(tf);
        let (bm, b0) = median_min(tb);
        let bflops = flops * if c.dx { 2.0 } else { 1.0 };
        // A checksum so that runs of two builds can be compared by eye.
        let sum: f64 = y.iter().chain(&dx).chain(&dp).map(|&v| f64::from(v)).sum();
        if std::env::var_os("CONV_TIMING_BITS").is_some() {
            let bits = |v: &[f32]| {
                v.iter()
                    .fold(0u64, |h, &a| h.rotate_left(5) ^ u64::from(a.to_bits()))
            };
            println!(
                "  bits: y {:016x} dx {:016x} dp {:016x}",
                bits(&y),
                bits(&dx),
                bits(&dp)
            );
        }
        println!(
            "{:<22} fwd {fm:7.3} ({f0:7.3}) {:5.1}   bwd {bm:7.3} ({b0:7.3}) {:5.1}   sum {sum:.6e}",
            c.name,
            flops / fm * 1e-6,
            bflops / bm * 1e-6,
        );
    }
}
