//! `neurodyn._neurodyn`: the Rust half of the Python package `neurodyn` (see `python/neurodyn`).
//!
//! Plain functions over paths, strings and numpy arrays; the Python modules (`neurodyn.tasks`,
//! `neurodyn.Run`, `neurodyn.train`) give them their user-facing shape. Every library error
//! becomes `neurodyn.Error` with the library's message, and a panic is caught and reported the
//! same way rather than crossing into the interpreter. Long calls (training, analyses, sampling)
//! release the GIL.

use neurodyn_core::{NpArray, Npz};
use neurodyn_report::{Outcome, RunView};
use neurodyn_tasks::{build, sample_trials, ParamValue, TaskConfig};
use neurodyn_train::{train_run, RunDir, StepReport};
use numpy::IntoPyArray;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::any::Any;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pyo3::create_exception!(
    _neurodyn,
    Error,
    PyException,
    "An error reported by neurodyn (a bad config key, a missing or corrupt file, an analysis \
     that does not apply); the message is the library's."
);

pyo3::create_exception!(
    _neurodyn,
    ConfigError,
    Error,
    "A config or an option is wrong: an unknown key, an impossible value, a task or analysis \
     that does not exist."
);
pyo3::create_exception!(
    _neurodyn,
    FileError,
    Error,
    "A file or directory is missing, unreadable, corrupt, or holds another run."
);
pyo3::create_exception!(
    _neurodyn,
    TrainingError,
    Error,
    "Training stopped: the loss became NaN or infinite (the message says which checkpoint is \
     kept)."
);
pyo3::create_exception!(
    _neurodyn,
    AnalysisError,
    Error,
    "An analysis cannot run on this run or these arrays (it does not apply, or the data are \
     degenerate)."
);

/// A `neurodyn.Error` carrying `e`'s message (with its causes, for `anyhow` errors).
fn err(e: impl std::fmt::Display) -> PyErr {
    Error::new_err(format!("{e:#}"))
}

/// The `neurodyn.Error` subclass for a training-library error, with its message.
fn train_err(e: &neurodyn_train::TrainError) -> PyErr {
    use neurodyn_core::CoreError;
    use neurodyn_train::TrainError as T;
    let msg = format!("{e:#}");
    match e {
        T::Config { .. } | T::ConfigFile { .. } | T::Sweep { .. } | T::Task(_) => {
            ConfigError::new_err(msg)
        }
        T::Io { .. }
        | T::File { .. }
        | T::Data(_)
        | T::Core(CoreError::Io { .. } | CoreError::Npz { .. }) => FileError::new_err(msg),
        T::NonFinite { .. } | T::NonFiniteLoss { .. } => TrainingError::new_err(msg),
        _ => Error::new_err(msg),
    }
}

/// The `neurodyn.Error` subclass for an analysis/report error.
fn report_err(e: &neurodyn_report::ReportError) -> PyErr {
    use neurodyn_report::ReportError as R;
    match e {
        R::Train(t) => train_err(t),
        R::Options(_) => ConfigError::new_err(format!("{e:#}")),
        R::Io { .. } | R::Run(_) => FileError::new_err(format!("{e:#}")),
        R::Analysis(_) => AnalysisError::new_err(format!("{e:#}")),
        _ => Error::new_err(format!("{e:#}")),
    }
}

/// The message of a caught panic.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Run `f`, turning a panic into `neurodyn.Error` (a bug in neurodyn, but not a crash).
fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        Err(Error::new_err(format!(
            "internal error (a bug in neurodyn, please report it): {}",
            panic_message(p.as_ref())
        )))
    })
}

/// An array of any dtype `Npz` holds, as a numpy array (numbers move, they are not copied; text
/// becomes a numpy `<U` array of the same shape, as `np.load` gives).
fn to_numpy<'py>(py: Python<'py>, a: NpArray) -> PyResult<Bound<'py, PyAny>> {
    Ok(match a {
        NpArray::F32(x) => x.into_pyarray(py).into_any(),
        NpArray::F64(x) => x.into_pyarray(py).into_any(),
        NpArray::I64(x) => x.into_pyarray(py).into_any(),
        NpArray::U8(x) => x.into_pyarray(py).into_any(),
        NpArray::Str(x) => {
            let shape = x.shape().to_vec();
            let flat: Vec<String> = x.into_iter().collect();
            let np = py.import("numpy")?;
            np.call_method1("array", (flat,))?
                .call_method1("reshape", (shape,))?
        }
    })
}

/// Every array of `npz`, in file order, as a dict of numpy arrays.
fn npz_to_dict(py: Python<'_>, npz: Npz) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    for (name, a) in npz.arrays {
        d.set_item(name, to_numpy(py, a)?)?;
    }
    Ok(d)
}

/// Every registered task name.
#[pyfunction]
fn task_names() -> Vec<&'static str> {
    neurodyn_tasks::task_names()
}

/// The arrays `neurodyn tasks sample` writes (`neurodyn_tasks::trials_npz`: same names, dtypes,
/// shapes and values).
fn sample_npz(
    name: &str,
    n: usize,
    seed: u64,
    dt_ms: Option<f64>,
    compat: &str,
    params: BTreeMap<String, ParamValue>,
) -> Result<Npz, String> {
    if n == 0 {
        return Err("n must be at least 1".into());
    }
    let cfg = TaskConfig {
        dt_ms,
        compat: compat.parse().map_err(|e| format!("compat {e}"))?,
        params,
        ..Default::default()
    };
    let task = build(name, &cfg).map_err(|e| format!("{e:#}"))?;
    let spec = task.spec();
    let trials = sample_trials(task.as_ref(), n, seed);
    neurodyn_tasks::trials_npz(spec, &trials, cfg.compat, seed).map_err(|e| e.to_string())
}

/// Sample `n` trials of a task into a dict of numpy arrays, identical to `neurodyn tasks
/// sample`'s npz. `params_json`: the task parameters as a JSON object (or `None`).
#[pyfunction]
#[pyo3(signature = (name, n, seed, dt_ms=None, compat="default", params_json=None))]
fn sample<'py>(
    py: Python<'py>,
    name: &str,
    n: usize,
    seed: u64,
    dt_ms: Option<f64>,
    compat: &str,
    params_json: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let params: BTreeMap<String, ParamValue> = match params_json {
        Some(j) => serde_json::from_str(j).map_err(|e| err(format!("params: {e}")))?,
        None => BTreeMap::new(),
    };
    let npz = py.detach(|| {
        guarded(|| sample_npz(name, n, seed, dt_ms, compat, params).map_err(Error::new_err))
    })?;
    npz_to_dict(py, npz)
}

/// `value` without its nulls (TOML has none: an absent key means the default).
fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(strip_nulls).collect()),
        v => v,
    }
}

/// A run config given as JSON (a Python dict with the TOML's keys) as TOML text. `None` values
/// are dropped (the key's default). Keys are checked when the TOML is parsed for training.
#[pyfunction]
fn config_toml_from_json(json: &str) -> PyResult<String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| err(format!("config: {e}")))?;
    if !value.is_object() {
        return Err(Error::new_err("config: expected a dict of sections"));
    }
    let table =
        toml::Value::try_from(strip_nulls(value)).map_err(|e| err(format!("config: {e}")))?;
    toml::to_string(&table).map_err(|e| err(format!("config: {e}")))
}

/// A run's `config.toml` as JSON (for a Python dict with the same keys).
#[pyfunction]
fn run_config_json(run: PathBuf) -> PyResult<String> {
    let p = RunDir::new(&run).config();
    let text = std::fs::read_to_string(&p).map_err(|e| err(format!("{}: {e}", p.display())))?;
    let value: toml::Value =
        toml::from_str(&text).map_err(|e| err(format!("{}: {e}", p.display())))?;
    serde_json::to_string(&value).map_err(err)
}

/// Raised out of the step callback (and caught in `train`) to stop training on Ctrl-C.
struct Interrupted;

/// How often training re-acquires the GIL to check for Ctrl-C and draw progress.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// Write one progress line to Python's `sys.stderr` (so that it shows in Jupyter too).
fn write_progress(py: Python<'_>, r: &StepReport, total: u64, done: bool) -> PyResult<()> {
    let stderr = py.import("sys")?.getattr("stderr")?;
    let line = format!(
        "\rstep {}/{total}  loss {:.4}  acc {:.2}{}",
        r.step,
        r.loss,
        r.accuracy,
        if done { "\n" } else { "" }
    );
    stderr.call_method1("write", (line,))?;
    stderr.call_method0("flush")?;
    Ok(())
}

/// Train (or resume) a run in `out`; returns `out`. `config_toml`: the config (`None` with
/// `resume`: the run's own); `source`: what it came from, for error messages. The GIL is released
/// while training; every 0.1 s it is taken briefly to draw progress (`progress`) and check for
/// Ctrl-C, which stops training with `KeyboardInterrupt` (the run resumes from its last
/// checkpoint with `resume = True`).
#[pyfunction]
#[pyo3(signature = (config_toml, source, out=None, progress=false, resume=false))]
fn train(
    py: Python<'_>,
    config_toml: Option<&str>,
    source: &str,
    out: Option<PathBuf>,
    progress: bool,
    resume: bool,
) -> PyResult<PathBuf> {
    let cfg = match config_toml {
        Some(text) => {
            if neurodyn_train::vision::is_vision_toml(text) {
                return Err(ConfigError::new_err(format!(
                    "{source}: image tasks (vision runs) are not supported by neurodyn.train yet; \
                     use `neurodyn train`"
                )));
            }
            // Unset keys come from the task's recipe, as in `neurodyn train FILE`.
            neurodyn_train::recipes::from_user_toml(text, None, None)
                .map_err(|m| ConfigError::new_err(format!("{source}: {m}")))?
                .0
        }
        None if resume => match &out {
            Some(o) => RunDir::new(o).read_config().map_err(|e| train_err(&e))?,
            None => return Err(ConfigError::new_err("resume=True needs the run's `out`")),
        },
        None => {
            return Err(ConfigError::new_err(
                "a config is needed unless resume=True",
            ))
        }
    };
    // As `neurodyn train`: runs/TASK-MODEL-sSEED unless told.
    let out = out.unwrap_or_else(|| {
        PathBuf::from(format!(
            "runs/{}-{}-s{}",
            cfg.task.name, cfg.model.kind, cfg.seed
        ))
    });
    let total = cfg.train.steps;
    py.detach(|| {
        let mut stop: Option<PyErr> = None;
        let mut last = Instant::now();
        let result = catch_unwind(AssertUnwindSafe(|| {
            train_run(cfg, &out, resume, |r| {
                let done = r.step >= total;
                if last.elapsed() < CHECK_EVERY && !done {
                    return;
                }
                last = Instant::now();
                let interrupt = Python::attach(|py| {
                    // Signals first: writing the progress runs Python code, which would take a
                    // pending Ctrl-C for itself.
                    let mut signal = py.check_signals().err();
                    if signal.is_none() && progress {
                        // Progress is best effort: a closed stderr must not stop training, but
                        // a Ctrl-C that arrives while it is written does.
                        if let Err(e) = write_progress(py, r, total, done) {
                            if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                                signal = Some(e);
                            }
                        }
                    }
                    signal.map(|e| {
                        if progress {
                            let _ = py
                                .import("sys")
                                .and_then(|s| s.getattr("stderr"))
                                .and_then(|s| s.call_method1("write", ("\n",)));
                        }
                        if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                            PyKeyboardInterrupt::new_err(format!(
                                "training interrupted at step {}; resume it from its last \
                                 checkpoint with neurodyn.train(None, {:?}, resume=True)",
                                r.step,
                                out.display().to_string()
                            ))
                        } else {
                            e
                        }
                    })
                });
                if let Some(e) = interrupt {
                    stop = Some(e);
                    resume_unwind(Box::new(Interrupted));
                }
            })
        }));
        match result {
            Ok(Ok(_)) => Ok(out.clone()),
            Ok(Err(e)) => Err(train_err(&e)),
            Err(p) if p.is::<Interrupted>() => Err(stop
                .take()
                .unwrap_or_else(|| PyKeyboardInterrupt::new_err("training interrupted"))),
            Err(p) => Err(Error::new_err(format!(
                "internal error (a bug in neurodyn, please report it): {}",
                panic_message(p.as_ref())
            ))),
        }
    })
}

/// Every array of an `.npz` file, in file order.
#[pyfunction]
fn read_npz(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let npz = py.detach(|| guarded(|| Npz::load(&path).map_err(err)))?;
    npz_to_dict(py, npz)
}

/// Every tensor of a safetensors file (`model.safetensors`, a checkpoint) as numpy arrays.
#[pyfunction]
fn read_safetensors(py: Python<'_>, path: PathBuf) -> PyResult<Bound<'_, PyDict>> {
    let arrays =
        py.detach(|| guarded(|| neurodyn_train::checkpoint::read_arrays(&path).map_err(err)))?;
    npz_to_dict(py, arrays)
}

/// Every analysis' name (as `analyze` takes it).
#[pyfunction]
fn analysis_names() -> Vec<&'static str> {
    neurodyn_report::ANALYSES.iter().map(|a| a.name()).collect()
}

/// Run the analysis `name` on `run` with command-line options `args` (`["--key", "value", …]`);
/// returns the text of the JSON it wrote (if any), every file it wrote and its warnings.
#[pyfunction]
fn analyze(
    py: Python<'_>,
    run: PathBuf,
    name: &str,
    args: Vec<String>,
) -> PyResult<(Option<String>, Vec<String>, Vec<String>)> {
    let a = neurodyn_report::find(name).ok_or_else(|| {
        ConfigError::new_err(format!(
            "no analysis called '{name}' (there are: {})",
            analysis_names().join(", ")
        ))
    })?;
    let argv = std::iter::once(a.name().to_string()).chain(args);
    let matches = a
        .command()
        .try_get_matches_from(argv)
        .map_err(|e| ConfigError::new_err(e.to_string().trim_end().to_string()))?;
    py.detach(|| {
        guarded(|| {
            let view = RunView::open(&run).map_err(|e| report_err(&e))?;
            match neurodyn_report::run_named(&view, a.name(), &matches)
                .map_err(|e| report_err(&e))?
            {
                Outcome::Done(s) => {
                    let json = match s
                        .files
                        .iter()
                        .find(|f| f.extension() == Some("json".as_ref()))
                    {
                        Some(f) => Some(
                            std::fs::read_to_string(f)
                                .map_err(|e| err(format!("{}: {e}", f.display())))?,
                        ),
                        None => None,
                    };
                    let files = s.files.iter().map(|f| f.display().to_string()).collect();
                    Ok((json, files, s.warnings))
                }
                Outcome::Skipped(why) => Err(AnalysisError::new_err(format!(
                    "{} does not apply to this run: {why}",
                    a.name()
                ))),
            }
        })
    })
}

/// Every analysis that applies to `run`, with defaults, then `RUN/report.html`; returns its path
/// and the warnings of the analyses (one that failed is a warning, not an error).
#[pyfunction]
fn analyze_all(py: Python<'_>, run: PathBuf) -> PyResult<(PathBuf, Vec<String>)> {
    py.detach(|| {
        guarded(|| {
            let view = RunView::open(&run).map_err(err)?;
            if view.kind() != neurodyn_report::RunKind::Recurrent {
                return Err(Error::new_err(format!(
                    "{} is a vision run: the HTML report is for recurrent runs (run its analyses \
                     one by one with analyze)",
                    run.display()
                )));
            }
            let outcomes = neurodyn_report::run_all(&view).map_err(err)?;
            let sections = neurodyn_report::sections(&outcomes);
            let warnings = sections.iter().flat_map(|s| s.warnings.clone()).collect();
            let report = neurodyn_report::write_report(view.dir(), &sections).map_err(err)?;
            Ok((report, warnings))
        })
    })
}

/// A trained run's network driven by `inputs` `(trial, time, n_in)`: its rates `(trial, time,
/// unit)` and outputs `(trial, time, n_out)` (logits for categorical tasks), as the recording of
/// `eval` makes them; with `noise`, the training noise of the model (`sigma_rec`, `sigma_in`)
/// drawn from `seed`.
#[pyfunction]
#[pyo3(signature = (run, inputs, noise=false, seed=0))]
fn simulate<'py>(
    py: Python<'py>,
    run: PathBuf,
    inputs: numpy::PyReadonlyArray3<'py, f32>,
    noise: bool,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let x = inputs.as_array().to_owned();
    let (rates, outputs) = py.detach(|| {
        guarded(|| {
            let mut l = neurodyn_train::load_run::<f32>(&run).map_err(|e| train_err(&e))?;
            let (n, t, n_in) = x.dim();
            let spec = l.task.spec();
            if n_in != spec.n_in || n == 0 || t == 0 {
                return Err(ConfigError::new_err(format!(
                    "inputs: expected (trial, time, {}) with trial, time ≥ 1 for {}, got ({n}, \
                     {t}, {n_in})",
                    spec.n_in,
                    run.display()
                )));
            }
            if x.iter().any(|v| !v.is_finite()) {
                return Err(ConfigError::new_err("inputs hold NaN or infinity"));
            }
            let flat: Vec<f32> = x.iter().copied().collect();
            let n_out = l.net.n_out;
            let trials: Vec<neurodyn_core::Trial> = (0..n)
                .map(|i| neurodyn_core::Trial {
                    n_in,
                    n_out,
                    inputs: flat[i * t * n_in..(i + 1) * t * n_in].to_vec(),
                    targets: neurodyn_core::Targets::Class(vec![0; t]),
                    mask: vec![1.0; t],
                    periods: Vec::new(),
                    labels: neurodyn_core::Labels::new(),
                })
                .collect();
            if noise && l.cfg.model.kind.to_string().contains("light-gru") {
                return Err(ConfigError::new_err(format!(
                    "noise=True: {} is a {} network, whose batch normalisation would run on \
                     batch statistics in training mode; simulate it without noise",
                    run.display(),
                    l.cfg.model.kind
                )));
            }
            let mut rng = neurodyn_core::Rng::new(seed);
            let rng = noise.then_some(&mut rng);
            let rec = neurodyn_train::record_with_noise(&mut l.net, &trials, 250, rng)
                .map_err(|e| train_err(&e))?;
            let rates =
                ndarray::Array3::from_shape_vec((n, t, rec.n_units), rec.rates).map_err(err)?;
            let outputs =
                ndarray::Array3::from_shape_vec((n, t, rec.n_out), rec.outputs).map_err(err)?;
            Ok((rates, outputs))
        })
    })?;
    let d = PyDict::new(py);
    d.set_item("rates", rates.into_pyarray(py))?;
    d.set_item("outputs", outputs.into_pyarray(py))?;
    Ok(d)
}

/// Score a trained run on `n` fresh trials drawn with `seed` (default: the run's eval seed);
/// returns `eval --json`'s JSON text.
#[pyfunction]
#[pyo3(signature = (run, n=1000, seed=None))]
fn evaluate(py: Python<'_>, run: PathBuf, n: usize, seed: Option<u64>) -> PyResult<String> {
    if n == 0 {
        return Err(ConfigError::new_err("n must be at least 1"));
    }
    py.detach(|| {
        guarded(|| {
            let rd = RunDir::new(&run);
            let mut cfg = rd.read_config().map_err(|e| train_err(&e))?;
            if let Some(s) = seed {
                cfg.eval.seed = s;
            }
            let mut tr = neurodyn_train::Trainer::new(cfg).map_err(|e| train_err(&e))?;
            neurodyn_train::checkpoint::load_model(&rd.model(), &mut tr.net)
                .map_err(|e| train_err(&e))?;
            let (sc, _) = neurodyn_train::evaluate(&mut tr, Some(n)).map_err(|e| train_err(&e))?;
            serde_json::to_string(&sc).map_err(err)
        })
    })
}

/// PCA of `data` `(sample, feature)` in f64: the fit's mean, components `(component,
/// feature)`, variances and ratios, and the samples' scores `(sample, component)`.
#[pyfunction]
#[pyo3(signature = (data, n_components=None))]
fn pca<'py>(
    py: Python<'py>,
    data: numpy::PyReadonlyArray2<'py, f64>,
    n_components: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    let x = data.as_array();
    let (n, f) = x.dim();
    let flat: Vec<f64> = x.iter().copied().collect();
    if flat.iter().any(|v| !v.is_finite()) {
        return Err(AnalysisError::new_err("pca: data hold NaN or infinity"));
    }
    let (fit, scores) = py.detach(|| {
        guarded(|| {
            let fit = neurodyn_analysis::pca::Pca::fit(&flat, n, f, n_components)
                .map_err(|e| AnalysisError::new_err(format!("pca: {e}")))?;
            let scores = fit
                .transform(&flat)
                .map_err(|e| AnalysisError::new_err(format!("pca: {e}")))?;
            Ok((fit, scores))
        })
    })?;
    let k = fit.n_components;
    let d = PyDict::new(py);
    d.set_item("mean", fit.mean.into_pyarray(py))?;
    let components = ndarray::Array2::from_shape_vec((k, f), fit.components).map_err(err)?;
    d.set_item("components", components.into_pyarray(py))?;
    d.set_item(
        "explained_variance",
        fit.explained_variance.into_pyarray(py),
    )?;
    d.set_item(
        "explained_variance_ratio",
        fit.explained_variance_ratio.into_pyarray(py),
    )?;
    d.set_item("singular_values", fit.singular_values.into_pyarray(py))?;
    let scores = ndarray::Array2::from_shape_vec((n, k), scores).map_err(err)?;
    d.set_item("scores", scores.into_pyarray(py))?;
    Ok(d)
}

/// The value of an option named like the command line's, or a `ConfigError` listing them.
fn value_enum<T: clap::ValueEnum>(what: &str, v: &str) -> PyResult<T> {
    T::from_str(v, true).map_err(|_| {
        let names: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|x| x.to_possible_value().map(|p| p.get_name().to_string()))
            .collect();
        ConfigError::new_err(format!(
            "{what} = {v:?}: expected one of {}",
            names.join(", ")
        ))
    })
}

/// Compare two response sets `a` and `b` (`(condition, feature)` or `(condition, repeat,
/// feature)`, the same conditions in the same order) as `neurodyn compare` does; returns its JSON
/// (score, bootstrap interval, warnings).
#[pyfunction]
#[pyo3(signature = (a, b, method="rsa", rdm="correlation", rsa_method="whitened-pearson", bootstrap=0, seed=0, alpha=1.0, alphas=Vec::new(), pls_components=None))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    a: numpy::PyReadonlyArrayDyn<'py, f64>,
    b: numpy::PyReadonlyArrayDyn<'py, f64>,
    method: &str,
    rdm: &str,
    rsa_method: &str,
    bootstrap: usize,
    seed: u64,
    alpha: f64,
    alphas: Vec<f64>,
    pls_components: Option<usize>,
) -> PyResult<String> {
    use neurodyn_report::analyses::rsa::RsaMethodArg;
    use neurodyn_report::compare::{CompareMethod, CompareOptions, CompareRdm, ResponseSet};
    let method_v: CompareMethod = value_enum("method", method)?;
    let rdm_v: CompareRdm = value_enum("rdm", rdm)?;
    let rsa_v: RsaMethodArg = value_enum("rsa_method", rsa_method)?;
    let set = |name: &str, x: &numpy::PyReadonlyArrayDyn<'py, f64>| {
        let v = x.as_array();
        ResponseSet::from_values(
            name.to_string(),
            name.to_string(),
            v.shape().to_vec(),
            v.iter().copied().collect(),
        )
        .map_err(|e| ConfigError::new_err(format!("{e:#}")))
    };
    let (sa, sb) = (set("a", &a)?, set("b", &b)?);
    let o = CompareOptions {
        method: method_v,
        rdm: rdm_v,
        rsa_method: rsa_v,
        bootstrap,
        seed,
        alpha,
        pls_components,
        alphas,
    };
    py.detach(|| {
        guarded(|| {
            let c = neurodyn_report::compare::compare_sets(&sa, &sb, &o)
                .map_err(|e| AnalysisError::new_err(format!("{e:#}")))?;
            serde_json::to_string(&c).map_err(err)
        })
    })
}

/// The extension module `neurodyn._neurodyn`.
#[pymodule]
fn _neurodyn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("Error", m.py().get_type::<Error>())?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add("FileError", m.py().get_type::<FileError>())?;
    m.add("TrainingError", m.py().get_type::<TrainingError>())?;
    m.add("AnalysisError", m.py().get_type::<AnalysisError>())?;
    m.add_function(wrap_pyfunction!(simulate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(pca, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(task_names, m)?)?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(config_toml_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(run_config_json, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(read_npz, m)?)?;
    m.add_function(wrap_pyfunction!(read_safetensors, m)?)?;
    m.add_function(wrap_pyfunction!(analysis_names, m)?)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_all, m)?)?;
    Ok(())
}
