//! The top of report.html: the answers a manager reads before any table of data. The headline
//! figures with their bands, what broke first, and the limits the study was checked against,
//! all from summary.json.

use std::fmt::Write as _;

use serde_json::Value;

use super::html::{HEADLINE, TABLE_CLOSE, TABLE_OPEN, band_table_with, esc, fmt, warn_list};

/// One row of the headline table: a figure over a period, with its band across trials. The
/// table is drawn from a list of these so per-year rows (one per report year) join the
/// whole-horizon ones without a change to the section.
pub struct AnswerRow<'a> {
    pub figure: String,
    /// `whole horizon`, or a calendar year.
    pub period: String,
    pub band: &'a Value,
}

/// The headline rows: each [`HEADLINE`] metric the run has, over the whole horizon, then
/// each calendar year's (summary.json's `years`, when the horizon spans more than one) of the
/// metrics a year carries, so a build-out's years are read apart from the whole.
pub fn answer_rows(s: &Value) -> Vec<AnswerRow<'_>> {
    let metrics = &s["metrics"];
    let mut rows: Vec<AnswerRow<'_>> = HEADLINE
        .iter()
        .filter(|(k, _)| metrics[*k].is_object())
        .map(|(k, label)| AnswerRow {
            figure: (*label).to_string(),
            period: "whole horizon".to_string(),
            band: &metrics[*k],
        })
        .collect();
    for y in s["years"].as_array().into_iter().flatten() {
        let period = y["year"].to_string();
        rows.extend(
            HEADLINE
                .iter()
                .filter(|(k, _)| y[*k].is_object())
                .map(|(k, label)| AnswerRow {
                    figure: (*label).to_string(),
                    period: period.clone(),
                    band: &y[*k],
                }),
        );
    }
    rows
}

/// The answers section: headline table, what broke first, the limits checked.
pub fn answers(o: &mut String, s: &Value) {
    let trials = s["trials"].as_u64().unwrap_or(0);
    let _ = writeln!(
        o,
        "<h2>Answers</h2>\n<p>Mean and percentiles across {trials} trials; each trial's figure over its period.</p>"
    );
    let rows: Vec<(Vec<String>, &Value)> = answer_rows(s)
        .into_iter()
        .map(|r| (vec![r.figure, r.period], r.band))
        .collect();
    band_table_with(o, &["figure", "period"], &rows);
    o.push_str("<h3>What broke first</h3>\n");
    match s["what_broke"].as_array() {
        Some(a) if !a.is_empty() => {
            let lines: Vec<String> = a.iter().filter_map(Value::as_str).map(group_big_numbers).collect();
            warn_list(o, &lines.iter().map(String::as_str).collect::<Vec<_>>());
        }
        _ => o.push_str(
            "<p>Nothing broke in any trial: no pool dropped requests, no cap shed load, the cooling plant kept up and no energy went unserved.</p>\n",
        ),
    }
    limits(o, s);
}

/// A limit as the run file states it: readable, without trailing zeros (`90 MW`, not
/// `90.00 MW`).
fn trimmed(x: f64) -> String {
    let t = fmt(x);
    if t.contains('.') && !t.contains('e') {
        t.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        t
    }
}

/// The console's what-broke lines carry counts as computed (`5978238.0 requests dropped`):
/// numbers of five or more digits standing alone (after a space or `(`, so no date or time is
/// touched) are written readable (`5,978,238`).
fn group_big_numbers(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut rest = line;
    let mut prev: Option<char> = None;
    while let Some(c) = rest.chars().next() {
        let starts = c.is_ascii_digit() && matches!(prev, None | Some(' ') | Some('('));
        if starts {
            let len = rest
                .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
                .unwrap_or(rest.len());
            let (num, after) = rest.split_at(len);
            let num = num.trim_end_matches('.');
            let whole = num.split('.').next().unwrap_or("");
            let ends = after
                .chars()
                .next()
                .is_none_or(|n| matches!(n, ' ' | ')' | ',' | ';'));
            match num.parse::<f64>() {
                Ok(v) if whole.len() >= 5 && ends => out.push_str(&fmt(v)),
                _ => out.push_str(num),
            }
            rest = &rest[num.len()..];
            prev = num.chars().last();
            continue;
        }
        out.push(c);
        prev = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// A band's mean and upper percentile as text: `12.5 (P90 22.5)`.
fn band_text(b: &Value) -> Option<String> {
    let mean = b["mean"].as_f64()?;
    let top = super::html::pkeys(b).pop();
    Some(match top.and_then(|k| b[&k].as_f64().map(|v| (k, v))) {
        Some((k, v)) => format!("{} ({} {})", fmt(mean), k.to_uppercase(), fmt(v)),
        None => fmt(mean),
    })
}

/// The limits the study was held to and what each trial did against them: the grid import
/// limit, the installed IT capacity, the cooling plant, the pools' capacity.
fn limits(o: &mut String, s: &Value) {
    let m = &s["metrics"];
    let import = s["config"]["grid"]["import_limit_mw"].as_f64();
    let mut rows: Vec<[String; 3]> = Vec::new();
    rows.push([
        "Grid import limit".into(),
        import.map_or("none set".into(), |l| format!("{} MW", trimmed(l))),
        match (import, band_text(&m["exceed_hours"])) {
            (Some(_), Some(t)) => format!("hours above it: {t}"),
            _ => "not checked (no limit in the run file)".into(),
        },
    ]);
    if let Some(it) = s["installed_it_peak_mw"].as_f64() {
        rows.push([
            "Installed IT capacity".into(),
            format!("{} MW", trimmed(it)),
            band_text(&m["peak_mw"]).map_or(String::new(), |t| format!("facility peak, MW: {t}")),
        ]);
    }
    for (key, limit, what) in [
        (
            "plant_saturated_hours",
            "Cooling plant capacity",
            "hours saturated",
        ),
        ("requests_dropped", "Pool capacity", "requests dropped"),
    ] {
        if let Some(t) = band_text(&m[key]) {
            rows.push([limit.into(), "as built".into(), format!("{what}: {t}")]);
        }
    }
    o.push_str("<h3>Limits the study was checked against</h3>\n");
    o.push_str(TABLE_OPEN);
    o.push_str("<thead><tr><th>limit</th><th>value</th><th>across trials: mean (upper percentile)</th></tr></thead>\n<tbody>\n");
    for r in &rows {
        let _ = writeln!(
            o,
            "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            esc(&r[0]),
            esc(&r[1]),
            esc(&r[2])
        );
    }
    o.push_str("</tbody>\n");
    o.push_str(TABLE_CLOSE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_counts_in_what_broke_are_grouped_and_dates_kept() {
        let line = "pool \"inference\" saturated: first 2025-06-05T17:00:00-05:00 (2 of 2 trials); 21.0 h (P10 8.2, P90 33.8), 5978238.0 requests dropped (P10 4458517.2, P90 7497958.8)";
        assert_eq!(
            group_big_numbers(line),
            "pool \"inference\" saturated: first 2025-06-05T17:00:00-05:00 (2 of 2 trials); 21.0 h (P10 8.2, P90 33.8), 5,978,238 requests dropped (P10 4,458,517, P90 7,497,959)"
        );
        assert_eq!(trimmed(90.0), "90");
        assert_eq!(trimmed(94.92), "94.92");
        assert_eq!(trimmed(12500.0), "12,500");
    }
}
