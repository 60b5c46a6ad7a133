//! A trial's cooling-tower evaporated shares, worked out for its whole weather year when the
//! weather is drawn, and kept per thread for the plants to look up hour by hour.
//!
//! Why: a tower's share is psychrometrics on the hour's air (six `exp` calls and five Newton
//! steps, each division and `exp` waiting on the one before, ~750 cycles), once for each hour
//! of each trial's weather. Timed rather than counted, it was 4.1-4.7 % of a physics
//! trial-year at 0.8 % of its instructions (docs/performance.md, stop 29). Worked out four hours
//! at a time ([`TowerAir::shares_of_air4`]: the same operations on the same figures for each
//! hour, so the same bits) the four chains run side by side: 1.78 -> 1.14 ms a year of hours.
//!
//! A pure function's memo: a look-up answers only for the exact (design, dry bulb, humidity)
//! bits a table holds, with the share worked out from them, so a plant gets the bits it would
//! have worked out itself whatever the order it asks in, and any other air (a test's, a
//! facility built without [`prepare`]) is worked out as it comes.

use std::cell::RefCell;

use super::water::TowerAir;
use crate::model::weather::WeatherHour;

/// One tower design's shares for the year: the wet hours' airs (dry bulb and humidity bits) and
/// their shares, in hour order, and an open-addressed index on the airs (`0` empty, else the
/// entry's place plus one).
#[derive(Default)]
struct YearTable {
    /// Bits of the design's enthalpy rise.
    dh: u64,
    keys: Vec<[u64; 2]>,
    shares: Vec<f64>,
    index: Vec<u32>,
}

impl YearTable {
    /// The year of `design` over `weather`: every hour its tower evaporates in.
    fn fill(&mut self, design: &TowerAir, weather: &[WeatherHour]) {
        let dh = design.enthalpy_rise_kj_per_kg;
        self.dh = dh.to_bits();
        self.keys.clear();
        let wet = weather
            .iter()
            .filter(|o| !design.dry_below_c.is_some_and(|t| o.dry_bulb_c <= t));
        (self.keys).extend(wet.map(|o| [o.dry_bulb_c.to_bits(), o.rel_humidity_pct.to_bits()]));
        // The shares from the keys' bits (`from_bits` gives back the same numbers).
        let air = |k: &[u64; 2]| (f64::from_bits(k[0]), f64::from_bits(k[1]));
        self.shares.clear();
        self.shares.reserve(self.keys.len());
        let mut quads = self.keys.chunks_exact(4);
        for q in quads.by_ref() {
            let four = TowerAir::shares_of_air4(
                dh,
                std::array::from_fn(|i| air(&q[i]).0),
                std::array::from_fn(|i| air(&q[i]).1),
            );
            self.shares.extend_from_slice(&four);
        }
        for k in quads.remainder() {
            let (db, rh) = air(k);
            self.shares.push(TowerAir::share_of_air(dh, db, rh));
        }
        // An index at most half full: a look-up probes one or two places.
        let size = (2 * self.keys.len()).next_power_of_two().max(16);
        self.index.clear();
        self.index.resize(size, 0);
        for (i, k) in self.keys.iter().enumerate() {
            let mut at = slot(k, size - 1);
            while self.index[at] != 0 {
                at = (at + 1) & (size - 1);
            }
            self.index[at] = i as u32 + 1;
        }
    }

    /// The share kept for air `k`, if the year holds it.
    fn get(&self, k: &[u64; 2]) -> Option<f64> {
        let mask = self.index.len().checked_sub(1)?;
        let mut at = slot(k, mask);
        loop {
            let e = self.index[at] as usize;
            if e == 0 {
                return None;
            }
            if self.keys[e - 1] == *k {
                return Some(self.shares[e - 1]);
            }
            at = (at + 1) & mask;
        }
    }
}

/// Where air `k` starts its probe in an index of `mask + 1` places (a power of two): the top
/// bits of a multiplicative hash, which depend on every bit of the air. (The low bits of a
/// product depend only on the factors' low bits, which recorded weather's round figures, 25.0
/// °C or 67 %, leave all zero: an index on them probed long runs, and an EPW study ran 40 %
/// slower than before the table.)
#[inline]
fn slot(k: &[u64; 2], mask: usize) -> usize {
    let h = (k[0].wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29) ^ k[1])
        .wrapping_mul(0xc2b2_ae3d_27d4_eb4f);
    (h >> (64 - mask.count_ones().max(1))) as usize & mask
}

thread_local! {
    /// The tables of the designs of the facility whose weather this thread drew last.
    static YEAR: RefCell<Vec<YearTable>> = const { RefCell::new(Vec::new()) };
}

/// Tower designs to prepare, one per enthalpy rise: designs with the same rise (the share
/// depends on the rise and the air alone) are one table over the hours either evaporates in,
/// so the wetter switch point (none, or the lower).
pub fn merge_designs(towers: impl IntoIterator<Item = TowerAir>) -> Vec<TowerAir> {
    let mut out: Vec<TowerAir> = Vec::new();
    for t in towers {
        let dh = t.enthalpy_rise_kj_per_kg.to_bits();
        match out
            .iter_mut()
            .find(|u| u.enthalpy_rise_kj_per_kg.to_bits() == dh)
        {
            Some(u) => {
                u.dry_below_c = match (u.dry_below_c, t.dry_below_c) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                }
            }
            None => out.push(t),
        }
    }
    out
}

/// Works out this thread's tables for `designs` (one per enthalpy rise: [`merge_designs`])
/// over `weather`, in place of whatever it held (so memory stays at one facility's designs,
/// whatever a study varies from trial to trial).
pub fn prepare(designs: &[TowerAir], weather: &[WeatherHour]) {
    YEAR.with(|y| {
        let mut tables = y.borrow_mut();
        tables.truncate(designs.len());
        tables.resize_with(designs.len(), YearTable::default);
        for (t, d) in tables.iter_mut().zip(designs) {
            t.fill(d, weather);
        }
    });
}

/// The share this thread's tables hold for `key` (the design's enthalpy rise, the dry bulb and
/// the humidity, as bits), if any.
pub(super) fn look_up(key: [u64; 3]) -> Option<f64> {
    YEAR.with(|y| {
        let tables = y.borrow();
        let t = tables.iter().find(|t| t.dh == key[0])?;
        t.get(&[key[1], key[2]])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 5.6 K range at L/G 1.2, and the same tower dry at or below 10 °C.
    fn wet() -> TowerAir {
        TowerAir::from_design(5.6, 1.2, None)
    }
    fn hybrid() -> TowerAir {
        TowerAir::from_design(5.6, 1.2, Some(10.0))
    }

    /// Airs across the year's range and beyond it (a few nonsense ones among them), with runs
    /// of the same air hour after hour, as recorded weather has.
    fn airs() -> Vec<WeatherHour> {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut u = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let air = |dry_bulb_c, rel_humidity_pct| WeatherHour {
            dry_bulb_c,
            rel_humidity_pct,
            ..WeatherHour::default()
        };
        let mut v: Vec<WeatherHour> = (0..400)
            .map(|_| air(-30.0 + 80.0 * u(), -5.0 + 110.0 * u()))
            .collect();
        for (db, rh) in [
            (f64::NAN, 50.0),
            (-80.0, 0.0),
            (70.0, 100.0),
            (20.0, f64::NAN),
        ] {
            v.insert(17, air(db, rh));
        }
        let again = v[40];
        v.splice(41..41, [again, again]);
        v
    }

    /// What a plant would work out hour by hour.
    fn worked_out(t: &TowerAir, o: &WeatherHour) -> f64 {
        if t.dry_below_c.is_some_and(|d| o.dry_bulb_c <= d) {
            0.0
        } else {
            TowerAir::share_of_air(t.enthalpy_rise_kj_per_kg, o.dry_bulb_c, o.rel_humidity_pct)
        }
    }

    fn key(t: &TowerAir, o: &WeatherHour) -> [u64; 3] {
        [
            t.enthalpy_rise_kj_per_kg.to_bits(),
            o.dry_bulb_c.to_bits(),
            o.rel_humidity_pct.to_bits(),
        ]
    }

    /// Four airs at a time give each air's share to the bit, whatever the air.
    #[test]
    fn four_at_a_time_is_one_at_a_time() {
        let dh = wet().enthalpy_rise_kj_per_kg;
        let year = airs();
        for q in year.chunks_exact(4) {
            let four = TowerAir::shares_of_air4(
                dh,
                std::array::from_fn(|i| q[i].dry_bulb_c),
                std::array::from_fn(|i| q[i].rel_humidity_pct),
            );
            for (o, s) in q.iter().zip(four) {
                let one = TowerAir::share_of_air(dh, o.dry_bulb_c, o.rel_humidity_pct);
                assert_eq!(s.to_bits(), one.to_bits(), "{o:?}");
            }
        }
    }

    /// Every hour a tower evaporates in is answered from the table, with the share it would
    /// have worked out, to the bit; its dry hours and an air the year does not hold are not;
    /// and the tower's own `evaporated_share` gives the worked-out share in any order.
    #[test]
    fn a_prepared_year_answers_every_wet_hour() {
        let year = airs();
        for t in [wet(), hybrid()] {
            prepare(&[t], &year);
            let mut wet_hours = 0;
            for o in &year {
                match look_up(key(&t, o)) {
                    Some(s) => {
                        assert_eq!(s.to_bits(), worked_out(&t, o).to_bits(), "{o:?}");
                        wet_hours += 1;
                    }
                    None => assert!(t.dry_below_c.is_some_and(|d| o.dry_bulb_c <= d), "{o:?}"),
                }
            }
            let dry = year.iter().filter(|o| o.dry_bulb_c <= 10.0).count();
            assert!(dry > 50, "the airs must hold dry hours for the hybrid");
            let want = if t.dry_below_c.is_some() {
                year.len() - dry
            } else {
                year.len()
            };
            assert_eq!(wet_hours, want);
            let foreign = WeatherHour {
                dry_bulb_c: 21.5,
                rel_humidity_pct: 33.0,
                ..WeatherHour::default()
            };
            assert_eq!(look_up(key(&t, &foreign)), None);
            // Backwards, then the year again: every share as worked out.
            for o in year.iter().rev().chain(&year).chain([&foreign]) {
                let got = t.evaporated_share(o.dry_bulb_c, o.rel_humidity_pct);
                assert_eq!(got.to_bits(), worked_out(&t, o).to_bits(), "{o:?}");
            }
        }
    }

    /// A thread keeps only the tables of the facility it prepared last: a study whose tower
    /// design varies from trial to trial holds one year of shares, not one per trial.
    #[test]
    fn preparing_again_keeps_only_the_new_designs() {
        let year = airs();
        let (a, b) = (wet(), TowerAir::from_design(6.1, 1.3, None));
        prepare(&[a, b], &year);
        assert_eq!(YEAR.with(|y| y.borrow().len()), 2);
        let o = &year[3];
        assert!(look_up(key(&a, o)).is_some() && look_up(key(&b, o)).is_some());
        prepare(&[b], &year);
        assert_eq!(YEAR.with(|y| y.borrow().len()), 1);
        assert_eq!(look_up(key(&a, o)), None);
        assert_eq!(
            look_up(key(&b, o)).map(f64::to_bits),
            Some(worked_out(&b, o).to_bits())
        );
    }

    /// Recorded weather's round figures (whole and half degrees, whole percents: the same low
    /// bits) spread over the index: no air is more than a few places from where its probe
    /// starts. A hash on the product's low bits put them in one run (an EPW study 40 % slower).
    #[test]
    fn round_airs_spread_over_the_index() {
        let year: Vec<WeatherHour> = (0..8760)
            .map(|h| WeatherHour {
                dry_bulb_c: f64::from((h * 7) % 90) * 0.5 - 10.0,
                rel_humidity_pct: f64::from((h * 13) % 97 + 3),
                ..WeatherHour::default()
            })
            .collect();
        let mut t = YearTable::default();
        t.fill(&wet(), &year);
        let mask = t.index.len() - 1;
        let longest = (t.keys.iter())
            .map(|k| {
                let (mut at, mut n) = (slot(k, mask), 1);
                while t.keys[t.index[at] as usize - 1] != *k {
                    at = (at + 1) & mask;
                    n += 1;
                }
                n
            })
            .max();
        assert!(
            longest.is_some_and(|n| n <= 12),
            "longest probe {longest:?}"
        );
    }

    /// Designs with one enthalpy rise become one, over the hours either evaporates in.
    #[test]
    fn designs_with_one_rise_merge_to_the_wetter() {
        let at = |dry: Option<f64>| TowerAir::from_design(5.6, 1.2, dry);
        let other = TowerAir::from_design(6.1, 1.3, Some(3.0));
        let m = merge_designs([at(Some(10.0)), other, at(Some(5.0))]);
        assert_eq!(m, vec![at(Some(5.0)), other]);
        let m = merge_designs([at(Some(10.0)), at(None), at(Some(2.0))]);
        assert_eq!(m, vec![at(None)]);
    }
}
