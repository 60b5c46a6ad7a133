//! report.html opens with the answers (headline table with bands, what broke first, the limits
//! checked), numbers with thousands separators in tables that scroll; `[report] week` chooses
//! the sectors week; tornado labels use the run file's names.

use crate::common::*;

/// The default study over 20 days at 5-minute steps, with `extra` appended.
fn study(extra: &str) -> String {
    format!("{}\n{extra}", default_short(20 * 24, 300))
}

#[test]
fn report_opens_with_the_answers_in_readable_numbers() {
    let f = RunFile::new(&study("[report]\nweek = \"2025-01-06\"\n"));
    let (out, _) = f.run("o", &["--trials", "2", "--quiet"]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let at = |s: &str| {
        html.find(s)
            .unwrap_or_else(|| panic!("no {s} in report.html"))
    };
    // The answers first: before the run's facts and the data tables.
    assert!(at("<h2>Answers</h2>") < at("<h2>Run</h2>"));
    assert!(at("<h3>What broke first</h3>") < at("<h2>Run</h2>"));
    assert!(at("<h3>Limits the study was checked against</h3>") < at("<h2>Run</h2>"));
    assert!(html.contains("<th>figure</th><th>period</th><th>mean</th>"));
    assert!(html.contains("<td>Energy (MWh)</td><td>whole horizon</td>"));
    assert!(html.contains("<td>Grid import limit</td>"));
    // Thousands separated, four significant digits: the energy's mean as summary.json has it.
    let s = summary_json(&out);
    let energy = s["metrics"]["energy_mwh"]["mean"].as_f64().unwrap();
    assert!(energy > 1000.0);
    let shown = dcload::base::numfmt::readable(energy);
    assert!(shown.contains(','), "{shown}");
    assert!(
        html.contains(&format!("<td class=\"n\">{shown}</td>")),
        "{shown} not in the table"
    );
    // No raw 12-digit figure in any cell; every table in a box that scrolls.
    assert!(!html.contains(&format!(">{energy}<")));
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("<div class=\"scroll\"><table>").count()
    );
    // The sectors plot shows the week the run file chose.
    let svg = std::fs::read_to_string(out.join("plots/sectors_week.svg")).unwrap();
    assert!(
        svg.contains("week of 6 Jan 2025") && svg.contains("[report] week"),
        "the chosen week is not the one drawn"
    );
}

#[test]
fn a_week_outside_the_horizon_names_its_line_and_field() {
    let base = default_short(20 * 24, 300);
    let line = base.lines().count() + 3;
    for week in ["2025-01-18", "2024-12-30", "2025-02-30", "July"] {
        let f = RunFile::new(&study(&format!("[report]\nweek = \"{week}\"\n")));
        let err = f.validate_fails();
        assert!(
            err.contains(&format!("run.toml:{line}:")) && err.contains("report.week"),
            "{week}: {err}"
        );
    }
    let f = RunFile::new(&study("[report]\nweek = \"2025-01-18\"\n"));
    assert!(
        f.validate_fails()
            .contains("does not lie inside the horizon")
    );
}
