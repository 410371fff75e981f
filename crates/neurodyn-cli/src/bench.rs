//! `neurodyn bench`: time one training step (forward + BPTT + Adam) of the engine on the standard
//! configurations and, given a Python with torch and/or one with jax, reference implementations of
//! the same step on the same sizes in the same run, printing the ratios: the PyTorch tutorial CTRNN
//! in eager mode (`bench_torch.py`; `nn.GRU` for the GRU configuration, the same CNN or conv-ctrnn
//! for those configurations) and the same CTRNN or conv-ctrnn as one `jax.jit` function with
//! `lax.scan` over time, or the same CNN as one `jax.jit` function (`bench_jax.py`; CTRNN, CNN and
//! conv-ctrnn configurations). Each reference runs on the engine's thread count for that
//! configuration (its child is pinned with `taskset` to as many CPUs, where `taskset` exists); JAX
//! on two threads is also timed on one, and the faster setting marked. Engine and reference steps
//! alternate in ten blocks each (each reference runs in a child Python that times a block whenever
//! asked), so that a spell of load from other processes on a shared machine falls on all alike;
//! each block starts with 50 ms of untimed steps on its side ([`WARM_MS`]); medians and best steps
//! are printed for all, and each ratio is the reference's time over the engine's (median to median,
//! best to best). Also measures the GEMM peak on this machine, so the large configuration's
//! efficiency is a fraction of a peak measured side by side: best of six 1024³ products after each
//! configuration (on its thread count), two after each of a CTRNN configuration's blocks, and six
//! at the end, the best of all of them (a single best-of-six at the end read anywhere from 130 to
//! 178 GFLOP/s on two threads, depending on the host's load at that moment). A CTRNN's median step
//! is also set against the median of the products run between its own blocks: on a shared host
//! whose load changes from minute to minute, that compares the two under the same load.
//!
//! Configurations (T = time steps, B = batch):
//! - A: CTRNN 3→64→3, B 16, T 100 (the NeuroGym tutorial size)
//! - B: CTRNN 33→256→17, B 64, T 200 (two threads)
//! - C: A with Dale's law (80 % excitatory, |W| ⊙ sign, no autapses)
//! - GRU and light-GRU at A's size (GRU against PyTorch's `nn.GRU`, light-GRU engine-only)
//! - CNN16, CNN128: seed 000's CNN (the default `neurodyn train --task Mnist` network) on 1×28×28
//!   images, B 16 and 128, one thread; also images/s and the time of an epoch of 8,000 images
//! - CRNN: the default `conv-ctrnn` recipe's network and training step (spontaneous phase, 15
//!   steps, log-ramp loss over the last 5, BPTT, Adam) on 1×28×28 images at the recipe's batch
//!   (64), one thread, every convolution by im2col (`[model] winograd = false`); see
//!   [`conv_rnn`]
//! - CRNNW: CRNN as the recipe trains by default (`winograd = true`: its 3×3 stride-1
//!   convolutions by Winograd's F(4×4, 3×3)); its FLOPs and rates are counted as CRNN's, by
//!   direct convolution
//!
//! Memory at B: a child process (`neurodyn bench --memory-probe`) runs config B and reports its
//! peak resident memory above its baseline, next to the bytes that must exist: stored activations
//! (inputs, states, rates, caches and outputs of all steps) + weights + optimizer state.
//!
//! FLOPs per step: 2·T·B·(2·I·H + 3·H² + 3·H·O) (forward, and twice that for the backward); for a
//! CNN the products of its convolutions (lowered by im2col) and linear layers, see
//! [`feed_forward_flops`], with the convolutions also timed alone, so that both the whole step's
//! and the convolutions' rates are set against the GEMM peak; for the conv-ctrnn its convolutions
//! and readout, see [`conv_rnn`].

mod conv_rnn;

use anyhow::{Context, Result};
use clap::Args;
use neurodyn_core::Rng;
use neurodyn_nn::cells::{Ctrnn, CtrnnForm, Gru, LightGru};
use neurodyn_nn::constraint::{dale_signs, no_autapse_mask};
use neurodyn_nn::objective::BatchRef;
use neurodyn_nn::{
    Cell, Constraint, InitialState, LossTargets, Network, Objective, Optimizer, OptimizerConfig,
    Workspace,
};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `neurodyn bench`.
#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// A Python interpreter with torch installed, to time the PyTorch reference in the same run.
    #[arg(long)]
    pub torch_python: Option<PathBuf>,
    /// A Python interpreter with jax installed, to time a JAX reference (the CTRNN or the
    /// conv-ctrnn under `jax.jit`, `lax.scan` over time, or the CNN under `jax.jit`) in the same
    /// run; with --torch-python, both alternate with the engine.
    #[arg(long)]
    pub jax_python: Option<PathBuf>,
    /// Timed repetitions per configuration (median and best reported).
    #[arg(long, default_value_t = 30)]
    pub reps: usize,
    /// Only these configurations (comma-separated: A,B,C,GRU,LGRU,CNN16,CNN128,CRNN,CRNNW).
    #[arg(long, default_value = "A,B,C,GRU,LGRU,CNN16,CNN128,CRNN,CRNNW")]
    pub only: String,
    /// Threads for config B, instead of its own two (both cores).
    #[arg(long)]
    pub threads_b: Option<usize>,
    /// Threads for every configuration but B (A, C, GRU, LGRU, CNN16, CNN128, CRNN, CRNNW),
    /// instead of their own one.
    #[arg(long)]
    pub threads_small: Option<usize>,
    /// Internal: run config B once and print peak memory (used by the parent bench).
    #[arg(long, hide = true)]
    pub memory_probe: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ctrnn,
    Gru,
    LightGru,
    /// Seed 000's CNN on 1×28×28 images (`n_in` pixels, `n_out` classes; `steps` unused).
    Cnn,
    /// The default conv-ctrnn recipe on 1×28×28 images (`n_in` pixels, `n_out` classes, `steps`
    /// the recipe's image steps; `n_rec` unused).
    ConvRnn,
}

struct Config {
    name: &'static str,
    kind: Kind,
    n_in: usize,
    n_rec: usize,
    n_out: usize,
    batch: usize,
    steps: usize,
    dale: bool,
    threads: usize,
}

const CONFIGS: [Config; 9] = [
    Config {
        name: "A",
        kind: Kind::Ctrnn,
        n_in: 3,
        n_rec: 64,
        n_out: 3,
        batch: 16,
        steps: 100,
        dale: false,
        threads: 1,
    },
    Config {
        name: "B",
        kind: Kind::Ctrnn,
        n_in: 33,
        n_rec: 256,
        n_out: 17,
        batch: 64,
        steps: 200,
        dale: false,
        threads: 2,
    },
    Config {
        name: "C",
        kind: Kind::Ctrnn,
        n_in: 3,
        n_rec: 64,
        n_out: 3,
        batch: 16,
        steps: 100,
        dale: true,
        threads: 1,
    },
    Config {
        name: "GRU",
        kind: Kind::Gru,
        n_in: 3,
        n_rec: 64,
        n_out: 3,
        batch: 16,
        steps: 100,
        dale: false,
        threads: 1,
    },
    Config {
        name: "LGRU",
        kind: Kind::LightGru,
        n_in: 3,
        n_rec: 64,
        n_out: 3,
        batch: 16,
        steps: 100,
        dale: false,
        threads: 1,
    },
    Config {
        name: "CNN16",
        kind: Kind::Cnn,
        n_in: 784,
        n_rec: 0,
        n_out: 10,
        batch: 16,
        steps: 1,
        dale: false,
        threads: 1,
    },
    Config {
        name: "CNN128",
        kind: Kind::Cnn,
        n_in: 784,
        n_rec: 0,
        n_out: 10,
        batch: 128,
        steps: 1,
        dale: false,
        threads: 1,
    },
    Config {
        name: "CRNN",
        kind: Kind::ConvRnn,
        n_in: 784,
        n_rec: 0,
        n_out: 10,
        batch: 64,
        steps: 15,
        dale: false,
        threads: 1,
    },
    Config {
        name: "CRNNW",
        kind: Kind::ConvRnn,
        n_in: 784,
        n_rec: 0,
        n_out: 10,
        batch: 64,
        steps: 15,
        dale: false,
        threads: 1,
    },
];

/// Training images in one epoch of the CNN configurations (the embedded digits' training split).
const EPOCH_IMAGES: usize = 8000;

/// The CPU's model name, its SIMD flags and the path the engine's kernels run, for the record
/// beside every speed figure.
fn machine_line() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |key: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    };
    let model = field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let flags = field("flags").unwrap_or_default();
    let mut simd: Vec<&str> = flags
        .split_whitespace()
        .filter(|f| f.starts_with("avx") || *f == "fma" || f.starts_with("sse4"))
        .collect();
    simd.sort_unstable();
    simd.dedup();
    format!(
        "CPU: {model}; SIMD flags: {}; engine kernels: {} (of {}); {} CPU(s)",
        if simd.is_empty() {
            "(none read)".to_string()
        } else {
            simd.join(" ")
        },
        neurodyn_nn::kernels::Simd::active(),
        neurodyn_nn::kernels::Simd::all_supported()
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
}

fn flops(c: &Config) -> f64 {
    let (t, b, i, h, o) = (
        c.steps as f64,
        c.batch as f64,
        c.n_in as f64,
        c.n_rec as f64,
        c.n_out as f64,
    );
    2.0 * t * b * (2.0 * i * h + 3.0 * h * h + 3.0 * h * o)
}

/// FLOPs of one training step of a feed-forward network at batch `n`: (its convolutions, the whole
/// step). Counted are the products, 2 FLOPs per multiply-add, as the engine runs them (a
/// convolution lowered by im2col onto one GEMM per sample):
/// - a convolution's forward pass 2·N·C_out·C_in·k²·H·W (H×W its output), its backward twice that
///   (∂W = ∂Y·colsᵀ and ∂cols = Wᵀ·∂Y), except the first layer's, which needs no ∂x (once);
/// - a linear layer's forward pass 2·N·in·out, its backward twice that (∂W and ∂x; once for a
///   first layer).
///
/// Not counted: biases, activations, pooling, im2col/col2im copies, the loss and Adam (all
/// O(N·units) or O(parameters)). Seed 000's CNN: 1,185,408 FLOPs per sample in the convolutions
/// (conv1 2·6·1·9·28² = 84,672 forward, once more backward; conv2 2·16·6·9·14² = 338,688 forward,
/// twice that backward) and 630,000 in the linear layers (3·2·(784·120 + 120·84 + 84·10)):
/// 1,815,408 per sample, 29.0 MFLOP per step at batch 16 and 232.4 at batch 128.
fn feed_forward_flops(net: &neurodyn_nn::layers::FeedForward<f32>, n: usize) -> (f64, f64) {
    let (mut conv, mut all) = (0.0, 0.0);
    for (l, layer) in net.layers.iter().enumerate() {
        // The weight tensor comes first: C_out·C_in·k² or out·in multiply-adds per output pixel.
        let weights = layer.params().first().map_or(0, |p| p.1) as f64;
        let forward = match layer.kind() {
            "conv2d" => {
                let out = layer.out_shape();
                2.0 * n as f64 * weights * (out[1] * out[2]) as f64
            }
            "linear" => 2.0 * n as f64 * weights,
            _ => 0.0,
        };
        let step = forward * if l == 0 { 2.0 } else { 3.0 };
        if layer.kind() == "conv2d" {
            conv += step;
        }
        all += step;
    }
    (conv, all)
}

/// [`feed_forward_flops`] of a CNN configuration's network at its batch.
fn cnn_flops(c: &Config) -> (f64, f64) {
    feed_forward_flops(&CnnEngine::network(c, &mut Rng::new(0)), c.batch)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn cell(c: &Config, rng: &mut Rng) -> Box<dyn Cell<f32>> {
    match c.kind {
        Kind::Gru => Box::new(Gru::<f32>::new(c.n_in, c.n_rec, rng)),
        Kind::LightGru => Box::new(LightGru::<f32>::new(c.n_in, c.n_rec, rng)),
        Kind::Cnn | Kind::ConvRnn => {
            unreachable!("a CNN or conv-ctrnn configuration has no `Cell`")
        }
        Kind::Ctrnn => {
            let mut cell = Ctrnn::<f32>::new(c.n_in, c.n_rec, 20.0, 100.0, rng);
            cell.form = CtrnnForm::Tutorial;
            if c.dale {
                cell.c_rec = Constraint {
                    conn: Some(no_autapse_mask(c.n_rec)),
                    col_sign: Some(dale_signs(c.n_rec, 0.8)),
                    ..Constraint::none(c.n_rec, c.n_rec)
                };
            }
            Box::new(cell)
        }
    }
}

/// Median and minimum of a set of timings (ms).
#[derive(Clone, Copy)]
struct Timing {
    median: f64,
    min: f64,
}

impl Timing {
    fn of(v: Vec<f64>) -> Timing {
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        Timing {
            median: median(v),
            min,
        }
    }
}

/// The engine's side of one configuration, ready to time training steps.
enum Engine {
    Rnn(Box<RnnEngine>),
    Cnn(Box<CnnEngine>),
    ConvRnn(Box<conv_rnn::ConvRnnEngine>),
}

impl Engine {
    /// Build the configuration on `threads` threads and take three untimed steps.
    fn new(c: &Config, threads: usize) -> Engine {
        match c.kind {
            Kind::Cnn => Engine::Cnn(Box::new(CnnEngine::new(c, threads))),
            Kind::ConvRnn => Engine::ConvRnn(Box::new(conv_rnn::ConvRnnEngine::new(c, threads))),
            _ => Engine::Rnn(Box::new(RnnEngine::new(c, threads))),
        }
    }

    /// Untimed training steps for at least `ms` milliseconds (at least one).
    fn warm(&mut self, ms: f64) {
        let t0 = Instant::now();
        loop {
            self.run(1);
            if t0.elapsed().as_secs_f64() * 1e3 >= ms {
                break;
            }
        }
    }

    /// Time `k` training steps (forward, loss, backward, Adam), in milliseconds.
    fn run(&mut self, k: usize) -> Vec<f64> {
        match self {
            Engine::Rnn(e) => e.run(k),
            Engine::Cnn(e) => e.run(k),
            Engine::ConvRnn(e) => e.run(k),
        }
    }
}

/// Seed 000's CNN (the default `neurodyn train --task Mnist` network), a batch of random images
/// and labels, and Adam.
struct CnnEngine {
    net: neurodyn_nn::layers::FeedForward<f32>,
    ws: neurodyn_nn::layers::StackWorkspace<f32>,
    opt: Optimizer,
    g: Vec<f32>,
    d_out: Vec<f32>,
    x: Vec<f32>,
    labels: Vec<i64>,
    batch: usize,
    threads: usize,
}

impl CnnEngine {
    /// Seed 000's CNN with its initial weights from `rng`.
    fn network(c: &Config, rng: &mut Rng) -> neurodyn_nn::layers::FeedForward<f32> {
        use neurodyn_train::vision::config::{default_layers, NetKind};
        let layers = default_layers(NetKind::Cnn, c.n_out);
        neurodyn_train::vision::network::build(&layers, [1, 28, 28], c.n_out, rng)
            .expect("the default CNN builds")
            .net
    }

    fn new(c: &Config, threads: usize) -> CnnEngine {
        let mut rng = Rng::new(0);
        let net = CnnEngine::network(c, &mut rng);
        let x: Vec<f32> = (0..c.batch * c.n_in).map(|_| rng.normal() as f32).collect();
        let labels: Vec<i64> = (0..c.batch)
            .map(|_| rng.below(c.n_out as u64) as i64)
            .collect();
        let opt = Optimizer::new(OptimizerConfig::default(), net.params.len());
        let g = vec![0.0f32; net.params.len()];
        let mut e = CnnEngine {
            net,
            ws: Default::default(),
            opt,
            g,
            d_out: Vec::new(),
            x,
            labels,
            batch: c.batch,
            threads,
        };
        e.run(3);
        e
    }

    /// Time `k` passes of the convolutions alone, in milliseconds: each convolution's forward and
    /// backward pass (∂W and ∂b, and ∂x but for the first layer, as in a step) on its input of
    /// the last step, the output as the gradient arriving from above (dense, as a step's is to
    /// the products, which do not skip zeros).
    fn run_convs(&mut self, k: usize) -> Vec<f64> {
        use neurodyn_nn::layers::LayerCtx;
        let _ftz = neurodyn_nn::kernels::FlushDenormals::new();
        let ctx = LayerCtx {
            batch: self.batch,
            training: true,
            threads: self.threads,
            seed: 0,
        };
        let convs: Vec<usize> = (0..self.net.layers.len())
            .filter(|&l| self.net.layers[l].kind() == "conv2d")
            .collect();
        let mut bufs: Vec<_> = convs
            .iter()
            .map(|&l| {
                let x_len = self.ws.acts[l].len();
                let y = self.ws.acts[l + 1].clone();
                let n_params = self.net.param_range(l).len();
                (y.clone(), y, vec![0.0f32; x_len], vec![0.0f32; n_params])
            })
            .collect();
        let mut scratch = Vec::new();
        (0..k)
            .map(|_| {
                let t0 = Instant::now();
                for (&l, (y, dy, dx, dp)) in convs.iter().zip(bufs.iter_mut()) {
                    let layer = &self.net.layers[l];
                    let params = &self.net.params[self.net.param_range(l)];
                    let x = &self.ws.acts[l];
                    layer.forward(params, x, y, &mut scratch, ctx);
                    let dx = (l > 0).then_some(&mut dx[..]);
                    layer.backward(params, x, y, dy, dx, dp, &mut scratch, ctx);
                }
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    }

    fn run(&mut self, k: usize) -> Vec<f64> {
        (0..k)
            .map(|_| {
                let t0 = Instant::now();
                self.net
                    .forward(&mut self.ws, &self.x, self.batch, true, self.threads);
                self.net
                    .cross_entropy(&self.ws, &self.labels, &mut self.d_out);
                self.net.backward(&mut self.ws, &self.d_out, &mut self.g);
                self.opt.update(&mut self.net.params, &self.g, 1e-3);
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    }
}

/// A recurrent network, a batch and an optimizer of one configuration.
struct RnnEngine {
    net: Network<f32>,
    ws: Workspace<f32>,
    opt: Optimizer,
    g: Vec<f32>,
    inputs: Vec<f32>,
    targets: Vec<i64>,
    mask: Vec<f32>,
    steps: usize,
    batch: usize,
}

impl RnnEngine {
    fn new(c: &Config, threads: usize) -> RnnEngine {
        let mut rng = Rng::new(0);
        let cell = cell(c, &mut rng);
        let mut net = Network::new(
            cell,
            c.n_out,
            Constraint::none(c.n_out, c.n_rec),
            InitialState::Zero,
            &mut rng,
        );
        net.threads = threads;
        let inputs: Vec<f32> = (0..c.steps * c.batch * c.n_in)
            .map(|_| rng.normal() as f32)
            .collect();
        let targets: Vec<i64> = (0..c.steps * c.batch)
            .map(|_| rng.below(c.n_out as u64) as i64)
            .collect();
        let opt = Optimizer::new(OptimizerConfig::default(), net.params.len());
        let g = vec![0.0f32; net.params.len()];
        let mut e = RnnEngine {
            net,
            ws: Workspace::default(),
            opt,
            g,
            inputs,
            targets,
            mask: vec![1.0f32; c.steps * c.batch],
            steps: c.steps,
            batch: c.batch,
        };
        e.run(3);
        e
    }

    fn run(&mut self, k: usize) -> Vec<f64> {
        let b = BatchRef {
            inputs: &self.inputs,
            targets: LossTargets::Class(&self.targets),
            mask: &self.mask,
            n_steps: self.steps,
            batch: self.batch,
        };
        let obj = Objective::default();
        (0..k)
            .map(|_| {
                let t0 = Instant::now();
                obj.evaluate(
                    &mut self.net,
                    &mut self.ws,
                    b,
                    None,
                    None,
                    true,
                    Some(&mut self.g),
                );
                self.opt.update(&mut self.net.params, &self.g, 0.01);
                t0.elapsed().as_secs_f64() * 1e3
            })
            .collect()
    }
}

/// Which reference implementation a child Python runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum RefKind {
    /// `bench_torch.py`: PyTorch eager, the tutorial's Python loop over time (or `nn.GRU`).
    Torch,
    /// `bench_jax.py`: the whole training step under `jax.jit`, `lax.scan` over time.
    Jax,
}

impl RefKind {
    fn name(self) -> &'static str {
        match self {
            RefKind::Torch => "torch",
            RefKind::Jax => "jax",
        }
    }

    fn script(self) -> &'static str {
        match self {
            RefKind::Torch => include_str!("bench_torch.py"),
            RefKind::Jax => include_str!("bench_jax.py"),
        }
    }
}

/// One reference to time beside the engine: which, in which Python, on how many threads.
#[derive(Clone, Debug)]
struct RefSpec {
    kind: RefKind,
    python: PathBuf,
    threads: usize,
}

impl RefSpec {
    /// What the output line calls it, e.g. `PyTorch eager (tutorial CTRNN, 2 threads)`.
    fn label(&self, c: &Config) -> String {
        let threads = plural_threads(self.threads);
        match (self.kind, c.kind) {
            (RefKind::Torch, Kind::Gru) => format!("PyTorch eager (nn.GRU, {threads})"),
            (RefKind::Torch, Kind::Cnn) => format!("PyTorch eager (the same CNN, {threads})"),
            (RefKind::Torch, Kind::ConvRnn) => {
                format!("PyTorch eager (the same conv-ctrnn, {threads})")
            }
            (RefKind::Torch, _) => format!("PyTorch eager (tutorial CTRNN, {threads})"),
            (RefKind::Jax, Kind::Cnn) => format!("JAX jit (the same CNN, {threads})"),
            (RefKind::Jax, Kind::ConvRnn) => {
                format!("JAX jit (the same conv-ctrnn, lax.scan, {threads})")
            }
            (RefKind::Jax, _) => format!("JAX jit (tutorial CTRNN, lax.scan, {threads})"),
        }
    }

    /// What the ratio is taken against, e.g. `PyTorch eager`.
    fn short(&self) -> &'static str {
        match self.kind {
            RefKind::Torch => "PyTorch eager",
            RefKind::Jax => "JAX jit",
        }
    }
}

fn plural_threads(n: usize) -> String {
    if n == 1 {
        "1 thread".to_string()
    } else {
        format!("{n} threads")
    }
}

/// `taskset`, when it is on the `PATH`.
fn taskset() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("taskset"))
            .find(|p| p.is_file())
    })
}

/// Distinguishes the temporary files of the references one bench starts.
static REF_SERIAL: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A reference of one configuration, running in a child Python that times `k` steps whenever it
/// reads `k` on its standard input.
struct Reference {
    kind: RefKind,
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    stdout: std::io::BufReader<std::process::ChildStdout>,
    script: PathBuf,
    /// The child's standard error goes to a file (a pipe nobody reads could fill and stall it),
    /// read back as the reason when the child fails.
    stderr: PathBuf,
}

impl Reference {
    /// Start the reference on `spec.threads` threads: the thread count goes into its JSON config
    /// (the script sets `torch.set_num_threads`, or XLA's single-thread flags), OMP_NUM_THREADS
    /// and MKL_NUM_THREADS are set to it, and where `taskset` exists the child is pinned to CPUs
    /// 0..threads (the engine's threads have those CPUs too).
    fn start(spec: &RefSpec, c: &Config) -> Result<Reference> {
        use std::process::Stdio;
        let name = spec.kind.name();
        let serial = REF_SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base = std::env::temp_dir().join(format!(
            "neurodyn_bench_{name}_{}_{serial}",
            std::process::id()
        ));
        let script = base.with_extension("py");
        let stderr = base.with_extension("err");
        std::fs::write(&script, spec.kind.script())
            .with_context(|| format!("writing the {name} script"))?;
        let err_file = std::fs::File::create(&stderr)
            .with_context(|| format!("creating {}", stderr.display()))?;
        let mut cfg = serde_json::json!({"n_in": c.n_in, "n_rec": c.n_rec, "n_out": c.n_out,
            "batch": c.batch, "steps": c.steps, "dale": c.dale, "gru": c.kind == Kind::Gru,
            "cnn": c.kind == Kind::Cnn,
            "serve": true, "warm_ms": WARM_MS, "threads": spec.threads});
        if c.kind == Kind::ConvRnn {
            cfg["crnn"] = conv_rnn::reference_spec();
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut cmd = match taskset() {
            Some(ts) if spec.threads <= cpus => {
                let mut cmd = std::process::Command::new(ts);
                let list = if spec.threads == 1 {
                    "0".to_string()
                } else {
                    format!("0-{}", spec.threads - 1)
                };
                cmd.arg("-c").arg(list).arg(&spec.python);
                cmd
            }
            _ => std::process::Command::new(&spec.python),
        };
        let n = spec.threads.to_string();
        let mut child = cmd
            .arg(&script)
            .arg(cfg.to_string())
            .env("OMP_NUM_THREADS", &n)
            .env("MKL_NUM_THREADS", &n)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(err_file))
            .spawn()
            .with_context(|| format!("running {}", spec.python.display()))?;
        let stdin = child
            .stdin
            .take()
            .with_context(|| format!("the {name} reference's stdin"))?;
        let stdout = std::io::BufReader::new(child.stdout.take().context("its stdout")?);
        let mut t = Reference {
            kind: spec.kind,
            child,
            stdin,
            stdout,
            script,
            stderr,
        };
        // Python's start, the import of torch or jax, JAX's compilation and the reference's
        // warm-up steps take a core for a second or more: wait for them to end before any engine
        // step is timed.
        let line = t.answer()?;
        if !line.contains("\"ready\"") {
            anyhow::bail!("the {name} reference did not start: {}", line.trim());
        }
        Ok(t)
    }

    /// One line of the reference's output, or its standard error as the reason it has none.
    fn answer(&mut self) -> Result<String> {
        use std::io::BufRead;
        let mut line = String::new();
        let read = self.stdout.read_line(&mut line);
        if read.is_err() || line.trim().is_empty() {
            // The child closed its output: wait for it, so that all it wrote is in the file.
            let _ = self.child.wait();
            let err = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            anyhow::bail!("the {} reference failed: {}", self.kind.name(), err.trim());
        }
        Ok(line)
    }

    /// Time `k` training steps of the reference, in milliseconds.
    fn run(&mut self, k: usize) -> Result<Vec<f64>> {
        use std::io::Write;
        // A failed write shows as the reference's missing answer, with its standard error.
        let _ = writeln!(self.stdin, "{k}").and_then(|()| self.stdin.flush());
        let line = self.answer()?;
        let name = self.kind.name();
        let v: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("parsing the {name} reference's output"))?;
        v["times_ms"]
            .as_array()
            .map(|t| t.iter().filter_map(serde_json::Value::as_f64).collect())
            .with_context(|| format!("the {name} reference printed no times"))
    }
}

impl Drop for Reference {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.script);
        let _ = std::fs::remove_file(&self.stderr);
    }
}

/// The timings of one configuration.
struct SideBySide {
    engine: Timing,
    /// Each reference asked for, with its timing.
    references: Vec<(RefSpec, Timing)>,
    /// GFLOP/s of the 1024³ products run after each block (on the configuration's threads), when
    /// asked for.
    gemm: Vec<f64>,
    /// A CNN's convolutions alone (forward and backward, ms per step), timed after each of its
    /// engine blocks; empty for the other configurations.
    convs: Vec<f64>,
}

/// Engine and references (when given) timed in alternating blocks, [`ROUNDS`] of each, so that a
/// spell of load from other processes falls on all alike; with `gemm`, two 1024³ products on
/// the same threads follow each block, so that the engine's rate can also be set against the
/// GEMM rate under the same load.
fn time_side_by_side(
    c: &Config,
    threads: usize,
    reps: usize,
    refs: &[RefSpec],
    gemm: bool,
) -> Result<SideBySide> {
    let mut engine = Engine::new(c, threads);
    let mut children = refs
        .iter()
        .map(|s| Reference::start(s, c))
        .collect::<Result<Vec<_>>>()?;
    let (mut e, mut g, mut convs) = (Vec::new(), Vec::new(), Vec::new());
    let mut t = vec![Vec::new(); refs.len()];
    let t_reps = reps.min(15);
    for r in 0..ROUNDS {
        let share = |n: usize| n * (r + 1) / ROUNDS - n * r / ROUNDS;
        engine.warm(WARM_MS);
        e.extend(engine.run(share(reps).max(1)));
        if let Engine::Cnn(cnn) = &mut engine {
            convs.extend(cnn.run_convs(share(reps).max(1)));
        }
        for (p, times) in children.iter_mut().zip(t.iter_mut()) {
            times.extend(p.run(share(t_reps).max(1))?);
        }
        if gemm {
            g.extend(gemm_rates(threads, 2));
        }
    }
    drop(children);
    Ok(SideBySide {
        engine: Timing::of(e),
        references: refs
            .iter()
            .cloned()
            .zip(t.into_iter().map(Timing::of))
            .collect(),
        gemm: g,
        convs,
    })
}

/// Blocks of engine and reference steps in a side-by-side timing.
const ROUNDS: usize = 10;

/// Untimed steps before each block, on both sides (milliseconds, at least one step): the first
/// steps after the other side's block ran on a core that sat idle, with cold caches (A's first
/// steps took 0.9–1.9 ms against 0.72–0.83 for the rest of their block), which a training run,
/// one step after another, does not see. The reference's serving script is given the same.
const WARM_MS: f64 = 50.0;

/// GFLOP/s of each of `count` large f32 GEMMs (1024³) on `threads` threads.
fn gemm_rates(threads: usize, count: usize) -> Vec<f64> {
    let n = 1024;
    let mut rng = Rng::new(1);
    let a: Vec<f32> = (0..n * n).map(|_| rng.normal() as f32).collect();
    let b: Vec<f32> = (0..n * n).map(|_| rng.normal() as f32).collect();
    let mut c = vec![0.0f32; n * n];
    let m = neurodyn_nn::linalg::m;
    let tn = neurodyn_nn::linalg::Trans::N;
    (0..count)
        .map(|_| {
            let t0 = Instant::now();
            neurodyn_nn::linalg::gemm(
                &mut c,
                n,
                n,
                m(&a, n, n),
                tn,
                m(&b, n, n),
                tn,
                false,
                threads,
            );
            2.0 * (n as f64).powi(3) / t0.elapsed().as_secs_f64() / 1e9
        })
        .collect()
}

/// GFLOP/s of a large f32 GEMM on `threads` threads (best of a few).
fn gemm_peak(threads: usize) -> f64 {
    gemm_rates(threads, 6).into_iter().fold(0.0, f64::max)
}

fn status_kib(key: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// In the child: run config B for a few steps on `threads` threads; print baseline RSS, peak RSS
/// and required bytes.
fn memory_probe(threads: usize) -> Result<()> {
    let c = &CONFIGS[1];
    let base = status_kib("VmRSS:").context("reading /proc/self/status")?;
    Engine::new(c, threads).run(2);
    let peak = status_kib("VmHWM:").context("reading /proc/self/status")?;
    let (t, b, i, h, o) = (c.steps, c.batch, c.n_in, c.n_rec, c.n_out);
    let n_params = h * i + h * h + h + o * h + o;
    // Stored activations: inputs, states and rates (T+1 blocks), caches (2H per sample-step for
    // this form) and outputs. The projected inputs are not counted: the backward pass does not
    // read them, and a pass this long keeps only one step of them.
    let acts = t * b * i + 2 * (t + 1) * b * h + 2 * t * b * h + t * b * o;
    let need = 4 * (acts + n_params) + 16 * n_params; // f32 activations/weights, f64 Adam moments
    println!(
        "{}",
        serde_json::json!({"baseline_kib": base, "peak_kib": peak, "required_bytes": need})
    );
    Ok(())
}

/// Peak memory of config B on `threads` threads, in a child process, and the bytes it must hold.
fn measure_memory(threads: usize) -> Result<(f64, f64)> {
    let exe = std::env::current_exe().context("locating the neurodyn binary")?;
    let out = std::process::Command::new(exe)
        .args([
            "bench",
            "--memory-probe",
            "--threads-b",
            &threads.to_string(),
        ])
        .output()
        .context("running the memory probe")?;
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("parsing the memory probe")?;
    let used = (v["peak_kib"].as_f64().unwrap_or(0.0) - v["baseline_kib"].as_f64().unwrap_or(0.0))
        * 1024.0;
    Ok((used, v["required_bytes"].as_f64().unwrap_or(f64::NAN)))
}

/// The references to time beside configuration `c` on `threads` threads: PyTorch (CTRNN, GRU, CNN
/// and conv-ctrnn) on the engine's thread count; JAX (CTRNN, CNN and conv-ctrnn) on the engine's
/// thread count and, where that is more than one, also on one thread (XLA's threading does not
/// always pay at these sizes; the faster setting is marked).
fn references(a: &BenchArgs, c: &Config, threads: usize) -> Vec<RefSpec> {
    let mut refs = Vec::new();
    if let Some(py) = a.torch_python.as_ref().filter(|_| c.kind != Kind::LightGru) {
        refs.push(RefSpec {
            kind: RefKind::Torch,
            python: py.clone(),
            threads,
        });
    }
    if let Some(py) = a.jax_python.as_ref().filter(|_| has_jax(c)) {
        let mut settings = vec![threads];
        if threads > 1 {
            settings.push(1);
        }
        for n in settings {
            refs.push(RefSpec {
                kind: RefKind::Jax,
                python: py.clone(),
                threads: n,
            });
        }
    }
    refs
}

/// Whether `bench_jax.py` has a reference for configuration `c`.
fn has_jax(c: &Config) -> bool {
    matches!(c.kind, Kind::Ctrnn | Kind::Cnn | Kind::ConvRnn)
}

/// Run `neurodyn bench`.
pub fn run(a: BenchArgs) -> Result<()> {
    if a.memory_probe {
        return memory_probe(a.threads_b.unwrap_or(CONFIGS[1].threads));
    }
    let wanted: Vec<&str> = a.only.split(',').map(str::trim).collect();
    println!("{}", machine_line());
    // The GEMM peak is sampled after each configuration on that configuration's thread count, and
    // once more on both at the end: a two-thread sample only ever follows a configuration that
    // already started the thread pool, so no idle workers appear before a single-threaded one that
    // would not have had them anyway.
    let mut rows = Vec::new();
    // The best GEMM rate seen on one and on two threads.
    let mut peaks = [0.0f64; 2];
    for c in CONFIGS.iter().filter(|c| wanted.contains(&c.name)) {
        let threads = if c.name == "B" {
            a.threads_b
        } else {
            a.threads_small
        }
        .unwrap_or(c.threads);
        let timed = time_side_by_side(
            c,
            threads,
            a.reps,
            &references(&a, c, threads),
            matches!(c.kind, Kind::Ctrnn | Kind::Cnn | Kind::ConvRnn),
        )?;
        let memory = if c.name == "B" {
            Some(measure_memory(threads)?)
        } else {
            None
        };
        let k = usize::from(threads > 1);
        peaks[k] = timed
            .gemm
            .iter()
            .fold(peaks[k].max(gemm_peak(k + 1)), |a, &b| a.max(b));
        rows.push((c, threads, timed, memory));
    }
    let peak1 = peaks[0].max(gemm_peak(1));
    let peak2 = peaks[1].max(gemm_peak(2));
    println!(
        "GEMM peak (f32, 1024³): {peak1:.1} GFLOP/s on 1 thread, {peak2:.1} GFLOP/s on 2 threads"
    );
    // The FLOP count of a CNN is spelled out once, under the first.
    let mut flops_explained = false;
    for (c, threads, timed, memory) in rows {
        let e = timed.engine;
        let peak = if threads > 1 { peak2 } else { peak1 };
        if c.kind == Kind::ConvRnn {
            print!(
                "config {}: {}, batch {}, {} thread(s): {:.3} ms/step (best {:.3}); {:.0} images/s",
                c.name,
                conv_rnn::describe(c),
                c.batch,
                threads,
                e.median,
                e.min,
                c.batch as f64 / (e.median / 1e3),
            );
        } else if c.kind == Kind::Cnn {
            print!(
                "config {}: seed 000's CNN on 1×28×28 images, batch {}, {} thread(s): {:.3} ms/step (best {:.3}); {:.0} images/s, an epoch of {EPOCH_IMAGES} images ≈ {:.2} s",
                c.name,
                c.batch,
                threads,
                e.median,
                e.min,
                c.batch as f64 / (e.median / 1e3),
                EPOCH_IMAGES as f64 / c.batch as f64 * e.median / 1e3
            );
        } else {
            print!(
            "config {}: {}→{}→{}{}, batch {}, {} steps, {} thread(s): {:.3} ms/step (best {:.3})",
            c.name,
            c.n_in,
            c.n_rec,
            c.n_out,
            if c.dale { " Dale" } else { "" },
            c.batch,
            c.steps,
            threads,
            e.median,
            e.min
        );
        }
        // A CNN's FLOPs: (its convolutions, the whole step).
        let cnn = (c.kind == Kind::Cnn).then(|| cnn_flops(c));
        let crnn = (c.kind == Kind::ConvRnn).then(|| conv_rnn::step_flops(c));
        if c.kind == Kind::Ctrnn || cnn.is_some() || crnn.is_some() {
            let step_flops = match (cnn, crnn) {
                (Some(f), _) => f.1,
                (_, Some(f)) => f.3,
                _ => flops(c),
            };
            let gflops = |ms: f64| step_flops / (ms / 1e3) / 1e9;
            // The peak is a best-of measurement, so the step is set against it both as the
            // median and as the best step; and the median step against the median of the GEMMs
            // run between its blocks, under the same load.
            let same_load = median(timed.gemm.clone());
            print!(
                " ({:.1} GFLOP/s, {:.0} % of the {threads}-thread GEMM peak; best step {:.0} %; {:.0} % of the median GEMM rate between its blocks, {:.1} GFLOP/s",
                gflops(e.median),
                100.0 * gflops(e.median) / peak,
                100.0 * gflops(e.min) / peak,
                100.0 * gflops(e.median) / same_load,
                same_load
            );
            if let (Some((conv_flops, _)), false) = (cnn, timed.convs.is_empty()) {
                let t = Timing::of(timed.convs.clone());
                let rate = |ms: f64| conv_flops / (ms / 1e3) / 1e9;
                print!(
                    "; the convolutions alone: {:.3} ms/step (best {:.3}), {:.1} GFLOP/s, {:.0} % of the peak (best {:.0} %), {:.0} % of the same-load GEMM rate",
                    t.median,
                    t.min,
                    rate(t.median),
                    100.0 * rate(t.median) / peak,
                    100.0 * rate(t.min) / peak,
                    100.0 * rate(t.median) / same_load
                );
            }
            print!(")");
        }
        println!();
        if let Some((fwd, bwd, spont, step_flops)) = crnn {
            println!(
                "  FLOPs counted per step: {:.3} G ({:.2} M forward and {:.2} M backward per image, {:.2} M the spontaneous phase, the first step's recurrent convolutions once per batch; the products only, 2 per multiply-add: a convolution's forward 2·N·C_out·C_in·k²·H·W by im2col, its backward twice that, the stem's once; the readout's 2·C·classes per read step; per-unit biases, activations, pooling, the loss and Adam not counted){}",
                step_flops / 1e9,
                fwd / 1e6,
                bwd / 1e6,
                spont / 1e6,
                if conv_rnn::winograd(c) {
                    "; counted as CRNN's: Winograd's products in the 3×3 stride-1 convolutions are 3.06 times fewer (F(4×4) on 14×14 and 7×7 maps, whose last tiles are partly padding), so the rates here are by direct convolution"
                } else {
                    ""
                }
            );
        }
        if let Some((conv_flops, step_flops)) = cnn {
            print!(
                "  FLOPs counted per step: {:.2} M, of which the convolutions {:.2} M",
                step_flops / 1e6,
                conv_flops / 1e6
            );
            if std::mem::replace(&mut flops_explained, true) {
                println!(" (counted as above)");
            } else {
                println!(" (the products only, 2 per multiply-add: a convolution's forward 2·N·C_out·C_in·k²·H·W by im2col, its backward twice that, once for the first layer, which needs no ∂x; a linear layer's 2·N·in·out and twice that backward; biases, activations, pooling, the loss and Adam not counted)");
            }
        }
        // Where JAX runs on more than one setting, the one with the lower median is marked.
        let jax: Vec<usize> = (0..timed.references.len())
            .filter(|&i| timed.references[i].0.kind == RefKind::Jax)
            .collect();
        let jax_faster = jax
            .iter()
            .copied()
            .min_by(|&i, &j| {
                timed.references[i]
                    .1
                    .median
                    .total_cmp(&timed.references[j].1.median)
            })
            .filter(|_| jax.len() > 1);
        for (i, (spec, t)) in timed.references.iter().enumerate() {
            println!(
                "  {}: {:.3} ms/step (best {:.3}); ratio vs {}: {:.2}x (best to best: {:.2}x){}",
                spec.label(c),
                t.median,
                t.min,
                spec.short(),
                t.median / e.median,
                t.min / e.min,
                if jax_faster == Some(i) {
                    " [faster JAX setting]"
                } else {
                    ""
                }
            );
        }
        if a.jax_python.is_some() && !has_jax(c) {
            println!(
                "  JAX jit: no reference for this configuration (the JAX script has the CTRNN, the CNN and the conv-ctrnn only)"
            );
        }
        if let Some((used, need)) = memory {
            println!(
                "  peak memory at B: {:.1} MiB above baseline; stored activations + weights + optimizer state: {:.1} MiB (ratio {:.2})",
                used / 1048576.0,
                need / 1048576.0,
                used / need
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Seed 000's CNN, counted by hand (see [`feed_forward_flops`]): per sample, conv1 84,672
    /// forward + 84,672 backward, conv2 338,688 + 677,376, linear layers 3 · 210,000.
    #[test]
    fn cnn_flops_match_the_hand_count() {
        for c in CONFIGS.iter().filter(|c| c.kind == Kind::Cnn) {
            let n = c.batch as f64;
            let (conv, all) = cnn_flops(c);
            assert_eq!(conv, n * 1_185_408.0, "{}", c.name);
            assert_eq!(all, n * 1_815_408.0, "{}", c.name);
        }
        assert_eq!(cnn_flops(&CONFIGS[5]).1, 29_046_528.0);
    }
}
