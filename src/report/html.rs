//! `report.html`: one self-contained page per run, to hand over. It opens offline (no scripts,
//! no external files: every plot is embedded as a base64 data URI, SVG and PNG alike) and opens
//! with the answers ([`super::answers`]: headline figures with their bands across trials, what
//! broke first, the limits checked), then the run's description, the warnings, every figure
//! (summary.json), the monthly tables (monthly.csv, monthly_YYYY.csv) and the plots
//! (plots/*.svg, plots/*.png). Numbers carry thousands separators; wide tables scroll.
//! Written at the end of `dcload run` and `dcload merge`, and by `dcload report DIR`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::base::error::{Error, Result};

/// Trial metrics shown first, in this order, when the run has them (the rest follow in a
/// folded table).
pub(super) const HEADLINE: [(&str, &str); 14] = [
    ("energy_mwh", "Energy (MWh)"),
    ("peak_mw", "Peak, hourly mean (MW)"),
    ("peak_step_mw", "Peak, one step (MW)"),
    ("load_factor", "Load factor"),
    ("pue", "PUE"),
    ("it_energy_mwh", "IT energy (MWh)"),
    ("cooling_mwh", "Cooling (MWh)"),
    ("exceed_hours", "Hours above the import limit"),
    ("exceed_mwh", "Energy above the import limit (MWh)"),
    ("curtailed_mwh", "Curtailed (MWh)"),
    ("requests_dropped", "Requests dropped"),
    ("plant_saturated_hours", "Cooling plant saturated (h)"),
    ("co2_t", "CO2 (t)"),
    ("cost_total", "Cost, total"),
];

/// Standard base64 (RFC 4648, with padding).
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= c.len() {
                s.push(T[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// Text escaped for HTML.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A figure as people read it: thousands separated, four significant digits
/// ([`crate::base::numfmt::readable`]).
pub(super) fn fmt(x: f64) -> String {
    crate::base::numfmt::readable(x)
}

/// Every table sits in a box that scrolls sideways when the table is wider than the page (the
/// monthly table of a many-percentile run), instead of being cut at the page's edge.
pub(super) const TABLE_OPEN: &str = "<div class=\"scroll\"><table>\n";
pub(super) const TABLE_CLOSE: &str = "</table></div>\n";

/// The plots the run wrote: the names its plot list (DIR/plots.txt, written when the drawing
/// finished) gives, each .svg, and each .png whose SVG it does not list (a PNG beside its SVG
/// is the same picture: the page embeds the sharper one once), sorted by name. Anything else
/// in plots/ (a planted file or link, a picture of earlier results) is not embedded; a folder
/// without a list has no plots to embed.
pub fn plot_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let list = dir.join(crate::report::plot::MANIFEST);
    if std::fs::symlink_metadata(&list).is_err() {
        return Ok(Vec::new());
    }
    let text = crate::input::limits::read_text(&list, 1 << 20)?;
    let mut names: Vec<&str> = Vec::new();
    for (i, name) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let plain = !name.starts_with('.') && !name.contains(['/', '\\', '\0']);
        let kind = name.rsplit_once('.').map(|(_, e)| e);
        if !plain || !matches!(kind, Some("svg" | "png")) {
            return Err(Error::Input {
                file: list.display().to_string(),
                line: i + 1,
                col: 0,
                field: String::new(),
                msg: format!(
                    "expected the name of a .svg or .png in plots/, found {:?}: redraw the plots with `dcload plot DIR`",
                    crate::base::numfmt::shorten(name, 60)
                ),
            });
        }
        names.push(name);
    }
    let svg_of = |png: &str| format!("{}.svg", png.trim_end_matches(".png"));
    let mut v: Vec<PathBuf> = names
        .iter()
        .filter(|n| !n.ends_with(".png") || !names.contains(&svg_of(n).as_str()))
        .map(|n| dir.join("plots").join(n))
        .collect();
    v.sort();
    v.dedup();
    Ok(v)
}

/// The largest plot the page embeds: dcload's plots are tens to hundreds of KiB.
pub const MAX_PLOT_BYTES: u64 = 32 << 20;

/// A plot to embed: a regular file (not a link, which could point at any file the user can
/// read, nor a FIFO or device) of at most [`MAX_PLOT_BYTES`]; anything else is refused with
/// its name, since dcload never writes such a file into plots/.
fn read_plot(path: &Path) -> Result<Vec<u8>> {
    let refuse = |why: String| {
        Error::Other(format!(
            "{}: {why}: report embeds only the plots dcload wrote (regular files of at most {} MiB); remove it or redraw the plots with `dcload plot DIR`",
            path.display(),
            MAX_PLOT_BYTES >> 20
        ))
    };
    let meta = std::fs::symlink_metadata(path).map_err(|e| Error::Read {
        file: path.display().to_string(),
        source: e,
    })?;
    if meta.file_type().is_symlink() {
        return Err(refuse("a symbolic link".into()));
    }
    if !meta.is_file() {
        return Err(refuse("not a regular file".into()));
    }
    if meta.len() > MAX_PLOT_BYTES {
        return Err(refuse(format!("{} MiB", meta.len() >> 20)));
    }
    read(path)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Read {
        file: path.display().to_string(),
        source: e,
    })
}

/// The percentile keys of a band object (`p10`, `p50`, ...), in numeric order.
pub(super) fn pkeys(band: &Value) -> Vec<String> {
    let mut k: Vec<(f64, String)> = band
        .as_object()
        .map(|o| {
            o.keys()
                .filter_map(|k| Some((k.strip_prefix('p')?.parse::<f64>().ok()?, k.clone())))
                .collect()
        })
        .unwrap_or_default();
    k.sort_by(|a, b| a.0.total_cmp(&b.0));
    k.into_iter().map(|(_, s)| s).collect()
}

fn band_table(out: &mut String, rows: &[(String, &Value)]) {
    let rows: Vec<(Vec<String>, &Value)> =
        rows.iter().map(|(l, b)| (vec![l.clone()], *b)).collect();
    band_table_with(out, &["figure"], &rows);
}

/// A table of bands: the label columns `heads`, then mean and each percentile.
pub(super) fn band_table_with(out: &mut String, heads: &[&str], rows: &[(Vec<String>, &Value)]) {
    let keys = rows.first().map(|(_, b)| pkeys(b)).unwrap_or_default();
    out.push_str(TABLE_OPEN);
    out.push_str("<thead><tr>");
    for h in heads {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("<th>mean</th>");
    for k in &keys {
        let _ = write!(out, "<th>{}</th>", esc(&k.to_uppercase()));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for (labels, b) in rows {
        out.push_str("<tr>");
        for l in labels {
            let _ = write!(out, "<td>{}</td>", esc(l));
        }
        let _ = write!(
            out,
            "<td class=\"n\">{}</td>",
            b["mean"].as_f64().map(fmt).unwrap_or_default()
        );
        for k in &keys {
            let _ = write!(
                out,
                "<td class=\"n\">{}</td>",
                b[k].as_f64().map(fmt).unwrap_or_default()
            );
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n");
    out.push_str(TABLE_CLOSE);
}

/// Builds the page from a run folder.
pub fn render(dir: &Path) -> Result<String> {
    let s = read_summary(dir)?;
    let name = s["run"].as_str().unwrap_or("dcload run").to_string();
    let mut o = String::new();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(o, "<title>{} | dcload report</title>", esc(&name));
    o.push_str(STYLE);
    let _ = writeln!(o, "<h1>{}</h1>", esc(&name));
    if let Some(d) = s["config"]["description"].as_str() {
        let _ = writeln!(o, "<p>{}</p>", esc(d));
    }
    super::answers::answers(&mut o, &s);
    run_facts(&mut o, &s);
    warnings(&mut o, &s);
    headline(&mut o, &s);
    years(&mut o, &s);
    coincident(&mut o, &s);
    monthly(&mut o, dir, "monthly.csv", "Monthly")?;
    for (year, file) in per_year_monthly(dir) {
        monthly(&mut o, dir, &file, &format!("{year}, month by month"))?;
    }
    plots(&mut o, dir)?;
    o.push_str("<p><small>Written by dcload. The CSV files beside this page hold every figure.</small></p>\n</body>\n</html>\n");
    Ok(o)
}

const STYLE: &str = "<style>\nbody{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}\n\
table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:90%}\n\
th,td{border:1px solid #ccc;padding:.2em .5em}th{background:#f2f2f2}\n\
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n\
.scroll{overflow-x:auto;max-width:100%}\n\
.warn{background:#fff4e0;border-left:4px solid #e0a000;padding:.5em 1em}\n\
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}\n\
</style>\n</head>\n<body>\n";

/// DIR/summary.json, with errors that say what a run folder is when DIR is not one.
fn read_summary(dir: &Path) -> Result<Value> {
    let sp = dir.join("summary.json");
    if !dir.is_dir() {
        return Err(Error::Other(format!(
            "{}: no such folder: give a folder that `dcload run` or `dcload merge` wrote",
            dir.display()
        )));
    }
    // A run removes its checkpoint once its outputs are written: one left behind is a run that
    // failed or was stopped, and any outputs beside it are an earlier run's or half written.
    if dir.join(".checkpoint").exists() {
        return Err(Error::Other(format!(
            "{}: the run in this folder did not finish (its .checkpoint/ is still there): the files beside it are from an earlier run or incomplete; finish it with `dcload run FILE --out {} --resume`, or run it again",
            dir.display(),
            dir.display()
        )));
    }
    if !sp.is_file() {
        return Err(Error::Other(format!(
            "{}: not a dcload run folder (it has no summary.json): give a folder that `dcload run` or `dcload merge` wrote",
            dir.display()
        )));
    }
    let text = String::from_utf8_lossy(&read(&sp)?).into_owned();
    let s: Value = serde_json::from_str(&text).map_err(|e| Error::Input {
        file: sp.display().to_string(),
        line: e.line(),
        col: e.column(),
        field: String::new(),
        msg: format!("not valid JSON ({e}): expected the summary.json dcload writes"),
    })?;
    if !s.is_object() || !s["metrics"].is_object() {
        return Err(Error::Input {
            file: sp.display().to_string(),
            line: 1,
            col: 1,
            field: "metrics".into(),
            msg: "expected the summary.json dcload writes (an object with `metrics`)".into(),
        });
    }
    Ok(s)
}

/// The run's facts: run file, start, horizon, step, trials, seed, percentiles, capacity,
/// version.
fn run_facts(o: &mut String, s: &Value) {
    o.push_str("<h2>Run</h2>\n");
    o.push_str(TABLE_OPEN);
    o.push_str("<tbody>\n");
    let get_str = |v: &Value| match v {
        Value::String(t) => Some(t.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) if !a.is_empty() => Some(
            a.iter()
                .map(|x| x.to_string().trim_matches('"').to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => None,
    };
    for (label, v) in [
        ("run file", &s["run_file"]),
        ("start", &s["config"]["start"]),
        ("horizon (hours)", &s["horizon_hours"]),
        ("step (s)", &s["step_s"]),
        ("trials", &s["trials"]),
        ("seed", &s["seed"]),
        ("percentiles", &s["percentiles"]),
        ("installed IT peak (MW)", &s["installed_it_peak_mw"]),
        ("dcload version", &s["dcload_version"]),
    ] {
        if let Some(t) = get_str(v) {
            let _ = writeln!(o, "<tr><th>{}</th><td>{}</td></tr>", label, esc(&t));
        }
    }
    o.push_str("</tbody>\n");
    o.push_str(TABLE_CLOSE);
}

/// The warnings (every list of strings in summary.json whose key mentions warnings); what broke
/// first opens the page, with the answers.
fn warnings(o: &mut String, s: &Value) {
    let mut warnings: Vec<&str> = Vec::new();
    if let Some(obj) = s.as_object() {
        for (k, v) in obj {
            if k.contains("warning")
                && let Some(a) = v.as_array()
            {
                warnings.extend(a.iter().filter_map(Value::as_str));
            }
        }
    }
    o.push_str("<h2>Warnings</h2>\n");
    if warnings.is_empty() {
        o.push_str("<p>None.</p>\n");
    } else {
        warn_list(o, &warnings);
    }
}

pub(super) fn warn_list(o: &mut String, lines: &[&str]) {
    o.push_str("<div class=\"warn\"><ul>\n");
    for l in lines {
        let _ = writeln!(o, "<li>{}</li>", esc(l));
    }
    o.push_str("</ul></div>\n");
}

/// The ramps and every trial metric (folded), with their bands across trials; the headline
/// figures open the page ([`super::answers`]).
fn headline(o: &mut String, s: &Value) {
    let metrics = &s["metrics"];
    let trials = s["trials"].as_u64().unwrap_or(0);
    let _ = writeln!(
        o,
        "<h2>All figures</h2>\n<p>Mean and percentiles across {trials} trials (per trial over the whole horizon).</p>"
    );
    if let Some(r) = s["ramps"].as_object()
        && !r.is_empty()
    {
        o.push_str("<h3>Ramps (largest rise and fall, MW)</h3>\n");
        band_table(o, &rows(r));
    }
    if let Some(m) = metrics.as_object() {
        o.push_str("<details>\n<summary>All trial metrics</summary>\n");
        band_table(o, &rows(m));
        o.push_str("</details>\n");
    }
}

/// Per-year headlines (summary.json `years`, a horizon over more than one calendar year): one
/// banded table a year, its ramps folded.
fn years(o: &mut String, s: &Value) {
    let Some(years) = s["years"].as_array().filter(|a| !a.is_empty()) else {
        return;
    };
    o.push_str("<h2>Per year</h2>\n<p>Each calendar year of the horizon (study clock) apart: mean and percentiles across trials.</p>\n");
    for y in years {
        // Whole hours as integers; a partial last hour keeps its tenth.
        let hours = y["hours"]
            .as_f64()
            .map(|h| format!("{}", (h * 10.0).round() / 10.0))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<h3>{} ({} h)</h3>",
            esc(&y["year"].to_string()),
            esc(&hours)
        );
        let head: Vec<(String, &Value)> = YEAR_ROWS
            .iter()
            .filter(|(k, _)| y[*k].is_object())
            .map(|(k, l)| ((*l).to_string(), &y[*k]))
            .collect();
        band_table(o, &head);
        if let Some(r) = y["ramps"].as_object() {
            o.push_str("<details>\n<summary>Ramps (largest rise and fall, MW)</summary>\n");
            band_table(o, &rows(r));
            o.push_str("</details>\n");
        }
    }
}

/// Coincident-peak billing (summary.json `coincident_peak`): each year's determinant, with and
/// without the response rule, banded.
fn coincident(o: &mut String, s: &Value) {
    let cp = &s["coincident_peak"];
    let Some(years) = cp["years"].as_array() else {
        return;
    };
    let set = cp["set"].as_str().unwrap_or("").to_uppercase();
    let _ = writeln!(
        o,
        "<h2>Coincident-peak billing ({})</h2>\n<p>Each trial's mean demand over the year's coincident-peak intervals (its transmission determinant), across trials.</p>",
        esc(&set)
    );
    if let (Some(share), Some(hit)) = (
        cp["response"]["share"].as_f64(),
        cp["response"]["hit_rate"].as_f64(),
    ) {
        let _ = writeln!(
            o,
            "<p>Response rule: {:.0} % of demand cut through each peak interval forecast; {:.0} % of the peaks forecast.</p>",
            share * 100.0,
            hit * 100.0
        );
    }
    let mut rows: Vec<(String, &Value)> = Vec::new();
    for y in years {
        let year = y["year"].to_string();
        for (k, label) in [
            ("demand_mw", "determinant (MW)"),
            ("with_response_mw", "with response (MW)"),
            ("response_worth_mw", "response worth (MW)"),
        ] {
            if y[k].is_object() {
                rows.push((format!("{year} {label}"), &y[k]));
            }
        }
    }
    band_table(o, &rows);
}

/// The rows of a year's table: summary.json key, label.
const YEAR_ROWS: [(&str, &str); 9] = [
    ("coincident_peak_mw", "coincident-peak determinant (MW)"),
    ("energy_mwh", "facility energy (MWh)"),
    ("peak_mw", "peak demand, hourly (MW)"),
    ("peak_step_mw", "peak demand, step (MW)"),
    ("load_factor", "load factor"),
    ("pue", "PUE"),
    ("wue_l_per_kwh", "WUE (L/kWh)"),
    ("curtailed_mwh", "curtailed (MWh)"),
    ("it_energy_mwh", "IT energy (MWh)"),
];

/// Every entry of an object as a table row, in the object's order.
fn rows(m: &serde_json::Map<String, Value>) -> Vec<(String, &Value)> {
    m.iter().map(|(k, v)| (k.clone(), v)).collect()
}

/// The per-year monthly files the run wrote (`monthly_YYYY.csv`, from `[report] years`), by
/// year.
fn per_year_monthly(dir: &Path) -> Vec<(i32, String)> {
    let mut found: Vec<(i32, String)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| {
                let name = e.ok()?.file_name().to_string_lossy().into_owned();
                let year = name.strip_prefix("monthly_")?.strip_suffix(".csv")?;
                Some((year.parse().ok()?, name))
            })
            .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// A monthly table (`file` as written, numbers made readable), when the run has one.
fn monthly(o: &mut String, dir: &Path, file: &str, title: &str) -> Result<()> {
    let mp = dir.join(file);
    if !mp.is_file() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&read(&mp)?).into_owned();
    let _ = writeln!(o, "<h2>{}</h2>", esc(title));
    o.push_str(TABLE_OPEN);
    for (i, line) in text.lines().enumerate() {
        if i == 0 {
            o.push_str("<thead><tr>");
            for h in line.split(',') {
                let _ = write!(o, "<th>{}</th>", esc(h));
            }
            o.push_str("</tr></thead>\n<tbody>\n");
        } else {
            o.push_str("<tr>");
            for (j, f) in line.split(',').enumerate() {
                if j == 0 {
                    let _ = write!(o, "<td>{}</td>", esc(f));
                } else {
                    let shown = f.parse::<f64>().map(fmt).unwrap_or_else(|_| f.to_string());
                    let _ = write!(o, "<td class=\"n\">{}</td>", esc(&shown));
                }
            }
            o.push_str("</tr>\n");
        }
    }
    o.push_str("</tbody>\n");
    o.push_str(TABLE_CLOSE);
    Ok(())
}

/// The plots, embedded.
fn plots(o: &mut String, dir: &Path) -> Result<()> {
    let plots = plot_files(dir)?;
    o.push_str("<h2>Plots</h2>\n");
    if plots.is_empty() {
        o.push_str(
            "<p>No plots in this folder (run without --no-plots, or `dcload plot DIR`).</p>\n",
        );
    }
    for p in &plots {
        let file = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mime = if file.ends_with(".svg") {
            "image/svg+xml"
        } else {
            "image/png"
        };
        let data = read_plot(p)?;
        let _ = writeln!(
            o,
            "<figure><img src=\"data:{mime};base64,{}\" alt=\"{}\"><figcaption>plots/{}</figcaption></figure>",
            base64(&data),
            esc(&file),
            esc(&file)
        );
    }
    Ok(())
}

/// Writes DIR/report.html atomically; returns its path.
pub fn write(dir: &Path) -> Result<PathBuf> {
    let html = render(dir)?;
    let path = dir.join("report.html");
    crate::base::io::write_atomic(&path, html.as_bytes())?;
    Ok(path)
}

/// Elements that never have a closing tag.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// A well-formedness check of HTML as this module writes it: every non-void element closed in
/// order, no stray `<`, nothing after `</html>`. Returns the number of elements.
pub fn check_balanced(html: &str) -> std::result::Result<usize, String> {
    let mut stack: Vec<String> = Vec::new();
    let mut count = 0;
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let at = i + off;
        let rest = &html[at..];
        if rest.starts_with("<!--") {
            let end = rest
                .find("-->")
                .ok_or(format!("unclosed comment at byte {at}"))?;
            i = at + end + 3;
            continue;
        }
        let end = rest.find('>').ok_or(format!("unclosed tag at byte {at}"))?;
        let tag = &rest[1..end];
        i = at + end + 1;
        if tag.starts_with('!') {
            continue;
        }
        if tag.contains('<') {
            return Err(format!("`<` inside a tag at byte {at}"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => {
                    return Err(format!("</{name}> at byte {at} closes <{open}>"));
                }
                None => return Err(format!("</{name}> at byte {at} closes nothing")),
            }
            continue;
        }
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() || !b[at + 1].is_ascii_alphabetic() {
            return Err(format!("stray `<` at byte {at}"));
        }
        count += 1;
        if VOID.contains(&name.as_str()) || tag.ends_with('/') {
            continue;
        }
        if name == "style" || name == "script" {
            let close = format!("</{name}>");
            let end = html[i..]
                .find(&close)
                .ok_or(format!("<{name}> at byte {at} never closed"))?;
            i += end + close.len();
            continue;
        }
        stack.push(name);
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn balance_check_catches_errors() {
        assert_eq!(
            check_balanced("<!DOCTYPE html><html><body><p>a<br>b</p><img src=\"x\"></body></html>"),
            Ok(5)
        );
        assert!(check_balanced("<html><body><p>a</body></html>").is_err());
        assert!(check_balanced("<html><p>a</p>").is_err());
        assert!(check_balanced("<p>a</p></p>").is_err());
        assert!(check_balanced("<p>1 < 2</p>").is_err());
        assert!(check_balanced("<style>p>a{}</style><p></p>").is_ok());
        assert_eq!(esc("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
        assert!(check_balanced(&format!("<p>{}</p>", esc("1 < 2"))).is_ok());
    }
}
