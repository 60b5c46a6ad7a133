//! Electricity tariffs (issue 5, "carbon and cost"): time-of-use energy prices, a monthly demand
//! charge and a fixed monthly charge ([`Tariff`]), and the cost of a year of hourly loads
//! ([`Tariff::annual_cost`]). Malformed files give a [`GridError`] naming file, line and field.
//!
//! A tariff file `models/tariffs/<name>.toml` (or the same keys in a table of a run file, read
//! with [`Tariff::from_toml_at`]):
//!
//! ```toml
//! name = "dominion-gs3-like"
//! source = "..."
//! currency = "USD"
//! demand_charge_per_kw_month = 12.0  # optional (default 0): on each calendar month's highest
//!                                    # hourly demand, kW
//! fixed_per_month = 0.0              # optional (default 0)
//!
//! # Energy prices: periods are checked in order and the first match wins. A period matches
//! # months (1-12), weekdays ("mon".."sun") and local hours [start, end); an absent filter
//! # matches everything. The last period must match every hour (a catch-all).
//! [[energy]]
//! name = "on-peak"
//! months = [6, 7, 8, 9]
//! days = ["mon", "tue", "wed", "thu", "fri"]
//! hours = [13, 19]
//! price_per_mwh = 95.0
//!
//! [[energy]]
//! name = "off-peak"
//! price_per_mwh = 55.0
//! ```
//!
//! Top-level keys must come before the first `[[energy]]` table (TOML puts any key after a table
//! header into that table). `hours = [22, 6]` (start after end) wraps past midnight. Negative
//! energy prices are allowed (wholesale markets clear below zero when wind and solar are in
//! surplus); demand and fixed charges must be >= 0.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use toml::Spanned;

use super::input::{FileAt, GridError, read_file, toml_error};

/// Weekday names accepted in `days`, Monday first (index = weekday, 0 = Monday).
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const ALL_MONTHS: u16 = (1 << 12) - 1;
const ALL_DAYS: u8 = (1 << 7) - 1;
const ALL_HOURS: u32 = (1 << 24) - 1;

/// One hour of load to be priced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HourLoad {
    /// Calendar month, 1-12. Hours with the same month number form one billing month.
    pub month: u32,
    /// Day of week, 0 = Monday .. 6 = Sunday.
    pub weekday: usize,
    /// Local hour of day on the tariff's clock, 0-23.
    pub hour: usize,
    /// The hour's mean demand, MW (numerically equal to the hour's MWh).
    pub mw: f64,
}

/// The cost of a year of hourly loads under a [`Tariff`], in the tariff's currency.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    /// Energy charges: sum over hours of price x MWh.
    pub energy: f64,
    /// Demand charges: sum over billing months of the charge x that month's highest hourly
    /// demand (kW, floored at 0).
    pub demand: f64,
    /// Fixed charges: `fixed_per_month` x the number of billing months present.
    pub fixed: f64,
    /// `energy + demand + fixed`.
    pub total: f64,
    /// Per billing month, in month order: (month, energy charge, demand charge).
    pub monthly: Vec<(u32, f64, f64)>,
}

/// One time-of-use energy price period.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyPeriod {
    name: String,
    /// Bit `m - 1` set for each month `m` matched.
    months: u16,
    /// Bit `d` set for each weekday matched (0 = Monday).
    days: u8,
    /// Bit `h` set for each local hour matched.
    hours: u32,
    price_per_mwh: f64,
}

impl EnergyPeriod {
    /// The period's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Energy price in the period, currency per MWh (may be negative).
    pub fn price_per_mwh(&self) -> f64 {
        self.price_per_mwh
    }

    /// Whether the period covers every hour of the year.
    pub fn is_catch_all(&self) -> bool {
        self.months == ALL_MONTHS && self.days == ALL_DAYS && self.hours == ALL_HOURS
    }

    /// Whether the period matches month (1-12), weekday (0 = Monday) and local hour (0-23).
    /// Out-of-range arguments are matched only by a catch-all period.
    pub fn matches(&self, month: u32, weekday: usize, hour: usize) -> bool {
        if self.is_catch_all() {
            return true;
        }
        (1..=12).contains(&month)
            && weekday < 7
            && hour < 24
            && self.months & (1 << (month - 1)) != 0
            && self.days & (1 << weekday) != 0
            && self.hours & (1 << hour) != 0
    }
}

/// A tariff: time-of-use energy prices, a demand charge on each calendar month's highest hourly
/// demand and a fixed monthly charge.
#[derive(Clone, Debug, PartialEq)]
pub struct Tariff {
    name: String,
    source: String,
    currency: String,
    periods: Vec<EnergyPeriod>,
    demand_charge_per_kw_month: f64,
    fixed_per_month: f64,
    /// `[month0][weekday][hour]` price, precomputed from the periods.
    table: Box<[[[f64; 24]; 7]; 12]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTariff {
    name: Spanned<String>,
    source: Spanned<String>,
    currency: Spanned<String>,
    #[serde(default)]
    demand_charge_per_kw_month: Option<Spanned<f64>>,
    #[serde(default)]
    fixed_per_month: Option<Spanned<f64>>,
    energy: Spanned<Vec<RawPeriod>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    name: Spanned<String>,
    #[serde(default)]
    months: Option<Spanned<Vec<Spanned<i64>>>>,
    #[serde(default)]
    days: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    hours: Option<Spanned<Vec<Spanned<i64>>>>,
    price_per_mwh: Spanned<f64>,
}

/// Finds the table at a dotted key path inside a TOML document and deserialises it as a
/// [`RawTariff`], keeping spans relative to the whole document.
struct AtPath<'p> {
    path: &'p [&'p str],
}

impl<'de> DeserializeSeed<'de> for AtPath<'_> {
    type Value = Option<RawTariff>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for AtPath<'_> {
    type Value = Option<RawTariff>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a table")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            match self.path.split_first() {
                Some((first, rest)) if key == *first => {
                    found = if rest.is_empty() {
                        Some(map.next_value::<RawTariff>()?)
                    } else {
                        map.next_value_seed(AtPath { path: rest })?
                    };
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

impl Tariff {
    /// Parses and validates a tariff file. `file` is used only in error messages. Errors name
    /// the file, the line and the field, e.g.
    /// `models/tariffs/x.toml:14: energy[1].hours: hour 25 out of range 0..=24`.
    pub fn from_toml(file: &str, text: &str) -> Result<Tariff, GridError> {
        let raw: RawTariff = toml::from_str(text).map_err(|e| tariff_toml_error(file, text, &e))?;
        Self::build(file, text, "", raw)
    }

    /// Parses and validates the tariff table at dotted key `key` (e.g. `"tariff"` or
    /// `"cost.tariff"`) of a larger TOML document such as a run file. Errors give lines in the
    /// whole document and fields prefixed with `key`.
    pub fn from_toml_at(file: &str, text: &str, key: &str) -> Result<Tariff, GridError> {
        let path: Vec<&str> = key.split('.').collect();
        let de = toml::de::Deserializer::parse(text).map_err(|e| toml_error(file, text, &e))?;
        let raw = AtPath { path: &path }
            .deserialize(de)
            .map_err(|e| tariff_toml_error(file, text, &e))?
            .ok_or_else(|| {
                GridError::input(file, None, key, format!("no table `{key}` in this file"))
            })?;
        Self::build(file, text, key, raw)
    }

    /// Reads and parses a tariff file (see [`Tariff::from_toml`]).
    pub fn load(path: &std::path::Path) -> Result<Tariff, GridError> {
        let (shown, text) = read_file(path)?;
        Self::from_toml(&shown, &text)
    }

    /// Checks a parsed tariff and builds its price table: non-empty names, charges >= 0, and
    /// periods that end in exactly one catch-all. Errors name `file`'s line and the field
    /// (prefixed with `prefix` inside a larger document).
    fn build(file: &str, text: &str, prefix: &str, raw: RawTariff) -> Result<Tariff, GridError> {
        let at = FileAt { file, text, prefix };
        for (field, v) in [
            ("name", &raw.name),
            ("source", &raw.source),
            ("currency", &raw.currency),
        ] {
            if v.get_ref().trim().is_empty() {
                return Err(at.err(v.span(), field, "must not be empty"));
            }
        }
        let demand_charge_per_kw_month = charge(
            &at,
            &raw.demand_charge_per_kw_month,
            "demand_charge_per_kw_month",
        )?;
        let fixed_per_month = charge(&at, &raw.fixed_per_month, "fixed_per_month")?;
        let list = raw.energy.get_ref();
        if list.is_empty() {
            return Err(at.err(
                raw.energy.span(),
                "energy",
                "no energy price periods; add at least a catch-all [[energy]] with a \
                 price_per_mwh",
            ));
        }
        let periods = list
            .iter()
            .enumerate()
            .map(|(i, p)| period(&at, i, list.len(), p))
            .collect::<Result<Vec<_>, _>>()?;
        let mut table = Box::new([[[0.0; 24]; 7]; 12]);
        for (m, by_day) in table.iter_mut().enumerate() {
            for (d, by_hour) in by_day.iter_mut().enumerate() {
                for (h, price) in by_hour.iter_mut().enumerate() {
                    *price = first_match(&periods, m as u32 + 1, d, h);
                }
            }
        }
        Ok(Tariff {
            name: raw.name.into_inner(),
            source: raw.source.into_inner(),
            currency: raw.currency.into_inner(),
            periods,
            demand_charge_per_kw_month,
            fixed_per_month,
            table,
        })
    }

    /// Energy price, currency per MWh, for month (1-12), weekday (0 = Monday) and local hour
    /// (0-23): the first period that matches. Out-of-range arguments get the catch-all price.
    pub fn energy_price_per_mwh(&self, month: u32, weekday: usize, hour: usize) -> f64 {
        if (1..=12).contains(&month) && weekday < 7 && hour < 24 {
            self.table[month as usize - 1][weekday][hour]
        } else {
            first_match(&self.periods, month, weekday, hour)
        }
    }

    /// Prices a run of hourly loads (normally one year). Energy: each hour's price x MWh.
    /// Demand: for each billing month present (hours grouped by `month`), the demand charge x
    /// that month's highest hourly demand in kW (floored at 0, so export does not earn a
    /// credit). Fixed: `fixed_per_month` x the number of billing months present.
    pub fn annual_cost(&self, hours: &[HourLoad]) -> Cost {
        // month -> (energy charge, highest MW)
        let mut months: BTreeMap<u32, (f64, f64)> = BTreeMap::new();
        for h in hours {
            let price = self.energy_price_per_mwh(h.month, h.weekday, h.hour);
            let e = months.entry(h.month).or_insert((0.0, f64::NEG_INFINITY));
            e.0 += price * h.mw;
            e.1 = e.1.max(h.mw);
        }
        let mut cost = Cost {
            energy: 0.0,
            demand: 0.0,
            fixed: 0.0,
            total: 0.0,
            monthly: Vec::with_capacity(months.len()),
        };
        for (month, (energy, peak_mw)) in months {
            let demand = self.demand_charge_per_kw_month * (peak_mw.max(0.0) * 1000.0);
            cost.energy += energy;
            cost.demand += demand;
            cost.fixed += self.fixed_per_month;
            cost.monthly.push((month, energy, demand));
        }
        cost.total = cost.energy + cost.demand + cost.fixed;
        cost
    }

    /// Tariff name as given in the file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's citation(s).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Currency of all prices and charges (e.g. "USD").
    pub fn currency(&self) -> &str {
        &self.currency
    }

    /// The energy price periods, in matching order (the last is the catch-all).
    pub fn periods(&self) -> &[EnergyPeriod] {
        &self.periods
    }

    /// Demand charge, currency per kW of each billing month's highest hourly demand.
    pub fn demand_charge_per_kw_month(&self) -> f64 {
        self.demand_charge_per_kw_month
    }

    /// Fixed charge, currency per billing month.
    pub fn fixed_per_month(&self) -> f64 {
        self.fixed_per_month
    }

    /// Energy price averaged over every hour of a 365-day year starting on a Monday (each
    /// month weighted by its days), currency per MWh: what a flat load pays per MWh before
    /// demand and fixed charges.
    pub fn flat_load_energy_price_per_mwh(&self) -> f64 {
        let mut sum = 0.0;
        let mut weekday = 0usize;
        for m in 0..12u32 {
            for _ in 0..crate::model::weather::month_days(m as usize) {
                for h in 0..24 {
                    sum += self.energy_price_per_mwh(m + 1, weekday, h);
                }
                weekday = (weekday + 1) % 7;
            }
        }
        sum / (365.0 * 24.0)
    }
}

/// A demand or fixed charge: absent is 0, else finite and >= 0.
fn charge(at: &FileAt, v: &Option<Spanned<f64>>, field: &str) -> Result<f64, GridError> {
    match v {
        None => Ok(0.0),
        Some(v) => {
            let x = *v.get_ref();
            if x.is_finite() && x >= 0.0 {
                Ok(x)
            } else {
                Err(at.err(
                    v.span(),
                    field,
                    format!("expected a finite charge >= 0, found {x}"),
                ))
            }
        }
    }
}

/// Period `i` of `n`: a name, a finite price and its filters; a catch-all only last, and the
/// last one a catch-all.
fn period(at: &FileAt, i: usize, n: usize, p: &RawPeriod) -> Result<EnergyPeriod, GridError> {
    let field = |k: &str| format!("energy[{i}].{k}");
    if p.name.get_ref().trim().is_empty() {
        return Err(at.err(p.name.span(), &field("name"), "must not be empty"));
    }
    let price = *p.price_per_mwh.get_ref();
    if !price.is_finite() {
        return Err(at.err(
            p.price_per_mwh.span(),
            &field("price_per_mwh"),
            format!("expected a finite price (negative is allowed), found {price}"),
        ));
    }
    let months = match &p.months {
        None => ALL_MONTHS,
        Some(list) => mask(at, &field("months"), "month", list, month_bit)? as u16,
    };
    let days = match &p.days {
        None => ALL_DAYS,
        Some(list) => mask(at, &field("days"), "day", list, day_bit)? as u8,
    };
    let hours = match &p.hours {
        None => ALL_HOURS,
        Some(list) => hours_mask(list.get_ref())
            .map_err(|(span, msg)| at.err(span.unwrap_or(list.span()), &field("hours"), msg))?,
    };
    let period = EnergyPeriod {
        name: p.name.get_ref().clone(),
        months,
        days,
        hours,
        price_per_mwh: price,
    };
    if period.is_catch_all() && i + 1 < n {
        return Err(at.err(
            p.name.span(),
            &format!("energy[{i}]"),
            format!(
                "period {:?} matches every hour, so the {} period(s) after it can never \
                 apply; move it last",
                period.name,
                n - i - 1
            ),
        ));
    }
    if i + 1 == n && !period.is_catch_all() {
        return Err(at.err(
            p.name.span(),
            &format!("energy[{i}]"),
            format!(
                "the last period ({:?}) must be a catch-all matching every hour (omit \
                 months, days and hours) so that every hour has a price",
                period.name
            ),
        ));
    }
    Ok(period)
}

/// The bit mask of a filter list of `unit`s (`months`, `days`) at `field`: bit `bit(x)` of
/// each element. An empty list would match nothing and is refused.
fn mask<T>(
    at: &FileAt,
    field: &str,
    unit: &str,
    list: &Spanned<Vec<Spanned<T>>>,
    bit: fn(&T) -> Result<u32, String>,
) -> Result<u32, GridError> {
    if list.get_ref().is_empty() {
        return Err(at.err(
            list.span(),
            field,
            format!("empty list matches no {unit}; omit `{unit}s` to match every {unit}"),
        ));
    }
    let mut mask = 0u32;
    for x in list.get_ref() {
        mask |= 1 << bit(x.get_ref()).map_err(|msg| at.err(x.span(), field, msg))?;
    }
    Ok(mask)
}

/// Bit of month `v` (1 = January).
fn month_bit(v: &i64) -> Result<u32, String> {
    (1..=12)
        .contains(v)
        .then(|| (v - 1) as u32)
        .ok_or_else(|| format!("month {v} out of range 1..=12 (1 = January)"))
}

/// Bit of a weekday named in [`WEEKDAYS`] (any case, 0 = Monday).
fn day_bit(d: &String) -> Result<u32, String> {
    let name = d.trim().to_ascii_lowercase();
    WEEKDAYS
        .iter()
        .position(|w| *w == name)
        .map(|i| i as u32)
        .ok_or_else(|| format!("unknown day {d:?}; expected one of {}", WEEKDAYS.join(", ")))
}

/// Price of the first period matching; the last period is a catch-all, so one always matches.
fn first_match(periods: &[EnergyPeriod], month: u32, weekday: usize, hour: usize) -> f64 {
    periods
        .iter()
        .find(|p| p.matches(month, weekday, hour))
        .or(periods.last())
        .map_or(0.0, |p| p.price_per_mwh)
}

/// Hour mask of `hours = [start, end]`: local hours start..end (end exclusive), wrapping past
/// midnight when start > end. Errors carry the offending element's span when there is one.
fn hours_mask(list: &[Spanned<i64>]) -> Result<u32, (Option<std::ops::Range<usize>>, String)> {
    if list.len() != 2 {
        return Err((
            None,
            format!(
                "expected [start, end] (two hours, end exclusive), found {} value(s)",
                list.len()
            ),
        ));
    }
    let (s, e) = (*list[0].get_ref(), *list[1].get_ref());
    if !(0..=23).contains(&s) {
        return Err((
            Some(list[0].span()),
            format!("start hour {s} out of range 0..=23"),
        ));
    }
    if !(0..=24).contains(&e) {
        return Err((
            Some(list[1].span()),
            format!("end hour {e} out of range 0..=24 (end is exclusive)"),
        ));
    }
    if s == e || (s == 0 && e == 0) {
        return Err((
            Some(list[0].span()),
            format!("hours [{s}, {e}] cover no hour; use [0, 24] for the whole day"),
        ));
    }
    let (s, e) = (s as u32, e as u32);
    let range = |a: u32, b: u32| -> u32 { (a..b).fold(0, |m, h| m | (1 << h)) };
    Ok(if s < e {
        range(s, e)
    } else {
        range(s, 24) | range(0, e)
    })
}

/// A TOML error with a hint when a top-level key was written after an `[[energy]]` header.
fn tariff_toml_error(file: &str, text: &str, e: &toml::de::Error) -> GridError {
    let mut err = toml_error(file, text, e);
    if let GridError::Input { field, message, .. } = &mut err {
        let leaf = field.rsplit('.').next().unwrap_or("");
        if field.contains("energy[")
            && message.starts_with("unknown field")
            && [
                "demand_charge_per_kw_month",
                "fixed_per_month",
                "currency",
                "source",
            ]
            .contains(&leaf)
        {
            message.push_str(
                "; top-level keys must come before the first [[energy]] table (TOML puts keys \
                 after a table header into that table)",
            );
        }
    }
    err
}

impl fmt::Display for Tariff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): ", self.name, self.currency)?;
        for p in &self.periods {
            write!(f, "{} {:.2}/MWh; ", p.name, p.price_per_mwh)?;
        }
        write!(
            f,
            "demand {:.3}/kW-month; fixed {:.2}/month",
            self.demand_charge_per_kw_month, self.fixed_per_month
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SIMPLE: &str = r#"name = "t"
source = "test"
currency = "USD"
demand_charge_per_kw_month = 12.0
fixed_per_month = 100.0

[[energy]]
name = "on-peak"
months = [6, 7, 8, 9]
days = ["mon", "tue", "wed", "thu", "fri"]
hours = [13, 19]
price_per_mwh = 95.0

[[energy]]
name = "off-peak"
price_per_mwh = 55.0
"#;

    fn load(text: &str) -> Result<Tariff, GridError> {
        Tariff::from_toml("t.toml", text)
    }

    #[test]
    fn first_match_wins() {
        let t = load(SIMPLE).unwrap();
        // July, Wednesday (2), 15:00 -> on-peak.
        assert_eq!(t.energy_price_per_mwh(7, 2, 15), 95.0);
        // Hour 19 is excluded (end exclusive), hour 13 included.
        assert_eq!(t.energy_price_per_mwh(7, 2, 19), 55.0);
        assert_eq!(t.energy_price_per_mwh(7, 2, 13), 95.0);
        // Saturday, and May, are off-peak.
        assert_eq!(t.energy_price_per_mwh(7, 5, 15), 55.0);
        assert_eq!(t.energy_price_per_mwh(5, 2, 15), 55.0);
        // Out of range -> catch-all.
        assert_eq!(t.energy_price_per_mwh(13, 9, 30), 55.0);
    }

    #[test]
    fn hand_computed_cost_matches_exactly() {
        let t = load(SIMPLE).unwrap();
        let h = |month, weekday, hour, mw| HourLoad {
            month,
            weekday,
            hour,
            mw,
        };
        let hours = [
            // July: two on-peak hours (Tue 14:00, Fri 18:00), one off-peak (Sat 14:00),
            // one off-peak (Tue 19:00).
            h(7, 1, 14, 2.0),
            h(7, 4, 18, 3.5),
            h(7, 5, 14, 4.0),
            h(7, 1, 19, 1.5),
            // December: weekday afternoon is off-peak in winter.
            h(12, 0, 15, 2.5),
            h(12, 2, 3, 1.0),
        ];
        let cost = t.annual_cost(&hours);
        // July energy: 95 * (2 + 3.5) + 55 * (4 + 1.5) = 522.5 + 302.5 = 825.
        // July demand: 12 $/kW * 4 MW * 1000 = 48 000.
        // December energy: 55 * (2.5 + 1) = 192.5; demand: 12 * 2500 = 30 000.
        assert_eq!(
            cost.monthly,
            vec![(7, 825.0, 48_000.0), (12, 192.5, 30_000.0)]
        );
        assert_eq!(cost.energy, 1017.5);
        assert_eq!(cost.demand, 78_000.0);
        assert_eq!(cost.fixed, 200.0);
        assert_eq!(cost.total, 1017.5 + 78_000.0 + 200.0);
    }

    #[test]
    fn a_catch_all_must_come_last_and_only_last() {
        for (from, to, field, line, says) in [
            // The last period is not a catch-all.
            (
                "[[energy]]\nname = \"off-peak\"\nprice_per_mwh = 55.0\n",
                "[[energy]]\nname = \"off-peak\"\nhours = [0, 13]\nprice_per_mwh = 55.0\n",
                "energy[1]",
                15,
                "catch-all",
            ),
            // A catch-all before the last.
            (
                "name = \"on-peak\"\nmonths = [6, 7, 8, 9]\ndays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]\nhours = [13, 19]\n",
                "name = \"on-peak\"\n",
                "energy[0]",
                8,
                "move it last",
            ),
        ] {
            let e = load(&SIMPLE.replace(from, to)).unwrap_err();
            assert_eq!((e.field(), e.line()), (Some(field), Some(line)), "{e}");
            assert!(e.to_string().contains(says), "{e}");
        }
    }

    #[test]
    fn bad_filters_name_line_and_field() {
        for (from, to, field, line) in [
            (
                "hours = [13, 19]",
                "hours = [13, 25]",
                "energy[0].hours",
                11,
            ),
            ("hours = [13, 19]", "hours = [13]", "energy[0].hours", 11),
            (
                "months = [6, 7, 8, 9]",
                "months = [6, 13]",
                "energy[0].months",
                9,
            ),
            ("\"fri\"", "\"friday\"", "energy[0].days", 10),
            (
                "price_per_mwh = 95.0",
                "price_per_mwh = nan",
                "energy[0].price_per_mwh",
                12,
            ),
            ("= 12.0", "= -1.0", "demand_charge_per_kw_month", 4),
        ] {
            let e = load(&SIMPLE.replace(from, to)).unwrap_err();
            assert_eq!((e.field(), e.line()), (Some(field), Some(line)), "{e}");
        }
    }

    #[test]
    fn toml_errors_name_line_and_field() {
        // Missing price in the second period.
        let e = load(&SIMPLE.replace("price_per_mwh = 55.0\n", "")).unwrap_err();
        assert_eq!(e.field(), Some("energy[1].price_per_mwh"), "{e}");
        assert!(e.line().is_some(), "{e}");
        // A top-level key written after [[energy]] lands in that table: say so.
        let text = format!("{SIMPLE}demand_charge_per_kw_month = 3.0\n");
        let e = load(&text).unwrap_err();
        assert_eq!(
            e.field(),
            Some("energy[1].demand_charge_per_kw_month"),
            "{e}"
        );
        assert_eq!(e.line(), Some(17), "{e}");
        assert!(e.to_string().contains("before the first [[energy]]"), "{e}");
        // Wrong type.
        let e =
            load(&SIMPLE.replace("price_per_mwh = 55.0", "price_per_mwh = \"55\"")).unwrap_err();
        assert_eq!(
            (e.field(), e.line()),
            (Some("energy[1].price_per_mwh"), Some(16)),
            "{e}"
        );
    }

    #[test]
    fn negative_prices_are_allowed_and_hours_wrap() {
        let text = r#"name = "w"
source = "s"
currency = "EUR"
[[energy]]
name = "night"
hours = [22, 6]
price_per_mwh = -10.0
[[energy]]
name = "rest"
price_per_mwh = 80.0
"#;
        let t = load(text).unwrap();
        assert_eq!(t.energy_price_per_mwh(1, 0, 23), -10.0);
        assert_eq!(t.energy_price_per_mwh(1, 0, 5), -10.0);
        assert_eq!(t.energy_price_per_mwh(1, 0, 6), 80.0);
        assert_eq!(t.energy_price_per_mwh(1, 0, 21), 80.0);
        assert_eq!(t.demand_charge_per_kw_month(), 0.0);
    }

    #[test]
    fn tariff_inside_a_run_file() {
        let run = format!(
            "[run]\ntrials = 10\n\n[cost.tariff]\n{}",
            SIMPLE.replace("[[energy]]", "[[cost.tariff.energy]]")
        );
        let t = Tariff::from_toml_at("run.toml", &run, "cost.tariff").unwrap();
        assert_eq!(t.energy_price_per_mwh(7, 2, 15), 95.0);
        let bad = run.replace("hours = [13, 19]", "hours = [13, 30]");
        let e = Tariff::from_toml_at("run.toml", &bad, "cost.tariff").unwrap_err();
        assert_eq!(e.line(), Some(15), "{e}");
        assert_eq!(e.field(), Some("cost.tariff.energy[0].hours"), "{e}");
        let e = Tariff::from_toml_at("run.toml", &run, "tariff").unwrap_err();
        assert!(e.to_string().contains("no table `tariff`"), "{e}");
    }

    #[test]
    fn flat_load_price_weights_hours() {
        let t = load(SIMPLE).unwrap();
        let p = t.flat_load_energy_price_per_mwh();
        assert!(p > 55.0 && p < 95.0, "{p}");
    }

    fn arb_hours() -> impl Strategy<Value = Vec<HourLoad>> {
        prop::collection::vec(
            (1u32..=12, 0usize..7, 0usize..24, 0.0f64..500.0).prop_map(
                |(month, weekday, hour, mw)| HourLoad {
                    month,
                    weekday,
                    hour,
                    mw,
                },
            ),
            0..200,
        )
    }

    fn tariff_with(on: f64, off: f64, demand: f64, fixed: f64) -> Tariff {
        let text = SIMPLE
            .replace("price_per_mwh = 95.0", &format!("price_per_mwh = {on:?}"))
            .replace("price_per_mwh = 55.0", &format!("price_per_mwh = {off:?}"))
            .replace("= 12.0", &format!("= {demand:?}"))
            .replace("= 100.0", &format!("= {fixed:?}"));
        load(&text).unwrap()
    }

    proptest! {
        #[test]
        fn cost_is_non_negative_for_non_negative_inputs(
            hours in arb_hours(),
            on in 0.0f64..500.0, off in 0.0f64..500.0,
            demand in 0.0f64..50.0, fixed in 0.0f64..1e4,
        ) {
            let c = tariff_with(on, off, demand, fixed).annual_cost(&hours);
            prop_assert!(c.energy >= 0.0 && c.demand >= 0.0 && c.fixed >= 0.0 && c.total >= 0.0);
        }

        #[test]
        fn doubling_loads_doubles_energy_and_demand(
            hours in arb_hours(),
            on in 0.0f64..500.0, off in 0.0f64..500.0,
            demand in 0.0f64..50.0, fixed in 0.0f64..1e4,
        ) {
            let t = tariff_with(on, off, demand, fixed);
            let c1 = t.annual_cost(&hours);
            let doubled: Vec<HourLoad> = hours.iter().map(|h| HourLoad { mw: 2.0 * h.mw, ..*h }).collect();
            let c2 = t.annual_cost(&doubled);
            // Scaling by a power of two is exact in floating point.
            prop_assert_eq!(c2.energy, 2.0 * c1.energy);
            prop_assert_eq!(c2.demand, 2.0 * c1.demand);
            prop_assert_eq!(c2.fixed, c1.fixed);
        }
    }
}

/// The tariff library shipped in `models/tariffs` must load.
#[cfg(test)]
mod library_tests {
    use super::super::carbon::library_tests::{stem, toml_files};
    use super::*;

    #[test]
    fn every_tariff_loads() {
        let files = toml_files("tariffs");
        assert!(
            files.len() >= 3,
            "expected at least 3 tariffs, found {}",
            files.len()
        );
        for path in &files {
            let t = Tariff::load(path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                t.name(),
                stem(path),
                "{}: name must match the file",
                path.display()
            );
            assert_eq!(t.currency().len(), 3, "{}: ISO 4217 code", path.display());
            assert!(t.periods().last().unwrap().is_catch_all());
            let flat = t.flat_load_energy_price_per_mwh();
            assert!(flat.is_finite() && flat > 0.0, "{}: {flat}", path.display());
        }
    }
}
