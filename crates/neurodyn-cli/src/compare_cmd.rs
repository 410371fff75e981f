//! `neurodyn compare A.npz B.npz`: one number for how alike two sets of responses to the same
//! conditions are (RSA, linear CKA or ridge predictivity), computed by
//! [`neurodyn_report::compare`], which documents the input, the methods and the refusals.
//!
//! ```text
//! neurodyn compare A.npz B.npz [--method rsa|cka|predictivity] [--key NAME | --key-a A --key-b B]
//!                  [--rdm correlation|euclidean|cosine|poisson|mahalanobis|crossnobis]
//!                  [--rsa-method whitened-pearson|spearman|…] [--bootstrap N --seed S]
//!                  [--alpha 1 | --alphas 0.1,1,10 | --pls-components K]
//!                  [--json OUT]
//! ```

use anyhow::{Context, Result};
use clap::Args;
use neurodyn_report::analyses::rsa::RsaMethodArg;
use neurodyn_report::compare::{compare_files, CompareMethod, CompareOptions, CompareRdm};
use std::path::PathBuf;

/// Arguments of `neurodyn compare`.
#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// The first response set (.npz): a (condition, feature) or (condition, repeat, feature)
    /// array.
    pub a: PathBuf,
    /// The second response set (.npz), the same conditions in the same order.
    pub b: PathBuf,
    /// What to compute.
    #[arg(long, value_enum, default_value_t = CompareMethod::Rsa)]
    pub method: CompareMethod,
    /// The array to read from both files (when a file has more than one 2-D/3-D array).
    #[arg(long)]
    pub key: Option<String>,
    /// The array to read from A (overrides --key).
    #[arg(long)]
    pub key_a: Option<String>,
    /// The array to read from B (overrides --key).
    #[arg(long)]
    pub key_b: Option<String>,
    /// The RDM measure (rsa).
    #[arg(long, value_enum, default_value_t = CompareRdm::Correlation)]
    pub rdm: CompareRdm,
    /// How the two RDMs are compared (rsa).
    #[arg(long, value_enum, default_value_t = RsaMethodArg::WhitenedPearson)]
    pub rsa_method: RsaMethodArg,
    /// Bootstrap resamples of the conditions for a 95 % interval (rsa, cka; 0 = none).
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// Seed of the bootstrap (and of the predictivity folds).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Ridge penalty (predictivity).
    #[arg(long, default_value_t = 1.0)]
    pub alpha: f64,
    /// Use PLS regression with this many components instead of ridge (predictivity).
    #[arg(long, conflicts_with = "alphas")]
    pub pls_components: Option<usize>,
    /// Choose the ridge penalty among these in each fold by leave-one-out, as scikit-learn's
    /// RidgeCV (predictivity), e.g. 0.1,1,10.
    #[arg(long, value_delimiter = ',')]
    pub alphas: Vec<f64>,
    /// Write the result as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Run `neurodyn compare`.
pub fn run(a: &CompareArgs) -> Result<()> {
    let options = CompareOptions {
        method: a.method,
        rdm: a.rdm,
        rsa_method: a.rsa_method,
        bootstrap: a.bootstrap,
        seed: a.seed,
        alpha: a.alpha,
        pls_components: a.pls_components,
        alphas: a.alphas.clone(),
    };
    let c = compare_files(
        &a.a,
        a.key_a.as_deref().or(a.key.as_deref()),
        &a.b,
        a.key_b.as_deref().or(a.key.as_deref()),
        &options,
    )?;
    for w in &c.warnings {
        eprintln!("warning: {w}");
    }
    println!(
        "{}: {:.4}  ({}: array '{}' {:?} vs {}: array '{}' {:?}, {} conditions)",
        c.what, c.score, c.a.file, c.a.key, c.a.shape, c.b.file, c.b.key, c.b.shape, c.n_conditions
    );
    if let Some((lo, hi, b)) = c.bootstrap.as_ref().and_then(|b| Some((b.lo?, b.hi?, b))) {
        println!(
            "95 % bootstrap interval over conditions: [{lo:.4}, {hi:.4}]  ({} resamples, seed {})",
            b.n_samples, b.seed
        );
    }
    if let Some(nc) = &c.noise_ceiling {
        println!(
            "noise ceiling of B's {} repeats: [{:.4}, {:.4}] (leave one out, all pooled)",
            nc.n_rdms, nc.lower, nc.upper
        );
    }
    if let Some(c) = &c.split_half_ceiling {
        println!(
            "split-half ceiling of B (Spearman–Brown, median over features, {} splits): {:.4}; \
             normalised score {:.4}",
            c.n_splits, c.median, c.normalised_score
        );
    }
    if let Some(out) = &a.json {
        let text = serde_json::to_string_pretty(&c)?;
        neurodyn_train::checkpoint::write_atomic(out, text.as_bytes())
            .with_context(|| format!("writing {}", out.display()))?;
        println!("wrote {}", out.display());
    }
    Ok(())
}
