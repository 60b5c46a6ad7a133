//! report.html: one self-contained page per run (`dcload run`, `dcload report DIR`), embedding
//! every plot.

use dcload::report::html::{base64, check_balanced, esc};

use crate::common::*;

fn img_count(html: &str) -> usize {
    html.matches("<img ").count()
}

#[test]
fn run_writes_a_self_contained_report_embedding_every_plot() {
    // The default study over two months at 5-minute steps, two trials.
    let f = RunFile::new(&default_short(1416, 300));
    let (out, _) = f.run("o", &["--trials", "2", "--quiet"]);
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    let elements = check_balanced(&html).unwrap_or_else(|e| panic!("report.html: {e}"));
    assert!(elements > 100, "{elements} elements");
    // Self-contained: nothing fetched from elsewhere, no scripts.
    for bad in ["<script", "src=\"http", "href=", "<link"] {
        assert!(!html.contains(bad), "report.html contains {bad}");
    }
    // Every plot in the folder, embedded byte for byte.
    let plots = dcload::report::html::plot_files(&out).unwrap();
    assert!(plots.len() >= 4, "{plots:?}");
    assert_eq!(img_count(&html), plots.len());
    for p in &plots {
        let b64 = base64(&std::fs::read(p).unwrap());
        assert!(
            html.contains(&format!("data:image/svg+xml;base64,{b64}\"")),
            "{} not embedded",
            p.display()
        );
    }
    // The run's description, headline figures with their bands, warnings, the monthly table.
    let summary = summary_json(&out);
    let desc = summary["config"]["description"].as_str().unwrap();
    assert!(html.contains(&esc(desc)), "description missing");
    assert!(html.contains("<td>Energy (MWh)</td>") && html.contains("<th>P90</th>"));
    let warning = summary["percentile_warnings"][0].as_str().unwrap();
    assert!(
        html.contains(&esc(warning)),
        "2 trials: the percentile warning is shown"
    );
    let (_, months) = read_csv(&out.join("monthly.csv"));
    for m in &months {
        assert!(
            html.contains(&format!("<tr><td>{}</td>", m[0])),
            "month {}",
            m[0]
        );
    }

    // `dcload report` redraws it from the folder, with a PNG the plot list names (a chart
    // drawn only as PNG); a PNG it does not name is not embedded.
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR fake for the test";
    std::fs::write(out.join("plots").join("extra.png"), png).unwrap();
    std::fs::write(out.join("plots").join("unlisted.png"), b"not the run's").unwrap();
    let list = out.join("plots.txt");
    let listed = std::fs::read_to_string(&list).unwrap();
    std::fs::write(&list, format!("{listed}extra.png\n")).unwrap();
    std::fs::remove_file(&page).unwrap();
    assert!(stdout(&run_ok(&["report", arg(&out)])).contains("report.html"));
    let html = std::fs::read_to_string(&page).unwrap();
    check_balanced(&html).unwrap();
    assert_eq!(img_count(&html), plots.len() + 1);
    assert!(html.contains(&format!("data:image/png;base64,{}\"", base64(png))));
}

#[test]
fn report_of_a_missing_or_invalid_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let fails = |d: &std::path::Path| fails(&["report", arg(d)]);
    let err = fails(&dir.path().join("missing"));
    assert!(err.contains("missing: no such folder"), "{err}");
    let err = fails(dir.path());
    assert!(
        err.contains("not a dcload run folder") && err.contains("summary.json"),
        "{err}"
    );
    std::fs::write(dir.path().join("summary.json"), "{\n  \"run\": oops\n}").unwrap();
    let err = fails(dir.path());
    assert!(err.contains("summary.json:2:"), "{err}");
    std::fs::write(dir.path().join("summary.json"), "[1, 2]").unwrap();
    let err = fails(dir.path());
    assert!(err.contains("field `metrics`"), "{err}");
    assert!(!dir.path().join("report.html").exists());
}

/// `report` embeds only regular plot files of a bounded size: a link planted in plots/ (which
/// could point at a secret) or an oversized file is refused by name, and nothing of what the
/// link points at reaches a page.
#[test]
#[cfg(unix)]
fn report_refuses_a_linked_or_oversized_plot() {
    let f = RunFile::new(&default_short(48, 300));
    let (out, _) = f.run("o", &["--trials", "2", "--quiet"]);
    let secret = f.beside("secret.txt", "TOP-SECRET-CONTENT");
    let no_secret = |out: &std::path::Path| {
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(!html.contains("TOP-SECRET") && !html.contains(&base64(b"TOP-SECRET-CONTENT")));
        html
    };
    // A file the run did not write (not in its plot list) is not embedded, whatever it is.
    let planted = out.join("plots").join("zz.svg");
    std::os::unix::fs::symlink(&secret, &planted).unwrap();
    run_ok(&["report", arg(&out)]);
    let html = no_secret(&out);
    assert!(!html.contains("zz.svg"));
    // A plot the run wrote, replaced by a link or by an oversized file: refused by name.
    let listed = out.join("plots").join("facility_year.svg");
    let kept = std::fs::read(&listed).unwrap();
    std::fs::remove_file(&listed).unwrap();
    std::os::unix::fs::symlink(&secret, &listed).unwrap();
    let err = fails(&["report", arg(&out)]);
    assert_says(&err, &["facility_year.svg", "symbolic link"]);
    std::fs::remove_file(&listed).unwrap();
    let file = std::fs::File::create(&listed).unwrap();
    file.set_len(dcload::report::html::MAX_PLOT_BYTES + 1)
        .unwrap();
    let err = fails(&["report", arg(&out)]);
    assert_says(&err, &["facility_year.svg", "MiB"]);
    std::fs::write(&listed, kept).unwrap();
    run_ok(&["report", arg(&out)]);
    no_secret(&out);
    // Without the list (plots of an earlier run, or none drawn), no plot is embedded.
    std::fs::remove_file(out.join("plots.txt")).unwrap();
    run_ok(&["report", arg(&out)]);
    assert_eq!(img_count(&no_secret(&out)), 0);
}

/// A run that failed or was stopped leaves its checkpoint: `report` on its folder says so
/// instead of writing a page of an earlier run's (or half-written) files.
#[test]
fn report_refuses_the_folder_of_an_unfinished_run() {
    let f = RunFile::new(&default_short(48, 300));
    let (out, _) = f.run("o", &["--trials", "2", "--quiet", "--no-plots"]);
    std::fs::create_dir(out.join(".checkpoint")).unwrap();
    let err = fails(&["report", arg(&out)]);
    assert_says(&err, &["did not finish", ".checkpoint", "--resume"]);
}

/// A link planted at a run's plots/ folder (pointing elsewhere) is refused by `plot`, which
/// writes nothing through it (issue 21 item 1; the old binary wrote its charts into the
/// link's target).
#[test]
fn plot_refuses_a_plots_folder_that_is_a_link() {
    let rf = RunFile::new(&default_short(24, 60));
    let (out, _) = rf.run("out", &["--trials", "1", "--no-plots", "--quiet"]);
    let elsewhere = rf.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("plots")).unwrap();
    let err = fails(&["plot", arg(&out)]);
    assert_says(&err, &["plots", "link"]);
    assert_eq!(
        std::fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "wrote through the link"
    );
}
