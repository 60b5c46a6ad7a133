//! Electrical chain: utility transformer, distribution, UPS, and the fixed lighting and office
//! load, read from an `[electrical]` TOML table.
//!
//! Topology and what flows where (the assumptions):
//!
//! ```text
//! utility ─ transformer ─┬─ distribution (switchgear, busway, PDUs, cables) ─┬─ UPS ─ IT
//!                        │                                                    └─ cooling (most)
//!                        └─ lighting + office (fixed)
//! ```
//!
//! - The UPS carries the IT load plus `cooling_on_ups_fraction` of the cooling power (set it to
//!   the share of CRAH fans and pumps on UPS for continuous cooling; chillers and towers are
//!   normally not on UPS, so typical values are 0-0.3).
//! - Distribution losses are `distribution_loss_fraction * (IT + cooling)`: a fixed fraction of
//!   the power delivered (I²R losses are really quadratic, but a fixed fraction is how
//!   benchmarks report them; typically 1-3 %, LBNL data centre benchmarking).
//! - The transformer carries everything: IT, cooling, UPS and distribution losses and the
//!   fixed load.
//!
//! Equations:
//!
//! ```text
//! UPS:          x = P_ups / R_ups;  η(x) linear interpolation of the curve, held flat beyond it;
//!               loss = R_ups * x' * (1/η(x') - 1),  x' = max(x, x_first)
//!               (below the first curve point the loss is held at its value there: the no-load
//!                loss of a UPS does not vanish at zero load)
//!               eco mode (bypass with inverter standby): η = eco_mode_efficiency, same floor.
//! transformer:  loss = R_tr * (no_load_fraction + load_loss_fraction * (P_tr / R_tr)^2)
//! distribution: loss = distribution_loss_fraction * (IT + cooling)
//! fixed:        fixed_kw (lighting, office, security; constant)
//! ```
//!
//! Sources: double-conversion UPS curves of the shape "~0.90 at 10 % load, 0.94 at 25 %, 0.96
//! at 50-100 %" are typical of current transformerless units (vendor curves, e.g. Schneider
//! Galaxy VS "up to 97 % in double conversion, 99 % in eConversion"; older transformer-based
//! units measured 86-94 % in the LBNL/EPRI UPS benchmarking for the California Energy
//! Commission, Ton & Fortenbery 2005). Transformer losses: US DOE 10 CFR 431.196 (2016 levels)
//! puts medium-voltage distribution transformers at ~98.9-99.5 % efficiency at 50 % load; a
//! no-load loss of 0.1-0.3 % and a full-load copper loss of 0.8-1.2 % of rating reproduce that
//! (estimate of the split). Left out: power factor and harmonics, battery charging after an
//! outage, generator block heaters, UPS efficiency's dependence on redundancy mode changes,
//! medium-voltage switchgear and substation losses upstream of the site transformer.

use crate::model::facility::lanes::F2;
use serde::Deserialize;

use super::{
    FacilityError, ParamError, check, check_above, check_positive, check_range, toml_error,
};

/// Electrical chain of a site (see the module docs). All `_kw` fields are kW; the curve is
/// `[[load_fraction, efficiency], ...]` with load fractions strictly increasing in (0, ∞) and
/// efficiencies in (0, 1].
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectricalChain {
    /// Rated output of the UPS system, kW. For 2N put the sum of both sides (each carries
    /// half), so the load fraction is what each UPS sees.
    pub rated_kw: f64,
    /// UPS efficiency vs load fraction, `[[x, η], ...]`.
    pub ups_efficiency: Vec<[f64; 2]>,
    /// UPS in eco mode (bypass path, inverter on standby).
    pub eco_mode: bool,
    /// Efficiency in eco mode (~0.99).
    pub eco_mode_efficiency: f64,
    /// Share of the cooling power that goes through the UPS, in [0, 1].
    pub cooling_on_ups_fraction: f64,
    /// Rating of the site transformers, kW.
    pub transformer_rated_kw: f64,
    /// No-load (core) loss, fraction of transformer rating.
    pub transformer_no_load_fraction: f64,
    /// Load (copper) loss at rated load, fraction of transformer rating.
    pub transformer_load_loss_fraction: f64,
    /// Distribution loss, fraction of IT + cooling power.
    pub distribution_loss_fraction: f64,
    /// Fixed load: lighting, offices, security, kW.
    pub fixed_kw: f64,
}

/// Losses and fixed load of one step, W. All ≥ 0.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct ElectricalLosses {
    /// UPS conversion loss.
    pub ups_w: f64,
    /// Transformer core + copper loss.
    pub transformer_w: f64,
    /// Switchgear, busway, PDU and cable losses.
    pub distribution_w: f64,
    /// Lighting, offices, security (not a loss, but not IT either).
    pub fixed_w: f64,
}

impl ElectricalLosses {
    /// Sum of the four.
    pub fn total_w(&self) -> f64 {
        self.ups_w + self.transformer_w + self.distribution_w + self.fixed_w
    }
}

#[derive(Deserialize)]
struct ElectricalDoc {
    electrical: ElectricalChain,
}

impl ElectricalChain {
    /// Read the `[electrical]` table of a TOML document (other top-level keys and tables are
    /// ignored, so this works on a whole site or facility file). Errors name `file`, the line
    /// and the field.
    pub fn from_toml(file: &str, text: &str) -> Result<ElectricalChain, FacilityError> {
        let doc: ElectricalDoc = toml::from_str(text).map_err(|e| toml_error(file, text, &e))?;
        let chain = doc.electrical;
        chain
            .check()
            .map_err(|p| ParamError::new(format!("electrical.{}", p.field), p.message))
            .map_err(|p| p.in_file(file, text))?;
        Ok(chain)
    }

    /// Check ranges and the curve's shape (for chains built in code).
    pub fn validate(&self) -> Result<(), FacilityError> {
        self.check().map_err(FacilityError::from)
    }

    fn check(&self) -> Result<(), ParamError> {
        check_positive(self.rated_kw, "rated_kw", " kW")?;
        check(!self.ups_efficiency.is_empty(), "ups_efficiency", || {
            "expected at least one [load_fraction, efficiency] point".into()
        })?;
        let mut last_x = 0.0;
        for (i, &[x, eta]) in self.ups_efficiency.iter().enumerate() {
            check(x.is_finite() && x > last_x, "ups_efficiency", || {
                format!(
                    "point {i}: load fractions must be finite, > 0 and strictly increasing, got {x}"
                )
            })?;
            check(
                eta.is_finite() && eta > 0.0 && eta <= 1.0,
                "ups_efficiency",
                || format!("point {i}: efficiency must be in (0, 1], got {eta}"),
            )?;
            last_x = x;
        }
        check_above(self.eco_mode_efficiency, 0.0, 1.0, "eco_mode_efficiency")?;
        check_range(
            self.cooling_on_ups_fraction,
            0.0,
            1.0,
            "cooling_on_ups_fraction",
            "",
        )?;
        check_positive(self.transformer_rated_kw, "transformer_rated_kw", " kW")?;
        check_range(
            self.transformer_no_load_fraction,
            0.0,
            0.1,
            "transformer_no_load_fraction",
            "",
        )?;
        check_range(
            self.transformer_load_loss_fraction,
            0.0,
            0.1,
            "transformer_load_loss_fraction",
            "",
        )?;
        check_range(
            self.distribution_loss_fraction,
            0.0,
            0.2,
            "distribution_loss_fraction",
            "",
        )?;
        check_range(self.fixed_kw, 0.0, f64::MAX, "fixed_kw", " kW")?;
        Ok(())
    }

    /// UPS efficiency at load fraction `x` (curve interpolation, flat outside; eco-mode
    /// efficiency if `eco_mode`).
    #[inline]
    pub fn ups_efficiency_at(&self, x: f64) -> f64 {
        if self.eco_mode {
            return self.eco_mode_efficiency;
        }
        let pts = &self.ups_efficiency;
        let Some(first) = pts.first() else {
            return 1.0;
        };
        if x.is_nan() || x <= first[0] {
            return first[1];
        }
        for w in pts.windows(2) {
            let ([x0, e0], [x1, e1]) = (w[0], w[1]);
            if x <= x1 {
                return e0 + (e1 - e0) * (x - x0) / (x1 - x0);
            }
        }
        pts[pts.len() - 1][1]
    }

    /// Transformer losses at `y` times the rating `rated_w`: no-load losses plus load losses
    /// growing with the square of the load (one formula for both forms of the chain).
    #[inline]
    fn transformer_loss_w(&self, rated_w: f64, y: f64) -> f64 {
        (rated_w
            * (self.transformer_no_load_fraction + self.transformer_load_loss_fraction * y * y))
            .max(0.0)
    }

    /// Losses when the IT load draws `it_w` and the cooling plant `cooling_w` (both W, negative
    /// counts as 0). Does not allocate.
    #[inline]
    pub fn losses(&self, it_w: f64, cooling_w: f64) -> ElectricalLosses {
        let it = it_w.max(0.0);
        let cooling = cooling_w.max(0.0);
        let ups_rated = self.rated_kw * 1000.0;
        let ups_load = it + self.cooling_on_ups_fraction * cooling;
        let x_first = self.ups_efficiency.first().map_or(0.0, |p| p[0]);
        let x = if ups_rated > 0.0 {
            (ups_load / ups_rated).max(x_first)
        } else {
            0.0
        };
        let eta = self.ups_efficiency_at(x);
        let tr_rated = self.transformer_rated_kw * 1000.0;
        let fixed_w = (self.fixed_kw * 1000.0).max(0.0);
        self.losses_from(it, cooling, (ups_rated, x, eta), fixed_w, |load| {
            if tr_rated > 0.0 {
                self.transformer_loss_w(tr_rated, load / tr_rated)
            } else {
                0.0
            }
        })
    }

    /// The losses from the UPS's operating point on (load fraction `x` of its rating
    /// `ups_rated_w`, efficiency `eta`): the UPS loss, distribution, the fixed load, and the
    /// transformer's loss at the load it carries (`transformer_w` of that load). Both forms of
    /// the chain end here, each having found the operating point its own way.
    #[inline]
    fn losses_from(
        &self,
        it: f64,
        cooling: f64,
        (ups_rated_w, x, eta): (f64, f64, f64),
        fixed_w: f64,
        transformer_w: impl Fn(f64) -> f64,
    ) -> ElectricalLosses {
        let ups_w = if eta > 0.0 {
            (ups_rated_w * x * (1.0 / eta - 1.0)).max(0.0)
        } else {
            0.0
        };
        let distribution_w = (self.distribution_loss_fraction * (it + cooling)).max(0.0);
        let tr_load = it + cooling + ups_w + distribution_w + fixed_w;
        ElectricalLosses {
            ups_w,
            transformer_w: transformer_w(tr_load),
            distribution_w,
            fixed_w,
        }
    }
}

/// An [`ElectricalChain`] with its constants worked out once: the per-step form used by the
/// engine (one division per call). [`ElectricalChain::losses`] stays the readable reference; a
/// test holds the two equal.
#[derive(Clone, Debug)]
pub struct PreparedChain {
    pub chain: ElectricalChain,
    ups_rated_w: f64,
    inv_ups_rated_w: f64,
    tr_rated_w: f64,
    inv_tr_rated_w: f64,
    fixed_w: f64,
    /// UPS curve points (load fraction, efficiency) and each segment's slope.
    xs: Vec<f64>,
    effs: Vec<f64>,
    slopes: Vec<f64>,
    /// The curve as [`ChainSegment`]s in order (one flat piece in eco mode).
    pieces: Vec<ChainSegment>,
}

impl PreparedChain {
    pub fn new(chain: ElectricalChain) -> PreparedChain {
        let inv = |kw: f64| if kw > 0.0 { 1.0 / (kw * 1000.0) } else { 0.0 };
        let slopes = chain
            .ups_efficiency
            .windows(2)
            .map(|w| (w[1][1] - w[0][1]) / (w[1][0] - w[0][0]))
            .collect();
        PreparedChain {
            pieces: ChainSegment::pieces(&chain),
            ups_rated_w: chain.rated_kw * 1000.0,
            inv_ups_rated_w: inv(chain.rated_kw),
            tr_rated_w: chain.transformer_rated_kw * 1000.0,
            inv_tr_rated_w: inv(chain.transformer_rated_kw),
            fixed_w: (chain.fixed_kw * 1000.0).max(0.0),
            xs: chain.ups_efficiency.iter().map(|p| p[0]).collect(),
            effs: chain.ups_efficiency.iter().map(|p| p[1]).collect(),
            slopes,
            chain,
        }
    }

    #[inline]
    fn ups_efficiency_at(&self, x: f64) -> f64 {
        if self.chain.eco_mode {
            return self.chain.eco_mode_efficiency;
        }
        let n = self.xs.len();
        if n == 0 {
            return 1.0;
        }
        if x.is_nan() || x <= self.xs[0] {
            return self.effs[0];
        }
        for i in 1..n {
            if x <= self.xs[i] {
                return self.effs[i - 1] + self.slopes[i - 1] * (x - self.xs[i - 1]);
            }
        }
        self.effs[n - 1]
    }

    /// The pieces of the UPS curve around the one that holds load fraction `x` (the UPS load
    /// over its rating, held at the first point as [`PreparedChain::losses`] holds it): a
    /// quiet block's steps read their efficiency from these three with no search
    /// ([`ChainWindow`]). None when the chain has no rating to divide by (the per-step form
    /// then serves).
    pub fn window(&self, x: f64) -> Option<ChainWindow> {
        let m = self.pieces.len();
        if !(self.ups_rated_w > 0.0 && self.tr_rated_w > 0.0) || m == 0 {
            return None;
        }
        let k = self
            .pieces
            .iter()
            .take_while(|p| x > p.hi)
            .count()
            .min(m - 1);
        let first = k.saturating_sub(1).min(m.saturating_sub(3));
        let at = |i: usize| self.pieces[(first + i).min(m - 1)];
        let pieces = [at(0), at(1), at(2)];
        // A piece repeated past the curve's end is never chosen: its lower end is the one
        // before it, not below the x that reach it.
        let bound = |i: usize| {
            if first + i < m {
                pieces[i - 1].hi
            } else {
                f64::MAX
            }
        };
        let w = ChainWindow {
            b1: bound(1),
            b2: bound(2),
            lo: pieces[0].lo,
            hi: pieces[2].hi,
            pieces,
        };
        // A finite slope reads a piece's first efficiency at its first point exactly.
        w.pieces.iter().all(|p| p.slope.is_finite()).then_some(w)
    }

    /// The UPS load fraction of IT `it` and cooling `cooling` (both >= 0), as
    /// [`PreparedChain::losses`] works it out.
    #[inline(always)]
    fn load_fraction(&self, it: f64, cooling: f64) -> f64 {
        let ups_load = it + self.chain.cooling_on_ups_fraction * cooling;
        let x_first = self.xs.first().copied().unwrap_or(0.0);
        (ups_load * self.inv_ups_rated_w).max(x_first)
    }

    /// Total losses as [`PreparedChain::losses`] gives them (the same operations in the same
    /// order, so the same bits), for a step whose UPS load fraction lies in `w`; the second
    /// value says whether it does (when not, the first is not the chain's and the caller
    /// evaluates the step with [`PreparedChain::losses`]). No branch and no search.
    #[inline(always)]
    pub fn losses_in(&self, w: &ChainWindow, it_w: f64, cooling_w: f64) -> (f64, bool) {
        let it = it_w.max(0.0);
        let cooling = cooling_w.max(0.0);
        let x = self.load_fraction(it, cooling);
        let p = &w.pieces[usize::from(x > w.b1) + usize::from(x > w.b2)];
        let eta = p.e0 + p.slope * (x - p.x0);
        let l = self.chain.losses_from(
            it,
            cooling,
            (self.ups_rated_w, x, eta),
            self.fixed_w,
            |load| {
                self.chain
                    .transformer_loss_w(self.tr_rated_w, load * self.inv_tr_rated_w)
            },
        );
        (l.total_w(), w.lo < x && x <= w.hi)
    }

    /// [`PreparedChain::losses_in`] at two points at once, one in each lane of an [`F2`]:
    /// lane by lane the same operations in the same order (so the same bits: test
    /// `the_paired_fit_is_the_scalar_fit_bit_for_bit`), each lane reading its own piece of
    /// `w`; the second value says whether both points lie in `w`. What a block's loss fit
    /// pays for two of its evaluations instead of one. `x.max(0.0)` is MAXPD against 0 (for
    /// a NaN, 0; a -0 may come out +0, which changes no sum the losses add it to), the
    /// efficiency's `if eta > 0.0` a select.
    #[inline(always)]
    fn losses_in2(&self, w: &ChainWindow, it_w: F2, cooling_w: F2) -> (F2, bool) {
        let zero = F2::splat(0.0);
        let it = it_w.max_or(zero);
        let cooling = cooling_w.max_or(zero);
        let ups_load = it + F2::splat(self.chain.cooling_on_ups_fraction) * cooling;
        let x_first = self.xs.first().copied().unwrap_or(0.0);
        let frac = ups_load * F2::splat(self.inv_ups_rated_w);
        // `f64::max` passes over a NaN either side; MAXPD only over its first operand's.
        let x = if x_first.is_nan() {
            frac
        } else {
            frac.max_or(F2::splat(x_first))
        };
        let (m1, m2) = (x.gt_bits(F2::splat(w.b1)), x.gt_bits(F2::splat(w.b2)));
        let (p, q) = (
            &w.pieces[((m1 & 1) + (m2 & 1)) as usize],
            &w.pieces[((m1 >> 1) + (m2 >> 1)) as usize],
        );
        let eta = F2::new(p.e0, q.e0) + F2::new(p.slope, q.slope) * (x - F2::new(p.x0, q.x0));
        let one = F2::splat(1.0);
        let ups = (F2::splat(self.ups_rated_w) * x * (one / eta - one)).max_or(zero);
        let ups_w = eta.gt_select(zero, ups, zero);
        let c = &self.chain;
        let distribution_w =
            (F2::splat(c.distribution_loss_fraction) * (it + cooling)).max_or(zero);
        let fixed_w = F2::splat(self.fixed_w);
        let tr_load = it + cooling + ups_w + distribution_w + fixed_w;
        let y = tr_load * F2::splat(self.inv_tr_rated_w);
        let transformer_w = (F2::splat(self.tr_rated_w)
            * (F2::splat(c.transformer_no_load_fraction)
                + F2::splat(c.transformer_load_loss_fraction) * y * y))
            .max_or(zero);
        let total = ups_w + transformer_w + distribution_w + fixed_w;
        let inside = x.gt_bits(F2::splat(w.lo)) == 3 && x.gt_bits(F2::splat(w.hi)) == 0;
        (total, inside)
    }

    /// The UPS load fraction of a step, for [`PreparedChain::window`].
    pub fn step_load_fraction(&self, it_w: f64, cooling_w: f64) -> f64 {
        self.load_fraction(it_w.max(0.0), cooling_w.max(0.0))
    }

    /// Total losses as [`PreparedChain::losses`] gives them, the same bits: read off the
    /// pieces of `w` (no search) for a step inside them, the per-step form otherwise (and
    /// without a window). What the steps of a run that share a window pay instead of the
    /// curve's search.
    #[inline(always)]
    pub fn total_losses_near(&self, w: Option<&ChainWindow>, it_w: f64, cooling_w: f64) -> f64 {
        match w.map(|w| self.losses_in(w, it_w, cooling_w)) {
            Some((x, true)) => x,
            _ => self.losses(it_w, cooling_w).total_w(),
        }
    }

    /// [`PreparedChain::total_losses_near`] at two steps at once (lane by lane the same
    /// bits): both read off the window's pieces in lanes when both lie in them, each as the
    /// per-step chain gives it otherwise.
    #[inline(always)]
    pub fn total_losses_near2(&self, w: Option<&ChainWindow>, it_w: F2, cooling_w: F2) -> F2 {
        if let Some(w) = w {
            let (v, inside) = self.losses_in2(w, it_w, cooling_w);
            if inside {
                return v;
            }
        }
        let one = |l: f64, c: f64| self.total_losses_near(w, l, c);
        F2::new(
            one(it_w.lo(), cooling_w.lo()),
            one(it_w.hi(), cooling_w.hi()),
        )
    }

    /// Same as [`ElectricalChain::losses`].
    #[inline]
    pub fn losses(&self, it_w: f64, cooling_w: f64) -> ElectricalLosses {
        let c = &self.chain;
        let it = it_w.max(0.0);
        let cooling = cooling_w.max(0.0);
        let ups_load = it + c.cooling_on_ups_fraction * cooling;
        let x_first = self.xs.first().copied().unwrap_or(0.0);
        let x = if self.ups_rated_w > 0.0 {
            (ups_load * self.inv_ups_rated_w).max(x_first)
        } else {
            0.0
        };
        let eta = self.ups_efficiency_at(x);
        c.losses_from(
            it,
            cooling,
            (self.ups_rated_w, x, eta),
            self.fixed_w,
            |load| {
                if self.tr_rated_w > 0.0 {
                    c.transformer_loss_w(self.tr_rated_w, load * self.inv_tr_rated_w)
                } else {
                    0.0
                }
            },
        )
    }
}

impl PreparedChain {
    /// The chain's total losses over a quiet block as quadratics in its load `l` (IT and load
    /// banks) and cooling `c`, for every point of the box `l_range` x `c_range` (W). Where the
    /// box's UPS loads hold no kink of the UPS curve, one quadratic; where they cross one curve
    /// point past the first, one for the piece on each side (each fit to its piece's formula
    /// over the whole box, each step then reading the one its UPS load lies in). None when
    /// they cross more points, the first (below which the loss is held), or a check misses by
    /// more than `tol` W: the caller then evaluates each step exactly.
    pub fn fit_losses(
        &self,
        l_range: (f64, f64),
        c_range: (f64, f64),
        tol: f64,
    ) -> Option<LossFit> {
        let f = self.chain.cooling_on_ups_fraction;
        match self.kinks_between(l_range, c_range)? {
            None => {
                // Every point evaluated lies in the box, so on one piece of the curve (or at
                // a kink on its edge): read off the pieces around its centre, the same bits as
                // the search through the curve at each.
                let centre = |(lo, hi): (f64, f64)| 0.5 * (lo + hi);
                let x = self.step_load_fraction(centre(l_range), centre(c_range));
                let w = self.window(x);
                let exact2 = |l, c| self.total_losses_near2(w.as_ref(), l, c);
                let q = quadratic_of(exact2, l_range, c_range, tol)?;
                Some(LossFit {
                    split_u: f64::INFINITY,
                    f,
                    q: [q, q],
                })
            }
            Some(k) => {
                let piece = |i: usize| {
                    let p = self.pieces[i];
                    ChainWindow {
                        b1: f64::MAX,
                        b2: f64::MAX,
                        lo: f64::NEG_INFINITY,
                        hi: f64::MAX,
                        pieces: [p, p, p],
                    }
                };
                let (below, above) = (piece(k - 1), piece(k));
                let fit = |w: &ChainWindow| {
                    quadratic_of(|l, c| self.losses_in2(w, l, c).0, l_range, c_range, tol)
                };
                Some(LossFit {
                    split_u: self.xs[k] * self.ups_rated_w,
                    f,
                    q: [fit(&below)?, fit(&above)?],
                })
            }
        }
    }

    /// The kink of the UPS loss strictly inside the UPS load fractions of the box, if any:
    /// `Some(None)` for none, `Some(Some(k))` for curve point `k >= 1` alone; None for more
    /// than one, or the first point (below it the loss is held, in eco mode too).
    fn kinks_between(
        &self,
        (l_lo, l_hi): (f64, f64),
        (c_lo, c_hi): (f64, f64),
    ) -> Option<Option<usize>> {
        // (No rating: the UPS is at load fraction 0 throughout.)
        if self.ups_rated_w.is_nan() || self.ups_rated_w <= 0.0 {
            return Some(None);
        }
        let f = self.chain.cooling_on_ups_fraction;
        let lo = (l_lo.max(0.0) + f * c_lo.max(0.0)) * self.inv_ups_rated_w;
        let hi = (l_hi.max(0.0) + f * c_hi.max(0.0)) * self.inv_ups_rated_w;
        if !(lo.is_finite() && hi.is_finite()) {
            return None;
        }
        let kinks = if self.chain.eco_mode {
            &self.xs[..self.xs.len().min(1)]
        } else {
            &self.xs[..]
        };
        let mut inside = (0..kinks.len()).filter(|&k| lo < kinks[k] && kinks[k] < hi);
        match (inside.next(), inside.next()) {
            (None, _) => Some(None),
            (Some(k), None) if k >= 1 => Some(Some(k)),
            _ => None,
        }
    }
}

/// `exact` (the chain's total losses at a load and cooling) as a quadratic over the box
/// `l_range` x `c_range`: six evaluations about the box's centre (its quadratic part by central
/// differences, the cross term from a corner), checked at the opposite corner and half-way from
/// the centre towards both; None when a check misses by more than half of `tol` (between the
/// checks the miss can be larger: `loss_fit_matches_the_per_step_chain` holds every step of
/// random blocks to `tol`, and found fits checked at the corner alone, or at seven points to
/// the whole `tol`, that missed by 33-48 W where `tol` was 31 W).
///
/// Why the half-way points: a quadratic through three points along an axis is exact at them,
/// so a check there (as the opposite corner is, on a box with no cooling swing) sees nothing;
/// the error of a smooth curve's fit peaks between them (a cubic's at 0.58 of the half-width,
/// 97 % of which shows at 0.5), so the checks see it there.
///
/// `exact2` evaluates two points at once (one per lane of an [`F2`], each as `exact` would):
/// none of the nine evaluations depends on another's result, so they go in five pairs (the
/// last point twice), all before the arithmetic, which is the one-at-a-time form's, operation
/// for operation (test `the_paired_fit_is_the_scalar_fit_bit_for_bit`). The points of an axis
/// too short to divide by (and the corner of a box without both) are evaluated and not read.
fn quadratic_of(
    exact2: impl Fn(F2, F2) -> F2,
    l_range: (f64, f64),
    c_range: (f64, f64),
    tol: f64,
) -> Option<LossQuadratic> {
    let centre = |(lo, hi): (f64, f64)| (0.5 * (lo + hi), 0.5 * (hi - lo));
    let ((l0, dl), (c0, dc)) = (centre(l_range), centre(c_range));
    // Along one axis: slope and curvature from the points either side (none on a span too
    // short to divide by). `exact2` is generic, not `dyn`: a quiet block fits one or two of
    // these, five paired evaluations each, and an indirect call cost as much as one.
    let short = |d: f64| d <= 1e-9 * (l0.abs() + c0.abs()).max(1.0);
    let (short_l, short_c) = (short(dl), short(dc));
    let dl = if short_l { 0.0 } else { dl };
    let dc = if short_c { 0.0 } else { dc };
    let (hl, hc) = (0.5 * dl, 0.5 * dc);
    let pair = |(la, ca): (f64, f64), (lb, cb): (f64, f64)| {
        let v = exact2(F2::new(la, lb), F2::new(ca, cb));
        (v.lo(), v.hi())
    };
    let (f0, corner) = pair((l0, c0), (l0 + dl, c0 + dc));
    let (l_up, l_down) = pair((l0 + dl, c0), (l0 + -dl, c0));
    let (c_up, c_down) = pair((l0, c0 + dc), (l0, c0 + -dc));
    let checks = [(-dl, -dc), (hl, hc), (-hl, -hc)].map(|(x, y)| (l0 + x, c0 + y));
    let (at0, at1) = pair(checks[0], checks[1]);
    let (at2, _) = pair(checks[2], checks[2]);
    let axis = |d: f64, p: f64, m: f64| ((p - m) / (2.0 * d), (p - 2.0 * f0 + m) / (2.0 * d * d));
    let (a, e) = if short_l {
        (0.0, 0.0)
    } else {
        axis(dl, l_up, l_down)
    };
    let (b, k) = if short_c {
        (0.0, 0.0)
    } else {
        axis(dc, c_up, c_down)
    };
    let mut q = LossQuadratic {
        l0,
        c0,
        k: [f0, a, b, e, 0.0, k],
    };
    if dl > 0.0 && dc > 0.0 {
        q.k[4] = (corner - q.at(l0 + dl, c0 + dc)) / (dl * dc);
    }
    let misses = |(l, c): (f64, f64), exact: f64| (q.at(l, c) - exact).abs() > 0.5 * tol;
    let miss = misses(checks[0], at0) || misses(checks[1], at1) || misses(checks[2], at2);
    (!miss).then_some(q)
}

/// The chain's losses over a quiet block ([`PreparedChain::fit_losses`]): the quadratic of
/// the UPS curve's piece below `split_u` W of UPS load, and of the one above.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossFit {
    split_u: f64,
    /// Share of the cooling carried by the UPS.
    f: f64,
    q: [LossQuadratic; 2],
}

impl LossFit {
    /// The one quadratic, when the block holds no kink.
    pub fn single(&self) -> Option<&LossQuadratic> {
        (self.split_u == f64::INFINITY).then_some(&self.q[0])
    }

    /// Losses at load `l` and cooling `c`, W: the quadratic of the piece its UPS load lies on.
    #[inline(always)]
    pub fn at(&self, l: f64, c: f64) -> f64 {
        self.q[usize::from(l + self.f * c > self.split_u)].at(l, c)
    }

    /// The fit with each figure in both lanes of an [`F2`], for two steps at once.
    pub fn lanes(&self) -> LossFitLanes {
        LossFitLanes {
            f: F2::splat(self.f),
            split_u: F2::splat(self.split_u),
            q: self.q.map(|q| q.lanes()),
        }
    }
}

/// A [`LossFit`] for two steps at once ([`LossFit::lanes`]): its figures held in both lanes
/// once per block, not spread into them at every pair of steps (which cost as many
/// instructions as the arithmetic).
#[derive(Clone, Copy, Debug)]
pub struct LossFitLanes {
    f: F2,
    split_u: F2,
    q: [LossLanes; 2],
}

impl LossFitLanes {
    /// [`LossFit::at`] at two steps, lane by lane the same bits: the quadratic of the piece
    /// both steps' UPS loads lie on, or where they lie on either side, both quadratics, each
    /// lane taking its own.
    #[inline(always)]
    pub fn at(&self, l: F2, c: F2) -> F2 {
        let u = l + self.f * c;
        match u.gt_bits(self.split_u) {
            0 => self.q[0].at(l, c),
            3 => self.q[1].at(l, c),
            _ => u.gt_select(self.split_u, self.q[1].at(l, c), self.q[0].at(l, c)),
        }
    }
}

/// The chain's total losses as a quadratic in load and cooling about `(l0, c0)`
/// ([`PreparedChain::fit_losses`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LossQuadratic {
    l0: f64,
    c0: f64,
    /// Constant, the two slopes, then the terms in `dl²`, `dl dc` and `dc²`.
    k: [f64; 6],
}

impl LossQuadratic {
    /// Losses at load `l` and cooling `c`, W.
    #[inline(always)]
    pub fn at(&self, l: f64, c: f64) -> f64 {
        let k = &self.k;
        let (dl, dc) = (l - self.l0, c - self.c0);
        k[0] + dl * (k[1] + k[3] * dl + k[4] * dc) + dc * (k[2] + k[5] * dc)
    }

    /// The quadratic with each figure in both lanes of an [`F2`].
    pub fn lanes(&self) -> LossLanes {
        LossLanes {
            l0: F2::splat(self.l0),
            c0: F2::splat(self.c0),
            k: self.k.map(F2::splat),
        }
    }
}

/// A [`LossQuadratic`] for two steps at once ([`LossQuadratic::lanes`]).
#[derive(Clone, Copy, Debug)]
pub struct LossLanes {
    l0: F2,
    c0: F2,
    k: [F2; 6],
}

impl LossLanes {
    /// [`LossQuadratic::at`] at two steps: the same operations in each lane.
    #[inline(always)]
    pub fn at(&self, l: F2, c: F2) -> F2 {
        let k = &self.k;
        let (dl, dc) = (l - self.l0, c - self.c0);
        k[0] + dl * (k[1] + k[3] * dl + k[4] * dc) + dc * (k[2] + k[5] * dc)
    }
}

/// One piece of the UPS efficiency curve: efficiency `e0 + slope * (x - x0)` for load
/// fractions `x` in `(lo, hi]` (see [`PreparedChain::segment`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainSegment {
    lo: f64,
    hi: f64,
    e0: f64,
    slope: f64,
    x0: f64,
}

/// Three pieces of the UPS curve in order, and the load fractions between them: a step's
/// piece is the first (`x <= b1`), the second (`x <= b2`) or the third, for `x` in
/// `(lo, hi]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChainWindow {
    b1: f64,
    b2: f64,
    lo: f64,
    hi: f64,
    pieces: [ChainSegment; 3],
}

impl ChainSegment {
    /// The chain's UPS curve as pieces in order: piece k covers `(xs[k], xs[k + 1]]` (the first
    /// also its left end, since loads are held there), the last is flat past the last point;
    /// in eco mode one flat piece.
    fn pieces(c: &ElectricalChain) -> Vec<ChainSegment> {
        let pts = &c.ups_efficiency;
        if c.eco_mode || pts.is_empty() {
            // (With no curve the chain's efficiency is 1.)
            let e = if c.eco_mode {
                c.eco_mode_efficiency
            } else {
                1.0
            };
            return vec![ChainSegment::flat(f64::NEG_INFINITY, e)];
        }
        let n = pts.len();
        let lo = |k: usize| if k == 0 { f64::NEG_INFINITY } else { pts[k][0] };
        let mut v: Vec<ChainSegment> = pts
            .windows(2)
            .enumerate()
            .map(|(k, w)| ChainSegment {
                lo: lo(k),
                hi: w[1][0],
                e0: w[0][1],
                slope: (w[1][1] - w[0][1]) / (w[1][0] - w[0][0]),
                x0: w[0][0],
            })
            .collect();
        v.push(ChainSegment::flat(lo(n - 1), pts[n - 1][1]));
        v
    }

    /// A constant efficiency `e` above `lo` (eco mode, or past the curve's last point): `e + 0
    /// * (x - x0)` is `e` for any finite `x`, and `hi` keeps an infinite load out.
    fn flat(lo: f64, e: f64) -> ChainSegment {
        ChainSegment {
            lo,
            hi: f64::MAX,
            e0: e,
            slope: 0.0,
            x0: 0.0,
        }
    }
}

/// Ready-made `[electrical]` tables (TOML text for [`ElectricalChain::from_toml`]), each figure
/// with its source. Meant to move to `models/electrical/` in the main crate.
pub mod presets {
    /// Legacy enterprise hall: 2N transformer-based double-conversion UPS lightly loaded.
    pub const ENTERPRISE_2N: &str = r#"
[electrical]
# 2N: two systems each rated for the full 1 MW design IT load; each carries half.
rated_kw = 2000.0
# Older transformer-based double-conversion UPS: 86-94 % measured in the LBNL/EPRI UPS
# benchmarking for the California Energy Commission (Ton & Fortenbery 2005); the points are
# an estimate within that range.
ups_efficiency = [[0.1, 0.86], [0.25, 0.91], [0.5, 0.94], [0.75, 0.945], [1.0, 0.945]]
eco_mode = false
eco_mode_efficiency = 0.99     # unused here; typical eco-mode figure (vendor data)
cooling_on_ups_fraction = 0.0  # CRAH fans on utility power with generator backup (estimate)
transformer_rated_kw = 2500.0  # sized for IT + cooling at design (estimate)
# Pre-2010 dry-type units: ~98-98.5 % at 50 % load (before DOE 10 CFR 431 2010/2016 levels);
# split into core and copper loss is an estimate.
transformer_no_load_fraction = 0.004
transformer_load_loss_fraction = 0.015
distribution_loss_fraction = 0.02   # PDUs with transformers, long cable runs (estimate; 1-3 % typical)
fixed_kw = 20.0                     # lighting + offices, 2 % of design IT (estimate)
"#;

    /// Hyperscale hall: modern transformerless double-conversion UPS, N+1, DOE-2016
    /// transformers, short busway distribution.
    pub const HYPERSCALE: &str = r#"
[electrical]
rated_kw = 1200.0   # N+1 on a 1 MW design IT load (estimate)
# Modern transformerless double conversion: ~0.93 at 10 %, 0.96 at 25 %, 0.97 at 50-100 %
# (vendor curves, e.g. Schneider Galaxy VS "up to 97 %"; estimate of the shape).
ups_efficiency = [[0.1, 0.93], [0.25, 0.96], [0.5, 0.97], [1.0, 0.97]]
eco_mode = false
eco_mode_efficiency = 0.99     # Schneider eConversion "up to 99 %" (vendor data)
cooling_on_ups_fraction = 0.0
transformer_rated_kw = 1500.0
# DOE 10 CFR 431.196 (2016) medium-voltage units ~99.3-99.5 % at 50 % load; split estimated.
transformer_no_load_fraction = 0.0015
transformer_load_loss_fraction = 0.008
distribution_loss_fraction = 0.01   # busway, no PDU transformers (estimate)
fixed_kw = 5.0                      # lighting + offices, 0.5 % of design IT (estimate)
"#;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prepared_chain_matches_reference(it in 0.0f64..3.0e6, cooling in 0.0f64..1.0e6, eco in any::<bool>()) {
            let mut c = typical();
            c.eco_mode = eco;
            let p = PreparedChain::new(c.clone());
            let a = c.losses(it, cooling);
            let b = p.losses(it, cooling);
            for (x, y) in [(a.ups_w, b.ups_w), (a.transformer_w, b.transformer_w), (a.distribution_w, b.distribution_w), (a.fixed_w, b.fixed_w)] {
                prop_assert!((x - y).abs() <= 1e-9 * x.abs().max(1.0), "{x} vs {y}");
            }
        }
    }

    /// A preset's chain, eco mode as asked.
    fn preset(k: usize, eco: bool) -> PreparedChain {
        let text = [presets::HYPERSCALE, presets::ENTERPRISE_2N][k % 2];
        let mut c = ElectricalChain::from_toml("preset", text).unwrap();
        c.eco_mode = eco;
        if k >= 2 {
            // Some cooling through the UPS, so cooling moves the operating point too.
            c.cooling_on_ups_fraction = 0.3;
        }
        PreparedChain::new(c)
    }

    proptest! {
        /// The per-block form (the UPS curve's pieces around the block's first step, read with
        /// no search) gives the per-step chain's losses over random blocks whose IT and
        /// cooling sweep the curve, or says a step is outside its pieces; within 1e-12 (it
        /// is in fact the same bits).
        #[test]
        fn block_form_matches_the_per_step_chain(
            k in 0usize..4,
            eco in any::<bool>(),
            it0 in 0.0f64..2.0e6,
            it_swing in 0.0f64..1.0,
            cool0 in 0.0f64..6.0e5,
            cool_swing in 0.0f64..1.0,
            phase in 0.0f64..6.3,
        ) {
            let p = preset(k, eco);
            let n = 60;
            let step = |i: usize| {
                let s = (phase + 0.37 * i as f64).sin();
                (it0 * (1.0 + it_swing * s), cool0 * (1.0 + cool_swing * s))
            };
            let (it_first, cool_first) = step(0);
            let w = p.window(p.step_load_fraction(it_first, cool_first)).unwrap();
            for i in 0..n {
                let (it, cool) = step(i);
                let exact = p.losses(it, cool).total_w();
                let (fast, inside) = p.losses_in(&w, it, cool);
                if inside {
                    prop_assert!((fast - exact).abs() <= 1e-12 * exact.abs(), "{fast} vs {exact}");
                    prop_assert_eq!(fast.to_bits(), exact.to_bits());
                }
            }
            // The first step always lies in its own window.
            prop_assert!(p.losses_in(&w, it_first, cool_first).1);
        }
    }

    proptest! {
        /// The block form of the chain ([`PreparedChain::fit_losses`] over the box of a random
        /// block's loads and cooling, the block sweeping the UPS curve, across its points or
        /// not, eco mode or not, some cooling through the UPS or none) is within 1e-4 of the
        /// block's least load of the per-step chain at every step, whenever it fits. A block
        /// that crosses one curve point past the first with a narrow swing always fits.
        #[test]
        fn loss_fit_matches_the_per_step_chain(
            k in 0usize..4,
            eco in any::<bool>(),
            it0 in 1.0e4f64..2.0e6,
            it_swing in 0.0f64..0.3,
            cool0 in 0.0f64..6.0e5,
            cool_swing in 0.0f64..0.3,
            phase in 0.0f64..6.3,
        ) {
            let p = preset(k, eco);
            let n = 60;
            let steps: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let s = (phase + 0.37 * i as f64).sin();
                    let t = (phase * 1.7 + 0.23 * i as f64).cos();
                    (it0 * (1.0 + it_swing * s), cool0 * (1.0 + cool_swing * t))
                })
                .collect();
            let range = |f: &dyn Fn(&(f64, f64)) -> f64| {
                steps.iter().map(f).fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)))
            };
            let (l, c) = (range(&|s| s.0), range(&|s| s.1));
            let tol = 1e-4 * l.0;
            if let Some(fit) = p.fit_losses(l, c, tol) {
                for &(it, cool) in &steps {
                    let exact = p.losses(it, cool).total_w();
                    let got = fit.at(it, cool);
                    prop_assert!((got - exact).abs() <= tol, "{got} vs {exact} at {it}, {cool}");
                }
            }
            // Across one interior point (hyperscale's 0.5 of 1,200 kW x its scale), 2 % either
            // side: a fit, and within the tolerance.
            let x = p.xs[2] * p.ups_rated_w;
            let across = ((0.98 * x, 1.02 * x), (0.0, 0.0));
            if !eco && k % 2 == 0 {
                let fit = p.fit_losses(across.0, across.1, 1e-4 * 0.98 * x);
                prop_assert!(fit.is_some_and(|f| f.single().is_none()));
            }
        }
    }

    proptest! {
        /// The one-quadratic fit of a box with no kink of the UPS curve reads the chain
        /// through the pieces around the box's centre ([`PreparedChain::total_losses_near`]):
        /// the same quadratic, to the bit, as the fit through the per-step chain's search at
        /// each point, over random boxes of every preset, eco mode or not, some cooling
        /// through the UPS or none (a box that crosses a kink is fit per piece as before).
        #[test]
        fn a_fit_through_the_window_is_the_fit_through_the_chain_bit_for_bit(
            k in 0usize..4,
            eco in any::<bool>(),
            l0 in 0.0f64..3.0e6,
            l_swing in 0.0f64..0.2,
            c0 in 0.0f64..6.0e5,
            c_swing in 0.0f64..0.3,
        ) {
            let p = preset(k, eco);
            let (l, c) = ((l0, l0 * (1.0 + l_swing)), (c0, c0 * (1.0 + c_swing)));
            let tol = 1e-4 * l0.max(1.0);
            if p.kinks_between(l, c) == Some(None) {
                let chain = quadratic_of_single(|l, c| p.losses(l, c).total_w(), l, c, tol);
                let fit = p.fit_losses(l, c, tol);
                prop_assert_eq!(fit.is_some(), chain.is_some());
                if let (Some(fit), Some(chain)) = (fit, chain) {
                    let q = fit.single().expect("one quadratic");
                    prop_assert_eq!(q.k.map(f64::to_bits), chain.k.map(f64::to_bits));
                    prop_assert_eq!((q.l0.to_bits(), q.c0.to_bits()), (chain.l0.to_bits(), chain.c0.to_bits()));
                }
            }
        }
    }

    /// The fit the paired one replaced: each of the nine evaluations alone (the axes' only
    /// when not short, the corner only with both), the checks in turn.
    fn quadratic_of_single(
        exact: impl Fn(f64, f64) -> f64,
        l_range: (f64, f64),
        c_range: (f64, f64),
        tol: f64,
    ) -> Option<LossQuadratic> {
        let centre = |(lo, hi): (f64, f64)| (0.5 * (lo + hi), 0.5 * (hi - lo));
        let ((l0, dl), (c0, dc)) = (centre(l_range), centre(c_range));
        let f0 = exact(l0, c0);
        let short = |d: f64| d <= 1e-9 * (l0.abs() + c0.abs()).max(1.0);
        let axis =
            |d: f64, p: f64, m: f64| ((p - m) / (2.0 * d), (p - 2.0 * f0 + m) / (2.0 * d * d), d);
        let (a, e, dl) = if short(dl) {
            (0.0, 0.0, 0.0)
        } else {
            axis(dl, exact(l0 + dl, c0), exact(l0 + -dl, c0))
        };
        let (b, k, dc) = if short(dc) {
            (0.0, 0.0, 0.0)
        } else {
            axis(dc, exact(l0, c0 + dc), exact(l0, c0 + -dc))
        };
        let mut q = LossQuadratic {
            l0,
            c0,
            k: [f0, a, b, e, 0.0, k],
        };
        if dl > 0.0 && dc > 0.0 {
            q.k[4] = (exact(l0 + dl, c0 + dc) - q.at(l0 + dl, c0 + dc)) / (dl * dc);
        }
        let misses = |l: f64, c: f64| (q.at(l, c) - exact(l, c)).abs() > 0.5 * tol;
        let (hl, hc) = (0.5 * dl, 0.5 * dc);
        let miss = [(-dl, -dc), (hl, hc), (-hl, -hc)]
            .iter()
            .any(|&(x, y)| misses(l0 + x, c0 + y));
        (!miss).then_some(q)
    }

    /// [`PreparedChain::fit_losses`] one evaluation at a time (the form before the paired
    /// one): through the window's pieces, or each piece's own, by the scalar chain.
    fn fit_losses_single(
        p: &PreparedChain,
        l_range: (f64, f64),
        c_range: (f64, f64),
        tol: f64,
    ) -> Option<LossFit> {
        let f = p.chain.cooling_on_ups_fraction;
        match p.kinks_between(l_range, c_range)? {
            None => {
                let centre = |(lo, hi): (f64, f64)| 0.5 * (lo + hi);
                let w = p.window(p.step_load_fraction(centre(l_range), centre(c_range)));
                let exact = |l, c| p.total_losses_near(w.as_ref(), l, c);
                let q = quadratic_of_single(exact, l_range, c_range, tol)?;
                Some(LossFit {
                    split_u: f64::INFINITY,
                    f,
                    q: [q, q],
                })
            }
            Some(k) => {
                let piece = |i: usize| {
                    let s = p.pieces[i];
                    ChainWindow {
                        b1: f64::MAX,
                        b2: f64::MAX,
                        lo: f64::NEG_INFINITY,
                        hi: f64::MAX,
                        pieces: [s, s, s],
                    }
                };
                let fit = |w: &ChainWindow| {
                    quadratic_of_single(|l, c| p.losses_in(w, l, c).0, l_range, c_range, tol)
                };
                Some(LossFit {
                    split_u: p.xs[k] * p.ups_rated_w,
                    f,
                    q: [fit(&piece(k - 1))?, fit(&piece(k))?],
                })
            }
        }
    }

    /// A fit's figures as bits.
    fn fit_bits(fit: &LossFit) -> Vec<u64> {
        let mut v = vec![fit.split_u.to_bits(), fit.f.to_bits()];
        for q in &fit.q {
            v.extend([q.l0, q.c0].iter().chain(&q.k).map(|x| x.to_bits()));
        }
        v
    }

    proptest! {
        /// The block's loss fit with its evaluations paired ([`quadratic_of`],
        /// [`PreparedChain::losses_in2`]) is the one-at-a-time fit to the bit, or fails where it
        /// fails: over random boxes of every preset, eco mode or not, some cooling through the
        /// UPS or none, boxes inside one piece of the UPS curve, across one of its points (two
        /// fits) or more (none), with no swing in load or cooling (a short axis), idle loads
        /// (held at the curve's first point) and tolerances tight enough to fail.
        #[test]
        fn the_paired_fit_is_the_scalar_fit_bit_for_bit(
            k in 0usize..4,
            eco in any::<bool>(),
            l0 in prop_oneof![Just(0.0), 0.0f64..3.0e6],
            l_swing in prop_oneof![Just(0.0), 0.0f64..0.4],
            c0 in prop_oneof![Just(0.0), 0.0f64..6.0e5],
            c_swing in prop_oneof![Just(0.0), 0.0f64..0.4],
            tol_share in prop_oneof![Just(1e-4), 1e-9f64..1e-3],
        ) {
            let p = preset(k, eco);
            let (l, c) = ((l0, l0 * (1.0 + l_swing)), (c0, c0 * (1.0 + c_swing)));
            let tol = tol_share * l0.max(1.0);
            let paired = p.fit_losses(l, c, tol);
            let single = fit_losses_single(&p, l, c, tol);
            prop_assert_eq!(paired.is_some(), single.is_some());
            if let (Some(a), Some(b)) = (paired, single) {
                prop_assert_eq!(fit_bits(&a), fit_bits(&b));
            }
        }
    }

    /// Two points at once through a window ([`PreparedChain::losses_in2`]) are each point
    /// alone ([`PreparedChain::losses_in`]) to the bit (inside the window or not), and inside
    /// together exactly when each is: every pair of load fractions from idle to past the curve's end, through windows
    /// all along it, negative and NaN loads included.
    #[test]
    fn two_points_in_lanes_are_each_point_alone() {
        for k in 0..4 {
            for eco in [false, true] {
                let p = preset(k, eco);
                let rated = p.ups_rated_w;
                let loads: Vec<f64> = (0..46)
                    .map(|b| rated * b as f64 / 30.0)
                    .chain([-1.0e5, -0.0, f64::NAN, rated * 0.5, rated * 0.25])
                    .collect();
                for a in 0..45u32 {
                    let w = p.window(a as f64 / 30.0).unwrap();
                    for (i, &la) in loads.iter().enumerate() {
                        for &lb in &loads[i..] {
                            let (ca, cb) = (0.2 * la.abs(), 0.1 * lb.abs());
                            let (v, inside) = p.losses_in2(&w, F2::new(la, lb), F2::new(ca, cb));
                            let (x, xin) = p.losses_in(&w, la, ca);
                            let (y, yin) = p.losses_in(&w, lb, cb);
                            assert_eq!(inside, xin && yin, "{k} {eco} {a}: {la}, {lb}");
                            assert_eq!(v.lo().to_bits(), x.to_bits(), "{k} {eco} {a}: {la}");
                            assert_eq!(v.hi().to_bits(), y.to_bits(), "{k} {eco} {a}: {lb}");
                        }
                    }
                }
            }
        }
    }

    /// Every load fraction from idle to twice the rating, each through the window of a load
    /// fraction near it (one piece below to one above): inside it, the same bits as the per-step
    /// chain; a step two pieces away is reported outside.
    #[test]
    fn window_covers_the_pieces_around_its_step() {
        for k in 0..4 {
            for eco in [false, true] {
                let p = preset(k, eco);
                let rated = p.ups_rated_w;
                for a in 0..200u32 {
                    let xa = a as f64 / 100.0;
                    let w = p.window(xa).unwrap();
                    for b in 0..200 {
                        let it = rated * b as f64 / 100.0;
                        let (fast, inside) = p.losses_in(&w, it, 0.0);
                        if inside {
                            assert_eq!(fast.to_bits(), p.losses(it, 0.0).total_w().to_bits());
                        }
                        if a.abs_diff(b) <= 1 {
                            assert!(inside, "preset {k}, eco {eco}, {xa} vs {b}");
                        }
                    }
                }
                // Far past the curve's end still reads its last efficiency.
                let w = p.window(50.0).unwrap();
                let (fast, inside) = p.losses_in(&w, 50.0 * rated, 0.0);
                assert!(inside);
                assert_eq!(
                    fast.to_bits(),
                    p.losses(50.0 * rated, 0.0).total_w().to_bits()
                );
                let (_, inside) = p.losses_in(&w, f64::INFINITY, 0.0);
                assert!(!inside, "an infinite load is left to the per-step chain");
            }
        }
        // Two pieces away is outside the window (hyperscale: points at 0.1, 0.25, 0.5, 1.0; the
        // window of 0.12 holds the three pieces up to 1.0, not the flat one past it).
        let p = preset(0, false);
        let w = p.window(0.12).unwrap();
        assert!(!p.losses_in(&w, 2.0 * p.ups_rated_w, 0.0).1);
    }

    fn typical() -> ElectricalChain {
        ElectricalChain::from_toml(
            "typical.toml",
            r#"
[electrical]
rated_kw = 1000.0
ups_efficiency = [[0.1, 0.90], [0.25, 0.94], [0.5, 0.96], [1.0, 0.96]]
eco_mode = false
eco_mode_efficiency = 0.99
cooling_on_ups_fraction = 0.0
transformer_rated_kw = 1500.0
transformer_no_load_fraction = 0.002
transformer_load_loss_fraction = 0.01
distribution_loss_fraction = 0.01
fixed_kw = 10.0
"#,
        )
        .unwrap()
    }

    #[test]
    fn presets_load() {
        for (name, text) in [
            ("enterprise", presets::ENTERPRISE_2N),
            ("hyperscale", presets::HYPERSCALE),
        ] {
            ElectricalChain::from_toml(name, text).unwrap();
        }
    }

    #[test]
    fn ups_curve_interpolates_and_holds() {
        let c = typical();
        assert_eq!(c.ups_efficiency_at(0.05), 0.90);
        assert!((c.ups_efficiency_at(0.175) - 0.92).abs() < 1e-12);
        assert_eq!(c.ups_efficiency_at(0.75), 0.96);
        assert_eq!(c.ups_efficiency_at(3.0), 0.96);
        // At 50 % load: 500 kW through a 96 % UPS -> 20.83 kW loss.
        let l = c.losses(500e3, 0.0);
        assert!((l.ups_w - 500e3 * (1.0 / 0.96 - 1.0)).abs() < 1e-6);
        // No-load loss held at the 10 % point's: 100 kW * (1/0.9 - 1).
        let l0 = c.losses(0.0, 0.0);
        assert!((l0.ups_w - 100e3 * (1.0 / 0.9 - 1.0)).abs() < 1e-6);
        let mut eco = c.clone();
        eco.eco_mode = true;
        assert!(eco.losses(500e3, 0.0).ups_w < l.ups_w / 3.0);
    }

    #[test]
    fn transformer_quadratic() {
        let c = typical();
        let l = c.losses(700e3, 300e3);
        let load = 1.0e6 + l.ups_w + l.distribution_w + l.fixed_w;
        let y = load / 1.5e6;
        assert!((l.transformer_w - 1.5e6 * (0.002 + 0.01 * y * y)).abs() < 1e-6);
        assert!((l.distribution_w - 10e3).abs() < 1e-9);
        assert_eq!(l.fixed_w, 10e3);
    }

    #[test]
    fn errors_name_line_and_field() {
        let text = "[electrical]\nrated_kw = 1000.0\nups_efficiency = [[0.5, 0.96], [0.25, 0.94]]\neco_mode = false\neco_mode_efficiency = 0.99\ncooling_on_ups_fraction = 0.0\ntransformer_rated_kw = 1500.0\ntransformer_no_load_fraction = 0.002\ntransformer_load_loss_fraction = 0.01\ndistribution_loss_fraction = 0.01\nfixed_kw = 10.0\n";
        let e = ElectricalChain::from_toml("site.toml", text).unwrap_err();
        match &e {
            FacilityError::Invalid {
                file, line, field, ..
            } => {
                assert_eq!(
                    (file.as_str(), *line, field.as_str()),
                    ("site.toml", 3, "electrical.ups_efficiency")
                );
            }
            other => panic!("{other:?}"),
        }
        let bad = text.replace("fixed_kw = 10.0", "fixed_kw = 10.0\nlighting_kw = 3.0");
        let e = ElectricalChain::from_toml("site.toml", &bad).unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("site.toml:12: field `electrical.lighting_kw`"),
            "{s}"
        );
    }

    proptest! {
        #[test]
        fn losses_non_negative_and_finite(it in 0.0f64..3.0e6, cooling in 0.0f64..2.0e6, eco in any::<bool>()) {
            let mut c = typical();
            c.eco_mode = eco;
            let l = c.losses(it, cooling);
            for v in [l.ups_w, l.transformer_w, l.distribution_w, l.fixed_w] {
                prop_assert!(v.is_finite() && v >= 0.0);
            }
        }
    }
}
