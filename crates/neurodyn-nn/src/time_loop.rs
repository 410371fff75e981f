//! The time loops of [`crate::Network`]: forward over all steps, then backward through time, over
//! the whole batch or over parts of it in parallel.
//!
//! Samples never interact inside a step (the weights are only read; batch norm, which couples
//! them, keeps its batch whole), so with more than one thread the batch is cut into parts of
//! consecutive samples and each part runs the whole time loop on its own thread: one hand-off
//! per pass instead of one per step, and each thread keeps its own copy of the recurrent weights
//! hot in its own cache. Every time-major buffer `(T, B, width)` is cut into each part's rows of
//! every step before the loop (a few small vectors of slices per pass; nothing is allocated
//! inside the loop). In the backward pass each part accumulates its weight gradients into its
//! own buffer; the parts are added in order afterwards, so results are the same for the same
//! thread count.
//!
//! In every pass long enough to be cut (at least 2²² multiply-adds in the recurrence, no
//! batch-coupled buffers), on several threads or on one, the products at the edges of the
//! recurrence run inside the loop too ([`Edges`], [`BwdEdges`]): each part computes its rows of
//! `U_t = X_t W_inᵀ + b` just before its step and of `Y_t = R_t W_outᵀ + b_out` just after it;
//! in the backward pass, its rows of `∂R_t = ∂Y_t W_out` and its share of `∂W_out` just before
//! the step and of `∂W_in`, `∂b` just after it, while those rows are still in cache. Done once
//! over the whole sequence instead, each of these products streams a `(T, B, ·)` buffer through
//! memory on its own (about 13 MB each at config B of the benchmarks), with a hand-off between
//! the threads before and after it. On one thread, config B's best step took 75 ms this way
//! against 81–86 ms with the products over the sequence, and its peak memory fell by the two
//! buffers it no longer holds; config A's step measured the same either way.

use crate::cell::{Cell, StepBwd, StepCtx, StepFwd};
use crate::kernels::strided::{gemm_s, gemm_s_onto, sv};
use crate::linalg::{add_col_sums, Trans};
use crate::real::Real;
use rayon::prelude::*;

/// Sample boundaries of the parts: `[0, c₁, …, batch]`.
pub(crate) fn cuts(batch: usize, parts: usize) -> Vec<usize> {
    (0..=parts).map(|p| p * batch / parts).collect()
}

/// Each part's rows of every step of a time-major buffer of `steps` blocks of `batch` rows of
/// `width` values: `[part][step]`.
fn rows_mut<'a, T>(
    buf: &'a mut [T],
    steps: usize,
    width: usize,
    cuts: &[usize],
) -> Vec<Vec<&'a mut [T]>> {
    let parts = cuts.len() - 1;
    let mut out: Vec<Vec<&'a mut [T]>> = (0..parts).map(|_| Vec::with_capacity(steps)).collect();
    let batch = cuts[parts];
    if width == 0 {
        for o in &mut out {
            o.extend((0..steps).map(|_| <&mut [T]>::default()));
        }
        return out;
    }
    for block in buf.chunks_exact_mut(batch * width).take(steps) {
        let mut rest = block;
        for (p, o) in out.iter_mut().enumerate() {
            let (part, tail) = rest.split_at_mut((cuts[p + 1] - cuts[p]) * width);
            o.push(part);
            rest = tail;
        }
    }
    out
}

/// As [`rows_mut`], read-only.
fn rows<'a, T>(buf: &'a [T], steps: usize, width: usize, cuts: &[usize]) -> Vec<Vec<&'a [T]>> {
    let parts = cuts.len() - 1;
    let batch = cuts[parts];
    (0..parts)
        .map(|p| {
            (0..steps)
                .map(|t| {
                    let start = (t * batch + cuts[p]) * width;
                    &buf[start..start + (cuts[p + 1] - cuts[p]) * width]
                })
                .collect()
        })
        .collect()
}

/// The context of one part: its own size, one thread when the parts run in parallel.
fn part_ctx(ctx: StepCtx, cuts: &[usize], p: usize) -> StepCtx {
    StepCtx {
        batch: cuts[p + 1] - cuts[p],
        threads: if cuts.len() > 2 { 1 } else { ctx.threads },
        ..ctx
    }
}

/// Run `work` on every part, in parallel when there is more than one.
fn each<P: Send>(parts: Vec<P>, work: impl Fn(P) + Sync + Send) {
    if parts.len() == 1 {
        parts.into_iter().for_each(work);
    } else {
        parts.into_par_iter().for_each(|p| {
            let _ftz = crate::kernels::FlushDenormals::new();
            work(p)
        });
    }
}

/// Time-major buffers of a forward pass (`u`, `noise`, `cache`: `T` blocks; `states`, `rates`:
/// `T+1` blocks, the first holding the initial state and its rates).
pub(crate) struct FwdBufs<'a, T> {
    /// Projected inputs `(T, B, G)`, read; with [`Edges`], one block `(B, G)` that each step
    /// overwrites.
    pub u: &'a mut [T],
    pub noise: &'a [T],
    pub states: &'a mut [T],
    pub rates: &'a mut [T],
    pub cache: &'a mut [T],
    pub buffers: &'a mut [T],
}

/// A weight matrix multiplied from the right at every step: `k × n` row-major, and the same
/// packed in panels ([`crate::kernels::pack_panels`]) for the AVX2 kernel.
#[derive(Clone, Copy)]
pub(crate) struct Right<'a, T> {
    pub rows: &'a [T],
    pub panels: &'a [T],
    pub k: usize,
    pub n: usize,
}

impl<'a, T: Real> Right<'a, T> {
    /// `C (m × n) = D + A (m × k) · self`, or `C (+)= A · self` without `D`, on one thread.
    fn apply(self, c: &mut [T], a: &[T], d: Option<&[T]>, accumulate: bool) {
        let m = c.len() / self.n.max(1);
        let b = sv(self.rows, self.k, self.n, self.n).with_panels(self.panels);
        let a = sv(a, m, self.k, self.k);
        match d {
            Some(d) => gemm_s_onto(
                c,
                m,
                self.n,
                self.n,
                sv(d, m, self.n, 0),
                a,
                Trans::N,
                b,
                Trans::N,
                1,
            ),
            None => gemm_s(
                c,
                m,
                self.n,
                self.n,
                a,
                Trans::N,
                b,
                Trans::N,
                accumulate,
                1,
            ),
        }
    }
}

/// The input projection and the readout of a forward pass, run step by step inside the loop.
pub(crate) struct Edges<'a, T> {
    /// Inputs `(T, B, n_in)`.
    pub x: &'a [T],
    /// `W_inᵀ (n_in × G)`.
    pub w_in_t: Right<'a, T>,
    /// Input bias `(G)`.
    pub bias: &'a [T],
    /// Outputs `(T, B, n_out)`, written.
    pub y: &'a mut [T],
    /// `W_outᵀ (H × n_out)`.
    pub w_out_t: Right<'a, T>,
    /// Readout bias `(n_out)`.
    pub b_out: &'a [T],
}

/// All `n_steps` forward steps, over the parts of the batch cut at `cuts`; with `edges`, each
/// part also projects its inputs and reads its rates out step by step.
pub(crate) fn forward<T: Real>(
    cell: &dyn Cell<T>,
    eff: &[T],
    ctx: StepCtx,
    n_steps: usize,
    cuts: &[usize],
    b: FwdBufs<'_, T>,
    edges: Option<Edges<'_, T>>,
) {
    let (g, s, h) = (cell.input_width(), cell.state_len(), cell.n_units());
    let parts = cuts.len() - 1;
    assert!(
        parts == 1 || b.buffers.is_empty(),
        "cells with batch-coupled buffers run the batch whole"
    );
    // One block of U rows per step, or (with edges) one in all that every step rewrites.
    let u_steps = b.u.len() / (cuts[parts] * g).max(1);
    assert!(
        u_steps == n_steps || (u_steps == 1 && edges.is_some()),
        "forward: U holds {u_steps} steps of {n_steps}"
    );
    let u = rows_mut(b.u, u_steps, g, cuts);
    let noise = rows(b.noise, n_steps, cell.noise_len(), cuts);
    let states = rows_mut(b.states, n_steps + 1, s, cuts);
    let rates = rows_mut(b.rates, n_steps + 1, h, cuts);
    let cache = rows_mut(b.cache, n_steps, cell.cache_len(), cuts);
    let (x, y, ends) = match edges {
        Some(e) => (
            rows(e.x, n_steps, e.w_in_t.k, cuts),
            rows_mut(e.y, n_steps, e.w_out_t.n, cuts),
            Some((e.w_in_t, e.bias, e.w_out_t, e.b_out)),
        ),
        None => (
            vec![Vec::new(); parts],
            (0..parts).map(|_| Vec::new()).collect(),
            None,
        ),
    };
    let mut buffers = Some(b.buffers);
    let work: Vec<_> = u
        .into_iter()
        .zip(noise)
        .zip(states)
        .zip(rates)
        .zip(cache)
        .zip(x.into_iter().zip(y))
        .enumerate()
        .map(|(p, (((((u, n), s), r), c), xy))| {
            (p, u, n, s, r, c, xy, buffers.take().unwrap_or_default())
        })
        .collect();
    each(
        work,
        |(p, mut u, noise, mut states, mut rates, mut cache, (x, mut y), buffers)| {
            let ctx = part_ctx(ctx, cuts, p);
            let last = u.len() - 1;
            for t in 0..n_steps {
                let k = t.min(last);
                if let Some((w_in_t, bias, ..)) = ends {
                    w_in_t.apply(u[k], x[t], Some(bias), false);
                }
                let (s_done, s_rest) = states.split_at_mut(t + 1);
                let (r_done, r_rest) = rates.split_at_mut(t + 1);
                cell.step(
                    eff,
                    ctx,
                    StepFwd {
                        u: u[k],
                        s_prev: s_done[t],
                        r_prev: r_done[t],
                        noise: noise[t],
                        s_next: s_rest[0],
                        r_next: &mut *r_rest[0],
                        cache: cache[t],
                        buffers: &mut *buffers,
                        t,
                    },
                );
                if let Some((.., w_out_t, b_out)) = ends {
                    w_out_t.apply(y[t], r_rest[0], Some(b_out), false);
                }
            }
        },
    );
}

/// Time-major buffers of a backward pass, and where it writes. (No cell reads `U_t` going
/// backward: what a backward step needs of it, the cell keeps in its cache.)
pub(crate) struct BwdBufs<'a, T> {
    pub states: &'a [T],
    pub rates: &'a [T],
    pub cache: &'a [T],
    pub noise: &'a [T],
    /// ∂L/∂R `(T, B, H)` from the readout and activity penalties; with [`BwdEdges`], the
    /// activity penalties' part (when `extra`) to which each step adds the readout's, or
    /// (without) one block `(B, H)` that each step overwrites.
    pub d_r: &'a mut [T],
    pub d_u: &'a mut [T],
    pub d_aux: &'a mut [T],
    /// `(B, state_len)` each: ∂L/∂s of the step after (zero on entry) and scratch.
    pub d_s_a: &'a mut [T],
    pub d_s_b: &'a mut [T],
    /// One gradient buffer per part, zero on entry; the first is the network's.
    pub d_eff: Vec<&'a mut [T]>,
}

/// The readout's share of `∂R`, its weight gradient and the input projection's gradients, step
/// by step inside the backward loop.
pub(crate) struct BwdEdges<'a, T> {
    /// `∂L/∂Y (T, B, n_out)`.
    pub d_y: &'a [T],
    /// `W_out (n_out × H)`.
    pub w_out: Right<'a, T>,
    /// Whether `d_r` already holds activity-penalty gradients to add to.
    pub extra: bool,
    /// Inputs `(T, B, n_in)`.
    pub x: &'a [T],
    /// Input size.
    pub n_in: usize,
    /// Offset of the input bias in the gradient buffers.
    pub bias_at: usize,
    /// One `∂W_inᵀ (n_in × G)` per part, zero on entry.
    pub d_w_in_t: Vec<&'a mut [T]>,
    /// One `∂W_out (n_out × H)` per part, zero on entry.
    pub d_w_out: Vec<&'a mut [T]>,
}

/// All `n_steps` backward steps, over the parts cut at `cuts`; with `edges`, each part also
/// forms its `∂R_t` from `∂Y_t` and adds its `∂W_out` before each step, and its `∂W_inᵀ`, `∂b`
/// after it. Returns whether ∂L/∂s₀ ended in `d_s_b` (an odd number of steps) rather than
/// `d_s_a`.
pub(crate) fn backward<T: Real>(
    cell: &dyn Cell<T>,
    eff: &[T],
    ctx: StepCtx,
    n_steps: usize,
    cuts: &[usize],
    b: BwdBufs<'_, T>,
    edges: Option<BwdEdges<'_, T>>,
) -> bool {
    let (g, s, h) = (cell.input_width(), cell.state_len(), cell.n_units());
    let states = rows(b.states, n_steps + 1, s, cuts);
    let rates = rows(b.rates, n_steps + 1, h, cuts);
    let cache = rows(b.cache, n_steps, cell.cache_len(), cuts);
    let noise = rows(b.noise, n_steps, cell.noise_len(), cuts);
    let parts = cuts.len() - 1;
    // One block of ∂R rows per step, or one in all that every step rewrites.
    let d_r_steps = b.d_r.len() / (cuts[parts] * h).max(1);
    assert!(
        d_r_steps == n_steps || (d_r_steps == 1 && edges.as_ref().is_some_and(|e| !e.extra)),
        "backward: ∂R holds {d_r_steps} steps of {n_steps}"
    );
    let d_r = rows_mut(b.d_r, d_r_steps, h, cuts);
    type Sums<'s, T> = Vec<Option<(&'s mut [T], &'s mut [T])>>;
    let (d_y, x, sums, ends): (_, _, Sums<'_, T>, _) = match edges {
        Some(e) => (
            rows(e.d_y, n_steps, e.w_out.k, cuts),
            rows(e.x, n_steps, e.n_in, cuts),
            e.d_w_in_t.into_iter().zip(e.d_w_out).map(Some).collect(),
            Some((e.w_out, e.extra, e.n_in, e.bias_at)),
        ),
        None => (
            vec![Vec::new(); parts],
            vec![Vec::new(); parts],
            (0..parts).map(|_| None).collect(),
            None,
        ),
    };
    let d_u = rows_mut(b.d_u, n_steps, g, cuts);
    let d_aux = rows_mut(b.d_aux, n_steps, cell.aux_len(), cuts);
    let d_s_a = rows_mut(b.d_s_a, 1, s, cuts);
    let d_s_b = rows_mut(b.d_s_b, 1, s, cuts);
    let mut work = Vec::with_capacity(cuts.len() - 1);
    let mut d_eff = b.d_eff.into_iter();
    for (p, ((((((((st, r), c), n), dr), du), da), dsa), dsb)) in states
        .into_iter()
        .zip(rates)
        .zip(cache)
        .zip(noise)
        .zip(d_r)
        .zip(d_u)
        .zip(d_aux)
        .zip(d_s_a)
        .zip(d_s_b)
        .enumerate()
    {
        let de = d_eff.next().expect("one gradient buffer per part");
        work.push((p, st, r, c, n, dr, du, da, dsa, dsb, de));
    }
    let edge_work: Vec<_> = d_y.into_iter().zip(x).zip(sums).collect();
    let work: Vec<_> = work.into_iter().zip(edge_work).collect();
    each(
        work,
        |(
            (p, states, rates, cache, noise, mut d_r, mut d_u, mut d_aux, mut a, mut b, d_eff),
            ((d_y, x), mut sums),
        )| {
            let ctx = part_ctx(ctx, cuts, p);
            let (mut next, mut prev) = (a.pop().expect("one block"), b.pop().expect("one block"));
            let last = d_r.len() - 1;
            for t in (0..n_steps).rev() {
                let k = t.min(last);
                if let (Some((w_out, extra, ..)), Some((_, d_w_out))) = (ends, sums.as_mut()) {
                    // ∂R_t = ∂Y_t W_out (+ the penalties'), ∂W_out += ∂Y_tᵀ R_t.
                    w_out.apply(d_r[k], d_y[t], None, extra);
                    let (o, bp) = (w_out.k, ctx.batch);
                    let d_y_t = sv(d_y[t], bp, o, o);
                    let r_t = sv(rates[t + 1], bp, h, h);
                    gemm_s(d_w_out, o, h, h, d_y_t, Trans::T, r_t, Trans::N, true, 1);
                }
                cell.backward_step(
                    eff,
                    ctx,
                    StepBwd {
                        s_prev: states[t],
                        r_prev: rates[t],
                        s_next: states[t + 1],
                        r_next: rates[t + 1],
                        cache: cache[t],
                        noise: noise[t],
                        d_s_next: next,
                        d_r: &*d_r[k],
                        d_s_prev: &mut *prev,
                        d_u: &mut *d_u[t],
                        d_aux: &mut *d_aux[t],
                        d_eff: &mut *d_eff,
                        t,
                    },
                );
                if let (Some((.., n_in, bias_at)), Some((d_w_in_t, _))) = (ends, sums.as_mut()) {
                    // ∂W_inᵀ += X_tᵀ ∂U_t, ∂b += Σ ∂U_t.
                    let bp = ctx.batch;
                    let x_t = sv(x[t], bp, n_in, n_in);
                    let d_u_t = sv(&*d_u[t], bp, g, g);
                    gemm_s(
                        d_w_in_t,
                        n_in,
                        g,
                        g,
                        x_t,
                        Trans::T,
                        d_u_t,
                        Trans::N,
                        true,
                        1,
                    );
                    add_col_sums(&mut d_eff[bias_at..bias_at + g], d_u[t], g);
                }
                std::mem::swap(&mut next, &mut prev);
            }
        },
    );
    n_steps % 2 == 1
}
