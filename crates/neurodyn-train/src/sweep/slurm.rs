//! `sweep slurm`: a Slurm job-array script whose tasks each train one run of the sweep.

use std::path::Path;

/// The `#SBATCH` settings of the script (`None`: the cluster's default).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlurmOptions {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (e.g. `02:00:00`).
    pub time: Option<String>,
    /// `--mem` (e.g. `4G`).
    pub mem: Option<String>,
    /// `--cpus-per-task` (set `train.threads` in the sweep's base to use more than one).
    pub cpus: usize,
    /// At most this many array tasks at once (`%K`); 0: no limit.
    pub max_parallel: usize,
    /// `--account`.
    pub account: Option<String>,
}

/// The `--array` value for run indices `indices` (sorted): ranges `0-3,7,9-12`, then `%K`.
pub fn array_spec(indices: &[usize], max_parallel: usize) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let mut j = i;
        while j + 1 < indices.len() && indices[j + 1] == indices[j] + 1 {
            j += 1;
        }
        parts.push(if j == i {
            indices[i].to_string()
        } else {
            format!("{}-{}", indices[i], indices[j])
        });
        i = j + 1;
    }
    let mut s = parts.join(",");
    if max_parallel > 0 {
        s.push_str(&format!("%{max_parallel}"));
    }
    s
}

/// Single-quote `s` for bash.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The job-array script for the runs `indices` of the sweep in `dir` (an absolute path), which
/// call `neurodyn` at `binary`. Each array task runs `neurodyn sweep run-one DIR --index
/// $SLURM_ARRAY_TASK_ID`, which skips a finished run and resumes an interrupted one, so
/// resubmitting the script after failures re-runs only what is unfinished. Logs go to
/// `DIR/slurm/`.
pub fn slurm_script(
    name: &str,
    dir: &Path,
    binary: &Path,
    indices: &[usize],
    o: &SlurmOptions,
) -> String {
    let dir_s = dir.display().to_string();
    let job: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut s = String::from("#!/usr/bin/env bash\n");
    s.push_str(&format!("#SBATCH --job-name=neurodyn-{job}\n"));
    s.push_str(&format!(
        "#SBATCH --array={}\n",
        array_spec(indices, o.max_parallel)
    ));
    s.push_str(&format!("#SBATCH --cpus-per-task={}\n", o.cpus.max(1)));
    for (flag, v) in [
        ("partition", &o.partition),
        ("time", &o.time),
        ("mem", &o.mem),
        ("account", &o.account),
    ] {
        if let Some(v) = v {
            s.push_str(&format!("#SBATCH --{flag}={v}\n"));
        }
    }
    // Slurm does not expand variables in #SBATCH lines; %A is the job, %a the array index.
    s.push_str(&format!("#SBATCH --output={dir_s}/slurm/%A_%a.out\n"));
    s.push_str(&format!(
        "# Written by `neurodyn sweep slurm` for the {n} unfinished run(s) of this sweep.\n\
         # Submit: sbatch {script}\n\
         # Resubmitting after failures re-runs only unfinished runs; `neurodyn sweep slurm` again\n\
         # writes an --array of just those.\n",
        n = indices.len(),
        script = quote(&format!("{dir_s}/slurm.sh")),
    ));
    s.push_str("set -euo pipefail\n");
    s.push_str(": \"${SLURM_ARRAY_TASK_ID:?this script runs as a Slurm array task (sbatch), or with SLURM_ARRAY_TASK_ID set}\"\n");
    s.push_str(&format!("mkdir -p {}\n", quote(&format!("{dir_s}/slurm"))));
    s.push_str(&format!(
        "exec {} sweep run-one {} --index \"$SLURM_ARRAY_TASK_ID\"\n",
        quote(&binary.display().to_string()),
        quote(&dir_s)
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::{array_spec, slurm_script, SlurmOptions};
    use std::path::Path;

    #[test]
    fn array_ranges_compress_consecutive_indices() {
        assert_eq!(array_spec(&[0, 1, 2, 3], 0), "0-3");
        assert_eq!(array_spec(&[0, 1, 2, 3, 7, 9, 10, 11], 4), "0-3,7,9-11%4");
        assert_eq!(array_spec(&[5], 2), "5%2");
    }

    #[test]
    fn the_script_sets_the_array_and_the_options_and_quotes_paths() {
        let o = SlurmOptions {
            partition: Some("cpu".into()),
            time: Some("01:00:00".into()),
            mem: Some("4G".into()),
            cpus: 2,
            max_parallel: 8,
            account: None,
        };
        let s = slurm_script(
            "my study",
            Path::new("/data/it's"),
            Path::new("/bin/neurodyn"),
            &[0, 1, 2],
            &o,
        );
        assert!(s.starts_with("#!/usr/bin/env bash\n"), "{s}");
        for line in [
            "#SBATCH --job-name=neurodyn-my_study",
            "#SBATCH --array=0-2%8",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --partition=cpu",
            "#SBATCH --time=01:00:00",
            "#SBATCH --mem=4G",
            "exec '/bin/neurodyn' sweep run-one '/data/it'\\''s' --index \"$SLURM_ARRAY_TASK_ID\"",
        ] {
            assert!(s.lines().any(|l| l == line), "missing {line:?} in\n{s}");
        }
        assert!(!s.contains("--account"));
    }
}
