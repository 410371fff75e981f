//! Representational similarity analysis: comparing two RDMs over the same conditions, linear
//! CKA between two response matrices, and bootstrap intervals over conditions.
//!
//! An RDM enters as its upper triangle, row-major (`(0,1), (0,2), …, (0,n−1), (1,2), …`), the
//! vector rsatoolbox calls `get_vectors()`; [`upper_triangle`] extracts it from a square matrix.
//! A missing pair is `NaN` and must be missing in both RDMs (bootstrap samples make them).
//!
//! | [`RsaMethod`] | score | rsatoolbox |
//! |---|---|---|
//! | `cosine` | `a·b / (‖a‖‖b‖)` | `cosine` |
//! | `pearson` | Pearson r of the two vectors | `corr` |
//! | `spearman` | Pearson r of their ranks (ties share the average rank) | `spearman` |
//! | `kendall` | Kendall τ_a = (concordant − discordant) / (m(m−1)/2), `m` pairs; O(m log m) (Knight 1966) | `tau-a` |
//! | `rho-a` | `12 Σ r̃_a r̃_b / (m³ − m)`, `r̃` centred average ranks (Spearman's ρ without the tie correction) | `rho-a` |
//! | `whitened-cosine` | cosine under the RDM covariance `V` of Diedrichsen et al. 2021 (independent, isotropic pattern noise): `a·V⁻¹b / √(a·V⁻¹a  b·V⁻¹b)` | `cosine_cov` |
//! | `whitened-pearson` | the same after subtracting each vector's mean | `corr_cov` |
//!
//! The whitened scores are computed as rsatoolbox does, without forming `V`: `V⁻¹` weighting is
//! equivalent to the Frobenius cosine of the double-centred matrices `G = −½ H D H` (`H` the
//! centring matrix; the off-diagonal entries count twice). With missing pairs the row and
//! column effects are removed by a weighted least-squares fit instead of `H` (an `n × n` Cholesky
//! solve, `n` the number of conditions). The golden test checks both against rsatoolbox.
//!
//! Linear CKA (Kornblith et al. 2019) between `X (n, p)` and `Y (n, q)`, columns centred:
//! `‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)`; with many more features than conditions the same number
//! comes from the Gram matrices, `⟨K, L⟩_F / (‖K‖_F ‖L‖_F)`, `K = XXᵀ`, `L = YYᵀ`
//! ([`linear_cka`] picks the cheaper; [`centred_gram`] + [`cka_from_grams`] reuse one Gram per
//! matrix across many pairs). Linear CKA equals the whitened cosine of the two squared
//! Euclidean RDMs (`−½ H D H = H X Xᵀ H`), which a test checks.
//!
//! The bootstrap ([`bootstrap`]) resamples conditions with replacement (seeded, our
//! [`neurodyn_core::Rng`]); as in rsatoolbox's `bootstrap_sample_pattern`, the pairs of a
//! condition with its own copy are dropped (they are not dissimilarities). The interval is the
//! 2.5 and 97.5 percentiles (linear interpolation, numpy's default) of the scores defined on
//! the samples; undefined samples (a constant resampled RDM) are counted, not scored.
//!
//! With several RDMs of the same data (subjects, repeats), [`noise_ceiling`] gives the range a
//! model's score can reach (rsatoolbox's `boot_noise_ceiling`).

mod bootstrap;
mod ceiling;
mod cka;
mod compare;
mod rank;
mod whiten;

pub use bootstrap::{bootstrap, percentile, subsample, Bootstrap};
pub use ceiling::{noise_ceiling, pool, NoiseCeiling};
pub use cka::{centred_gram, cka_from_grams, linear_cka};
pub use compare::{compare, n_conditions, upper_triangle, RsaMethod};
pub use rank::{average_ranks, kendall_tau_a};
