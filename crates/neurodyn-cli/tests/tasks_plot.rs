//! `neurodyn tasks plot` draws every channel: lines up to 12 channels, a channel × time heatmap
//! beyond (AntiReach's 33 inputs used to be cut to the first 12 lines).

use std::process::Command;

fn plot(task: &str, name: &str) -> String {
    let d = std::env::temp_dir().join(format!("neurodyn-tasks-plot-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    let out = d.join(format!("{name}.png"));
    let o = Command::new(env!("CARGO_BIN_EXE_neurodyn"))
        .args(["tasks", "plot", task, "--n", "1", "--out"])
        .arg(&out)
        .output()
        .expect("run neurodyn");
    assert!(
        o.status.success(),
        "{task}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.exists(), "{task}: no png");
    let svg = std::fs::read_to_string(d.join(format!("{name}.svg"))).expect("svg");
    let _ = std::fs::remove_dir_all(&d);
    svg
}

#[test]
fn many_input_channels_become_a_heatmap_with_every_channel() {
    let svg = plot("AntiReach", "anti");
    // The ring's 32 units share one row label; channels past the 12th used to be dropped.
    assert!(svg.contains("stimulus0–31"), "no ring label");
    assert!(svg.contains("fixation"));
    assert!(
        !svg.contains("\nstimulus11\n"),
        "ring drawn as separate lines"
    );
}

#[test]
fn few_input_channels_stay_lines() {
    let svg = plot("PerceptualDecisionMaking", "pdm");
    for name in ["fixation", "stimulus0", "stimulus1"] {
        assert!(
            svg.contains(&format!("\n{name}\n")),
            "no legend entry {name}"
        );
    }
}
