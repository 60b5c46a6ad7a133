//! The seasonal thresholds the new load is held to: the record's largest load in the summer
//! months and in the others (the paper's step 2).

use crate::base::error::{Error, Result};

use super::SystemLoad;

/// The seasonal thresholds: the record's largest load in the summer months and in the others.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    pub summer_mw: f64,
    pub winter_mw: f64,
    /// Which months are summer (index 0 = January).
    pub summer: [bool; 12],
}

impl Thresholds {
    pub fn of(load: &SystemLoad, summer: [bool; 12]) -> Thresholds {
        let (mut s, mut w) = (0.0f64, 0.0f64);
        for h in &load.hours {
            if summer[h.month as usize - 1] {
                s = s.max(h.mw);
            } else {
                w = w.max(h.mw);
            }
        }
        Thresholds {
            summer_mw: s,
            winter_mw: w,
            summer,
        }
    }

    pub fn at(&self, month: u8) -> f64 {
        if self.summer[month as usize - 1] {
            self.summer_mw
        } else {
            self.winter_mw
        }
    }
}

/// `4-9` or `6,7,8` as a month set.
pub fn parse_months(s: &str) -> std::result::Result<[bool; 12], String> {
    let mut set = [false; 12];
    for part in s.split(',') {
        let part = part.trim();
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let (a, b): (usize, usize) = match (a.parse(), b.parse()) {
            (Ok(a), Ok(b)) if (1..=12).contains(&a) && (1..=12).contains(&b) && a <= b => (a, b),
            _ => {
                return Err(format!(
                    "expected months 1-12 as a range or list (e.g. 4-9 or 6,7,8), found `{part}`"
                ));
            }
        };
        for m in a..=b {
            set[m - 1] = true;
        }
    }
    if set.iter().all(|x| *x) {
        return Err("every month is summer: leave at least one winter month".into());
    }
    Ok(set)
}

/// Refuses a record that cannot give a seasonal threshold: one whose hours all fall in one
/// season (a winter week has no summer peak, and summer hours would be held to 0 MW).
pub fn check_record(load: &SystemLoad, thr: &Thresholds) -> Result<()> {
    let in_summer = load
        .hours
        .iter()
        .filter(|h| thr.summer[h.month as usize - 1])
        .count();
    let n = load.hours.len();
    if in_summer == 0 || in_summer == n {
        let (first, last) = (&load.hours[0], &load.hours[n - 1]);
        return Err(Error::Other(format!(
            "{}: {n} hours ({:04}-{:02}-{:02} to {:04}-{:02}-{:02}), all in the {} months: headroom needs the system's load in both seasons to set a summer and a winter peak threshold, at least a whole year of hourly load (the method uses several whole years)",
            load.what,
            first.year,
            first.month,
            first.day,
            last.year,
            last.month,
            last.day,
            if in_summer == 0 { "winter" } else { "summer" }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let s = parse_months("4-9").unwrap();
        assert_eq!(s.iter().filter(|x| **x).count(), 6);
        assert!(s[3] && s[8] && !s[2] && !s[9]);
        assert!(parse_months("6,7,8").unwrap()[6]);
        assert!(parse_months("1-12").is_err());
        assert!(parse_months("13").is_err());
    }
}
