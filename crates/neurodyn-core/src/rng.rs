//! The one random-number generator of neurodyn: PCG-XSL-RR 128/64 (O'Neill 2014).
//!
//! Every random draw in the toolkit goes through an explicit [`Rng`] built from a seed the user
//! gave. Nothing reads the clock or the OS entropy pool, so the same seed gives bit-identical
//! results on every machine and for every thread count. Independent streams (one per trial, one per
//! worker) come from [`Rng::stream`], which derives a new generator from `(seed, stream id)` instead
//! of sharing one mutable generator across threads.
//!
//! ```
//! use neurodyn_core::Rng;
//! let mut a = Rng::new(7);
//! let mut b = Rng::new(7);
//! assert_eq!(a.next_u64(), b.next_u64());
//! let x = a.normal();
//! assert!(x.is_finite());
//! ```

const MULTIPLIER: u128 = 0x2360_ed05_1fc6_5da4_4385_df64_9fcc_f645;

/// A seeded pseudo-random generator (PCG64). Cheap to clone; clones continue the same sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u128,
    inc: u128,
    seed: u64,
    spare_normal: Option<u64>,
}

/// SplitMix64 step, used only to spread a user seed over the 256 bits of PCG state.
fn splitmix(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self::with_stream(seed, 0)
    }

    /// A generator for `(seed, stream)`: different streams are statistically independent.
    pub fn with_stream(seed: u64, stream: u64) -> Self {
        let mut s = seed ^ stream.wrapping_mul(0xd1b5_4a32_d192_ed03);
        let a = splitmix(&mut s) as u128;
        let b = splitmix(&mut s) as u128;
        let c = splitmix(&mut s) as u128;
        let d = splitmix(&mut s) as u128;
        let mut rng = Rng {
            state: 0,
            inc: ((c << 64) | d) | 1,
            seed,
            spare_normal: None,
        };
        rng.state = rng.state.wrapping_mul(MULTIPLIER).wrapping_add(rng.inc);
        rng.state = rng.state.wrapping_add((a << 64) | b);
        rng.state = rng.state.wrapping_mul(MULTIPLIER).wrapping_add(rng.inc);
        rng
    }

    /// A new generator derived from this one's seed and `stream`, independent of draws made so far.
    pub fn stream(&self, stream: u64) -> Self {
        Self::with_stream(self.seed ^ 0x6a09_e667_f3bc_c908, stream)
    }

    /// A new generator seeded from the next draw of this one (advances `self`).
    pub fn fork(&mut self) -> Self {
        let s = self.next_u64();
        Self::new(s)
    }

    /// The seed this generator was built from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The full internal state, for checkpoints: `(state, inc, seed, spare normal bits)`.
    pub fn to_state(&self) -> [u64; 6] {
        [
            (self.state >> 64) as u64,
            self.state as u64,
            (self.inc >> 64) as u64,
            self.inc as u64,
            self.seed,
            self.spare_normal.unwrap_or(0),
        ]
    }

    /// Whether a cached normal draw is pending (part of the checkpoint state).
    pub fn has_spare(&self) -> bool {
        self.spare_normal.is_some()
    }

    /// Rebuild a generator from [`Rng::to_state`] and [`Rng::has_spare`].
    pub fn from_state(s: [u64; 6], has_spare: bool) -> Self {
        Rng {
            state: ((s[0] as u128) << 64) | s[1] as u128,
            inc: ((s[2] as u128) << 64) | s[3] as u128,
            seed: s[4],
            spare_normal: if has_spare { Some(s[5]) } else { None },
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_mul(MULTIPLIER).wrapping_add(self.inc);
        let rot = (self.state >> 122) as u32;
        let xsl = ((self.state >> 64) as u64) ^ (self.state as u64);
        xsl.rotate_right(rot)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform_range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// A uniform integer in `0..n` (unbiased, Lemire's method). `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below needs n > 0");
        loop {
            let m = (self.next_u64() as u128) * (n as u128);
            let lo = m as u64;
            if lo >= n.wrapping_neg() % n {
                return (m >> 64) as u64;
            }
        }
    }

    /// A uniformly chosen element of a non-empty slice.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A standard normal draw (Marsaglia polar method; the second value is cached).
    pub fn normal(&mut self) -> f64 {
        if let Some(bits) = self.spare_normal.take() {
            return f64::from_bits(bits);
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let f = (-2.0 * s.ln() / s).sqrt();
                self.spare_normal = Some((v * f).to_bits());
                return u * f;
            }
        }
    }

    /// Exponential draw with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.uniform()).ln()
    }

    /// Bernoulli draw with probability `p` of `true`.
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// Fisher–Yates shuffle in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_streams_differ() {
        let mut a = Rng::new(1);
        let mut b = Rng::new(1);
        let mut c = Rng::with_stream(1, 1);
        let va: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let vb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let vc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(va, vb);
        assert_ne!(va, vc);
    }

    #[test]
    fn moments_are_right() {
        let mut r = Rng::new(3);
        let n = 200_000;
        let (mut s, mut s2, mut u) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = r.normal();
            s += x;
            s2 += x * x;
            u += r.uniform();
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
        assert!((u / n as f64 - 0.5).abs() < 0.005);
        let counts = (0..60_000).fold([0usize; 3], |mut c, _| {
            c[r.below(3) as usize] += 1;
            c
        });
        for c in counts {
            assert!((c as f64 - 20_000.0).abs() < 600.0, "{counts:?}");
        }
    }

    #[test]
    fn state_round_trips() {
        let mut r = Rng::new(11);
        r.normal();
        let saved = Rng::from_state(r.to_state(), r.has_spare());
        let mut r2 = saved.clone();
        assert_eq!(r.normal(), r2.normal());
        assert_eq!(r.next_u64(), r2.next_u64());
    }
}
