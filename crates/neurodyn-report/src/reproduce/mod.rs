//! Reproductions of the seed documents: each is a committed sweep plus the analyses that test
//! the document's claims, one file each and one line in [`REPRODUCTIONS`].
//!
//! `neurodyn reproduce NAME --out DIR [--quick]` plans the sweep into `DIR` (a sweep directory,
//! see `neurodyn_train::sweep`), trains what is unfinished, collects `results.csv` and the sweep
//! figures, then asks the reproduction for its claims and writes:
//!
//! ```text
//! DIR/reproduction.md     the claims table (claim, the seed's value, ours as mean ± s.d. over
//!                         seeds, verdict) and the figures
//! DIR/reproduction.json   the same, for scripts
//! DIR/figures/            the sweep's figures and the reproduction's own
//! ```
//!
//! `--quick` trains a smaller, shorter version (minutes on 2 cores, for CI): its verdicts say
//! what the short training gives, not what the seed claims.

mod seed_000;
mod seed_001;
mod seed_002;
mod seed_003;

use crate::error::{Context, ReportError, Result};
use crate::view::RunView;
use neurodyn_train::sweep::ResultRow;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// A seed document's reproduction.
pub trait Reproduction: Sync {
    /// Its command-line name (`seed-001`).
    fn name(&self) -> &'static str;
    /// What it reproduces, in one line.
    fn title(&self) -> &'static str;
    /// Its committed sweep file (`sweeps/NAME.toml`).
    fn committed(&self) -> &'static str;
    /// The quick version's changes: its `seeds` (TOML) and keys merged into `[base]` (TOML).
    fn quick(&self) -> (&'static str, &'static str);
    /// The sweep file it trains (`quick`: the short version, named `NAME-quick`).
    fn sweep(&self, quick: bool) -> String {
        if !quick {
            return self.committed().to_string();
        }
        let (seeds, base) = self.quick();
        quick_sweep(
            self.committed(),
            &format!("{}-quick", self.name()),
            seeds,
            base,
        )
    }
    /// Its claims, tested on the finished sweep in `dir`, and the figures it drew.
    fn claims(
        &self,
        dir: &Path,
        rows: &[ResultRow],
        quick: bool,
    ) -> Result<(Vec<Claim>, Vec<PathBuf>)>;
}

/// Every reproduction.
pub static REPRODUCTIONS: &[&dyn Reproduction] = &[
    &seed_000::Seed000,
    &seed_001::Seed001,
    &seed_002::Seed002,
    &seed_003::Seed003,
];

/// The reproduction called `name`.
pub fn find(name: &str) -> Option<&'static dyn Reproduction> {
    REPRODUCTIONS.iter().copied().find(|r| r.name() == name)
}

/// Whether a claim holds on our networks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Ours agrees, by the criterion the claim states.
    Holds,
    /// Ours disagrees.
    Differs,
    /// Not enough finished runs to test it.
    Untested,
}

impl Verdict {
    /// From a test (`None`: untested).
    pub fn of(ok: Option<bool>) -> Verdict {
        match ok {
            Some(true) => Verdict::Holds,
            Some(false) => Verdict::Differs,
            None => Verdict::Untested,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Verdict::Holds => "holds",
            Verdict::Differs => "differs",
            Verdict::Untested => "untested",
        }
    }
}

/// One quantitative claim of a seed, and ours.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Claim {
    /// Short identifier (`l2-lowers-max-rate`).
    pub id: String,
    /// The claim, as we test it.
    pub claim: String,
    /// The seed's value (or its words, where it gives no number), with its figure.
    pub seed: String,
    /// Our value: mean ± s.d. over seeds.
    pub ours: String,
    /// Whether it holds, by `criterion`.
    pub verdict: Verdict,
    /// How the verdict is decided, and how our measure differs from the seed's.
    pub criterion: String,
}

/// `mean ± s.d.` (sample s.d.; a single value alone) to `digits` decimals.
pub fn mean_sd_text(v: &[f64], digits: usize) -> String {
    match mean_sd(v) {
        None => "–".into(),
        Some((m, _)) if v.len() == 1 => format!("{m:.digits$}"),
        Some((m, s)) => format!("{m:.digits$} ± {s:.digits$}"),
    }
}

/// Mean and sample s.d. of the finite values (none: `None`).
pub fn mean_sd(v: &[f64]) -> Option<(f64, f64)> {
    let f: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if f.is_empty() {
        return None;
    }
    let n = f.len() as f64;
    let m = f.iter().sum::<f64>() / n;
    let s = if f.len() > 1 {
        (f.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Some((m, s))
}

/// Run the registry's analysis `name` on `run` with command-line `args`, and read its JSON.
pub(crate) fn analysis_json(run: &Path, name: &str, args: &[&str]) -> Result<serde_json::Value> {
    let view = RunView::open(run)?;
    let a = crate::find(name)
        .ok_or_else(|| ReportError::Options(format!("no analysis called '{name}'")))?;
    let matches = a
        .command()
        .try_get_matches_from(std::iter::once(name).chain(args.iter().copied()))
        .map_err(|e| ReportError::Options(format!("{name}: {e}")))?;
    a.run_matches(&view, &matches)?;
    let p = run
        .join("analysis")
        .join(format!("{}.json", name.replace('-', "_")));
    let text =
        std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?;
    serde_json::from_str(&text).with_context(|| format!("cannot parse {}", p.display()))
}

/// Mean cross-validated decoding accuracy of `label` over the steps `steps` counted from the
/// onset of the period `align` (negative: before it), no shuffles.
pub(crate) fn decode_at(
    rec: &neurodyn_core::Recording,
    label: &str,
    align: &str,
    steps: std::ops::RangeInclusive<i64>,
) -> Result<f64> {
    use neurodyn_analysis::decoding::{self, DecodingConfig};
    let d = decoding::run(
        rec,
        &DecodingConfig {
            label: label.into(),
            stride: 1,
            shuffles: 0,
            align: Some(align.into()),
            ..DecodingConfig::default()
        },
    )?;
    let v: Vec<f64> = d
        .steps
        .iter()
        .zip(&d.accuracy)
        .filter(|(s, a)| steps.contains(*s) && a.is_finite())
        .map(|(_, &a)| a)
        .collect();
    Ok(if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    })
}

/// `rec` with `features` (`(trial, time, n)`, e.g. synaptic variables or PC scores) in place of
/// its rates, so that an analysis of rates reads them.
pub(crate) fn with_features(
    rec: &neurodyn_core::Recording,
    n: usize,
    features: Vec<f32>,
) -> neurodyn_core::Recording {
    let mut r = rec.clone();
    r.n_units = n;
    r.rates = features;
    r.states.clear();
    r.gates.clear();
    r
}

/// The quick version of a committed sweep file: named `name`, `seeds` replaced, and the keys of
/// `base_over` (TOML) merged into its `[base]`, but for a `[zip]` table there, whose lists
/// replace the sweep's own (a sweep of several model families shortens each its own way).
pub fn quick_sweep(text: &str, name: &str, seeds: &str, base_over: &str) -> String {
    let mut t: toml::Table = toml::from_str(text).expect("a committed sweep parses");
    t.insert("name".into(), name.into());
    let seeds: toml::Table = toml::from_str(&format!("seeds = {seeds}")).expect("seeds");
    t.extend(seeds);
    let mut base = t
        .remove("base")
        .unwrap_or_else(|| toml::Value::Table(toml::Table::new()));
    let mut over: toml::Table = toml::from_str(base_over).expect("base keys");
    if let Some(zip) = over.remove("zip") {
        let own = t
            .entry("zip")
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        neurodyn_train::recipes::merge(own, zip);
    }
    neurodyn_train::recipes::merge(&mut base, toml::Value::Table(over));
    t.insert("base".into(), base);
    toml::to_string(&t).expect("serialise")
}

/// Write `reproduction.md` and `reproduction.json` into `dir`; returns their paths.
pub fn write_reproduction(
    dir: &Path,
    r: &dyn Reproduction,
    quick: bool,
    rows: &[ResultRow],
    claims: &[Claim],
    figures: &[PathBuf],
) -> Result<Vec<PathBuf>> {
    let finished = rows.iter().filter(|r| r.accuracy.is_some()).count();
    let held = claims
        .iter()
        .filter(|c| c.verdict == Verdict::Holds)
        .count();
    let mut md = format!(
        "# Reproduction of {}{}\n\n{}\n\n{finished} of {} runs finished; {held} of {} claims \
         hold. Written by `neurodyn reproduce {}{}` (neurodyn {}).\n\n",
        r.name(),
        if quick { " (quick)" } else { "" },
        r.title(),
        rows.len(),
        claims.len(),
        r.name(),
        if quick { " --quick" } else { "" },
        env!("CARGO_PKG_VERSION"),
    );
    if quick {
        md.push_str(
            "This is the quick version: small networks trained briefly, to check the pipeline. \
             Its verdicts are not the reproduction's; run it without `--quick` for those.\n\n",
        );
    }
    md.push_str("| claim | seed | ours (mean ± s.d. over seeds) | verdict | how it is decided |\n");
    md.push_str("|---|---|---|---|---|\n");
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    for c in claims {
        md.push_str(&format!(
            "| {} | {} | {} | **{}** | {} |\n",
            cell(&c.claim),
            cell(&c.seed),
            cell(&c.ours),
            c.verdict.text(),
            cell(&c.criterion)
        ));
    }
    md.push_str("\n## Figures\n\n");
    for f in figures
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "png"))
    {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        md.push_str(&format!("![{}]({})\n\n", rel.display(), rel.display()));
    }
    md.push_str(
        "The runs, their configs and every number above are in this directory: `results.csv` \
         (one row per run), `runs/NNNN/` (each run), `sweep.toml` (what was trained).\n",
    );
    let md_path = dir.join("reproduction.md");
    neurodyn_train::checkpoint::write_atomic(&md_path, md.as_bytes())?;
    let json_path = dir.join("reproduction.json");
    let json = serde_json::json!({
        "reproduction": r.name(),
        "quick": quick,
        "runs": rows.len(),
        "finished": finished,
        "claims": claims,
        "figures": figures,
    });
    let text = serde_json::to_string_pretty(&json)
        .with_context(|| format!("cannot serialise {}", json_path.display()))?;
    neurodyn_train::checkpoint::write_atomic(&json_path, text.as_bytes())?;
    Ok(vec![md_path, json_path])
}

#[cfg(test)]
mod tests {
    use super::quick_sweep;

    /// Base keys go into `[base]`; a `[zip]` table's lists replace the sweep's own lists, and
    /// its other lists stay.
    #[test]
    fn a_quick_sweep_merges_base_keys_and_replaces_zip_lists() {
        let committed =
            "name = \"s\"\nseeds = { start = 0, count = 3 }\n[base]\nmodel.n_rec = 64\n\
                         [zip]\n\"task.name\" = [\"A\", \"B\"]\ntrain = [{}, { steps = 9 }]\n";
        let quick = quick_sweep(
            committed,
            "s-quick",
            "[0]",
            "eval.n_record = 5\n[zip]\ntrain = [{ epochs = 1 }, { steps = 2 }]\n",
        );
        let t: toml::Table = toml::from_str(&quick).expect("parses");
        assert_eq!(t["name"].as_str(), Some("s-quick"));
        assert_eq!(t["seeds"].as_array().map(Vec::len), Some(1));
        assert_eq!(t["base"]["model"]["n_rec"].as_integer(), Some(64));
        assert_eq!(t["base"]["eval"]["n_record"].as_integer(), Some(5));
        assert!(t["base"].get("zip").is_none());
        let train = t["zip"]["train"].as_array().expect("train list");
        assert_eq!(train[0]["epochs"].as_integer(), Some(1));
        assert_eq!(train[1]["steps"].as_integer(), Some(2));
        assert_eq!(t["zip"]["task.name"].as_array().map(Vec::len), Some(2));
    }
}
