//! Which input matters: sensitivity.csv ranks the inputs by rank correlation (an undefined one
//! is an empty field); effects.csv's regression recovers an input's known linear effect within
//! its interval; the tornado chart is drawn and embedded in report.html.

use crate::common::*;
use dcload::report::effects::{Term, effects};
use dcload::run::montecarlo::{Batch, run};

/// 12 DGX H100 servers whose 96 accelerators are all held by one training job for the whole
/// 48 h horizon at `watts_per_accelerator` W each (server share), drawn per trial from
/// U(800, 1200); a fixed-PUE facility at 1.25; and a 2-server twin with jitter on another pool,
/// whose energy varies from trial to trial independently of the job (the noise around the
/// line). On-site WUE is also drawn (U(0.2, 2.0) L/kWh) and touches no power figure.
///
/// By hand: facility power = 1.25 x (96 x W + twin), so
/// - annual energy (48 h here) moves by 1.25 x 96 x 48 h = 5,760 Wh = 0.00576 MWh per W;
/// - the peak hour moves by 1.25 x 96 W = 120 W = 0.00012 MW per W (the job is flat, so the
///   peak hour is the twin's highest hour plus the job: the job's part is 1.25 x 96 x W);
/// - the WUE moves neither: slope 0.
///
/// Each "interval covers the truth" holds with 95 % probability per data set; at 40 trials
/// the WUE's interval on the peak missed zero (the first 40 trials' twin noise happens to
/// correlate 0.47 with their WUE draws; trials 40-299: -0.05), so the study runs 200 trials
/// (0.1 s).
pub const STUDY: &str = r#"
name = "effects"
start = "2025-01-01"
horizon_hours = 48
step_s = 300
trials = 200
[[site.group]]
name = "train"
server = "DGX-H100"
count = 12
[[site.group]]
name = "twin"
server = "DGX-H100"
count = 2
[[training]]
name = "run"
pool = "train"
accelerators = 96
watts_per_accelerator = { dist = "uniform", min = 800.0, max = 1200.0 }
duration_days = 3
start_days = [0]
[[twin]]
name = "noise"
pool = "twin"
allocation = 1.0
base_utilisation = 0.5
jitter_sd = 0.2
[facility]
kind = "fixed"
pue = 1.25
wue_l_per_kwh = { dist = "uniform", min = 0.2, max = 2.0 }
"#;

#[test]
fn a_known_linear_effect_is_recovered_within_its_interval() {
    let sc = scenario(STUDY);
    let results = run(&sc, Batch::default()).unwrap();
    let rows = effects(&sc, &results);
    let get = |output: &str, param: &str| {
        rows.iter()
            .find(|e| e.output == output && e.parameter == param)
            .unwrap_or_else(|| panic!("no row {output} {param}"))
    };
    let coef = |output: &str, param: &str| match &get(output, param).term {
        Term::Fit(c) => c.clone(),
        Term::Out(m) => panic!("{output} {param}: {m}"),
    };
    let w = "training[0].watts_per_accelerator";
    let wue = "facility.wue_l_per_kwh";
    for (output, truth) in [("energy_mwh", 0.00576), ("peak_mw", 0.00012)] {
        let c = coef(output, w);
        assert!(
            c.lo <= truth && truth <= c.hi,
            "{output}: {c:?}, truth {truth}"
        );
        // Tight: the twin's noise is small beside the job's swing.
        assert!((c.hi - c.lo) / 2.0 < 0.03 * truth, "{output}: {c:?}");
        let e = get(output, w);
        assert_eq!(e.dof, Some(200 - 2 - 1));
        assert!(e.rho > 0.9, "{output}: rho {}", e.rho);
        // The watts move the output most: first in its group.
        let first = rows.iter().find(|r| r.output == output).unwrap();
        assert_eq!(first.parameter, w);
        // P10 to P90 of U(800, 1200) is about 320 W: about 1.84 MWh and 0.0384 MW.
        let (swing, lo, hi) = e.swing().unwrap();
        assert!(lo <= swing && swing <= hi);
        let want = truth * (e.input_p90 - e.input_p10);
        assert!((swing / want - 1.0).abs() < 0.03, "{swing} vs {want}");
        assert!((e.input_p90 - e.input_p10 - 320.0).abs() < 60.0);
        // The WUE touches no power figure: its interval covers zero.
        let z = coef(output, wue);
        assert!(z.lo <= 0.0 && 0.0 <= z.hi, "{output} wue: {z:?}");
    }
}

#[test]
fn too_few_trials_give_a_message_not_numbers() {
    let sc = scenario(&STUDY.replace("trials = 200", "trials = 3"));
    let rows = effects(&sc, &run(&sc, Batch::default()).unwrap());
    assert_eq!(rows.len(), 4);
    for e in &rows {
        match &e.term {
            Term::Out(m) => assert!(
                m.contains("3 trials for 2 varying inputs") && m.contains("at least 4 trials"),
                "{m}"
            ),
            t => panic!("{t:?}"),
        }
    }
    let csv = dcload::report::effects::effects_csv(&rows);
    assert!(!csv.contains("NaN") && !csv.contains("inf"), "{csv}");
}

#[test]
fn effects_csv_and_tornado_charts_are_written_and_embedded_in_the_report() {
    let f = RunFile::new(STUDY);
    let (out, _) = f.run("out", &["--quiet"]);
    let (h, rows) = read_csv(&out.join("effects.csv"));
    assert_eq!(rows.len(), 4);
    let (o, p, s) = (
        col(&h, "output"),
        col(&h, "parameter"),
        col(&h, "slope_per_unit"),
    );
    let row = rows
        .iter()
        .find(|r| r[o] == "energy_mwh" && r[p] == "training[0].watts_per_accelerator")
        .unwrap();
    let slope = num(&row[s]);
    assert!((slope / 0.00576 - 1.0).abs() < 0.03, "{slope}");
    // sensitivity.csv keeps its columns.
    let (sh, _) = read_csv(&out.join("sensitivity.csv"));
    assert_eq!(
        sh,
        [
            "rank",
            "parameter",
            "rho_energy",
            "rho_peak",
            "rho_exceed_hours"
        ]
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for name in ["tornado_peak_mw", "tornado_energy_mwh"] {
        let svg = std::fs::read_to_string(out.join(format!("plots/{name}.svg"))).unwrap();
        // Labelled as the run file names the entry (`[[training]] name = "run"`), not by index.
        assert!(svg.contains("run watts_per_accelerator"), "{name}");
        assert!(!svg.contains("training[0]"), "{name}");
        assert!(
            html.contains(&format!("plots/{name}.svg")),
            "{name} not in report.html"
        );
    }
}

#[test]
fn sensitivity_ranks_the_dominant_assumption_first() {
    // Chat volume varies by a factor of three; the plant margin hardly changes the energy.
    let run = default_with(
        "design_margin = 1.2",
        "design_margin = { dist = \"uniform\", min = 1.15, max = 1.25 }",
    )
    .replacen(
        "requests_per_day = 1.0e8",
        "requests_per_day = { dist = \"uniform\", min = 5.0e7, max = 1.5e8 }",
        1,
    ) + "\n[grid]\nimport_limit_mw = 75.0\n";
    let (_f, out) = run_quiet(&run, &["--trials", "16"]);
    let (h, rows) = read_csv(&out.join("sensitivity.csv"));
    assert_eq!(
        rows[0][col(&h, "parameter")],
        "consumer[0].requests_per_day"
    );
    let rho = num(&rows[0][col(&h, "rho_energy")]);
    assert!(rho > 0.9, "rho {rho}");
    assert!(
        !rows[0][col(&h, "rho_exceed_hours")].is_empty(),
        "with a limit, hours above it are ranked too"
    );
    assert_eq!(
        summary_json(&out)["sensitivity"][0]["parameter"],
        "consumer[0].requests_per_day"
    );
}

/// A study with distributions whose correlations are undefined (one trial, or an input that
/// never moves the figure) still writes every file: an undefined rank correlation is an empty
/// field, never NaN, and never a reason to lose the trials.
#[test]
fn undefined_correlations_are_empty_fields_not_a_lost_run() {
    let (_f, out) = run_quiet(&default_short(24, 900), &["--trials", "1"]);
    let text = std::fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    let row = text.lines().nth(1).expect("a parameter row");
    assert!(row.ends_with(",,,"), "one trial: no correlation: {row}");
    assert!(!text.contains("NaN"));
    assert!(out.join("trials.csv").exists() && out.join("summary.json").exists());
}
