//! Coincident-peak billing (`[grid] coincident_peak`): which of the stated system-peak
//! intervals make a year's transmission determinant, and the developer's response rule.
//!
//! - `"4cp"`: ERCOT's four coincident peaks: the 15-minute interval of the ERCOT system's
//!   monthly peak demand in June, July, August and September; a customer's wholesale
//!   transmission cost is allocated on its average demand over those four intervals (the
//!   PUCT's transmission service rule, 16 TAC §25.192). At most one stated interval a month.
//! - `"5cp"`: PJM's five coincident peaks: the five highest daily peak hours of the zone's
//!   load from 1 June to 30 September; a customer's peak load contribution is its average
//!   demand over those five hours (PJM Manual 19, *Load Forecasting and Analysis*). At most
//!   one stated interval a day, five a summer.
//! - `"stated"`: every stated interval of the year, whatever the month (another utility's
//!   rule, e.g. a 12CP, or a file of instants).
//!
//! The instants themselves are the system's, so they come from `system_peak_hours` /
//! `system_peaks_file` (dcload does not model the system's load).

use serde::Serialize;

use super::site::SystemPeak;
use crate::base::error::{Result, Source};
use crate::base::time::{Calendar, SimTime};

/// Which stated intervals count, per calendar year of the study clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CpSet {
    #[serde(rename = "4cp")]
    Four,
    #[serde(rename = "5cp")]
    Five,
    Stated,
}

/// Curtail `share` of the site's demand through every coincident-peak interval the developer
/// forecast: each interval is forecast with probability `hit_rate`, drawn from the trial's own
/// stream.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CpResponse {
    pub share: f64,
    pub hit_rate: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CpRule {
    pub set: CpSet,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<CpResponse>,
}

impl CpRule {
    /// The indices into `peaks` that count, by calendar year: `(year, indices by start)`.
    pub fn by_year(&self, cal: &Calendar, peaks: &[SystemPeak]) -> Vec<(i32, Vec<usize>)> {
        let mut idx: Vec<usize> = (0..peaks.len())
            .filter(|&k| {
                let m = cal.date(SimTime(peaks[k].start_s)).month;
                self.set == CpSet::Stated || (6..=9).contains(&m)
            })
            .collect();
        idx.sort_by_key(|&k| (peaks[k].start_s, k));
        let mut out: Vec<(i32, Vec<usize>)> = Vec::new();
        for k in idx {
            let y = cal.date(SimTime(peaks[k].start_s)).year;
            match out.last_mut() {
                Some((py, v)) if *py == y => v.push(k),
                _ => out.push((y, vec![k])),
            }
        }
        out
    }
}

/// The `[grid]` fields, as written.
pub struct CpFields<'a> {
    pub set: Option<&'a toml::Spanned<String>>,
    pub share: Option<&'a toml::Spanned<f64>>,
    pub hit_rate: Option<&'a toml::Spanned<f64>>,
}

/// The rule, checked against the stated intervals: a set needs intervals, the response needs
/// a set, shares are fractions, and 4CP / 5CP take one interval a month / a day.
pub fn resolve(
    f: &CpFields,
    peaks: &[SystemPeak],
    cal: &Calendar,
    src: &Source,
) -> Result<Option<CpRule>> {
    let Some(name) = f.set else {
        if let Some(s) = f.share.map(|s| s.span()).or(f.hit_rate.map(|h| h.span())) {
            return Err(src.error_at(
                s,
                "",
                "a coincident-peak response needs `coincident_peak` (\"4cp\", \"5cp\" or \"stated\")",
            ));
        }
        return Ok(None);
    };
    let set = match name.get_ref().to_ascii_lowercase().as_str() {
        "4cp" => CpSet::Four,
        "5cp" => CpSet::Five,
        "stated" => CpSet::Stated,
        other => {
            return Err(src.error_at(
                name.span(),
                "coincident_peak",
                format!(
                    "unknown set {other:?}; expected \"4cp\" (ERCOT), \"5cp\" (PJM) or \"stated\""
                ),
            ));
        }
    };
    if peaks.is_empty() {
        return Err(src.error_at(
            name.span(),
            "coincident_peak",
            "needs the system's peak intervals: add system_peak_hours or system_peaks_file",
        ));
    }
    let fraction = |v: Option<&toml::Spanned<f64>>, field: &str, default: f64| match v {
        None => Ok(default),
        Some(x) if (0.0..=1.0).contains(x.get_ref()) => Ok(*x.get_ref()),
        Some(x) => Err(src.error_at(
            x.span(),
            field,
            format!("expected a fraction from 0 to 1, found {}", x.get_ref()),
        )),
    };
    let response = match (f.share, f.hit_rate) {
        (None, None) => None,
        (share, hit) => Some(CpResponse {
            share: fraction(share, "cp_response_share", 1.0)?,
            hit_rate: fraction(hit, "cp_response_hit_rate", 1.0)?,
        }),
    };
    let rule = CpRule { set, response };
    check_one_per(&rule, peaks, cal)
        .map_err(|m| src.error_at(name.span(), "coincident_peak", m))?;
    Ok(Some(rule))
}

/// 4CP: at most one interval a summer month; 5CP: at most one a day and five a summer.
fn check_one_per(
    rule: &CpRule,
    peaks: &[SystemPeak],
    cal: &Calendar,
) -> std::result::Result<(), String> {
    let (key_len, label, most) = match rule.set {
        CpSet::Four => (7, "month", 4),
        CpSet::Five => (10, "day", 5),
        CpSet::Stated => return Ok(()),
    };
    for (year, idx) in rule.by_year(cal, peaks) {
        let stamps: Vec<String> = idx
            .iter()
            .map(|&k| cal.timestamp(SimTime(peaks[k].start_s)))
            .collect();
        for w in stamps.windows(2) {
            if w[0][..key_len] == w[1][..key_len] {
                return Err(format!(
                    "two system-peak intervals in one {label} ({} and {}); {} counts one a \
                     {label}: expected the system's peak of each {label} only",
                    w[0],
                    w[1],
                    if most == 4 {
                        "ERCOT's 4CP"
                    } else {
                        "PJM's 5CP"
                    }
                ));
            }
        }
        if stamps.len() > most {
            return Err(format!(
                "{} system-peak intervals in June-September {year}; expected at most {most}",
                stamps.len()
            ));
        }
    }
    Ok(())
}
