//! Consumer request classes: search, chat, reasoning, image and video generation.
//!
//! A class is a rate of requests with a daily and weekly shape in its users' time zone, growing
//! year on year, each request a random amount of accelerator work. Work that finds no free
//! capacity waits in a fluid queue bounded to `max_queue_s` seconds of the pool's capacity; what
//! overflows is dropped and counted as dropped requests (at the class's mean work per request).

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::arrivals::WorkDist;
use super::shape::{DailyShape, WeekTable, WeeklyShape};
use super::trace::{Trace, TraceClock, TraceRows};
use super::{Ctx, one};
use crate::base::error::Result;
use crate::base::time::{SimTime, parse_utc_offset};
use crate::input::check::{err_after, non_negative, positive};
use crate::input::limits::{MAX_ABS, num};
use crate::model::fleet::RackGroup;
use crate::model::library::{ConsumerPreset, check_per_request};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerSpec {
    pub name: Spanned<String>,
    pub pool: Spanned<String>,
    /// When the workload starts (a date, or a local date-time, on the study clock); default
    /// its pool's first online date. Before it the workload draws and asks for nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub online: Option<Spanned<String>>,
    /// A preset from `models/presets.toml` that supplies defaults.
    pub preset: Option<Spanned<String>>,
    /// Mean requests per day in the first year (averaged over the week).
    pub requests_per_day: Option<f64>,
    /// Marginal energy per request at the serving server, Wh: what a request adds to the
    /// server's draw above idle (the figure measurement papers publish).
    pub wh_per_request: Option<f64>,
    /// Energy per request if the serving server ran at full load, Wh (fleet arithmetic such as
    /// "servers x max power x 24 h / requests a day").
    pub wh_per_request_at_full_load: Option<f64>,
    pub acc_s_per_request: Option<f64>,
    pub tokens_in: Option<f64>,
    pub tokens_out: Option<f64>,
    /// With tokens: the model's active parameters, billions, and its model-FLOP utilisation
    /// (prefill, and decode when `decode_mfu` is not given): time per token = 2 x active
    /// parameters / (accelerator peak FLOP/s x MFU).
    pub active_params_b: Option<f64>,
    pub mfu: Option<f64>,
    pub decode_mfu: Option<f64>,
    /// With tokens: power per accelerator while prefilling and while decoding, W (server share,
    /// host included). The pool's idle stays the hardware's.
    pub prefill_w_per_accelerator: Option<f64>,
    pub decode_w_per_accelerator: Option<f64>,
    pub work_cv: Option<f64>,
    /// Multiplies token-derived work (a model larger than the reference serves fewer tokens/s).
    #[serde(default = "one")]
    pub model_scale: f64,
    pub peak_hour: Option<f64>,
    pub peak_to_trough: Option<f64>,
    pub hourly: Option<Vec<f64>>,
    pub weekly: Option<Vec<f64>>,
    /// Users' time zone, e.g. "-05:00"; default the study's.
    pub utc_offset: Option<String>,
    #[serde(default)]
    pub growth_per_year: f64,
    #[serde(default = "default_queue")]
    pub max_queue_s: f64,
    pub trace: Option<TraceSpec>,
}

fn default_queue() -> f64 {
    30.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSpec {
    /// CSV path, relative to the run file.
    pub file: String,
    /// Scale the trace to this many requests a day (default: the trace's own rate).
    pub requests_per_day: Option<f64>,
    /// Apply the class's daily and weekly shape on top of the trace (default false).
    #[serde(default)]
    pub shaped: bool,
    /// The clock the trace's timestamps were recorded in, e.g. "-08:00", for timestamps that
    /// carry no offset of their own; default the class's `utc_offset` (else the study's).
    pub utc_offset: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsumerClass {
    pub name: String,
    pub pool: usize,
    /// Seconds from the study start at which the workload starts (see `online` in the spec).
    pub online_s: u64,
    pub requests_per_s: f64,
    pub daily: DailyShape,
    pub weekly: WeeklyShape,
    pub utc_offset_s: i32,
    /// daily x weekly factor for each step of the study's week.
    #[serde(skip)]
    pub week: WeekTable,
    /// ln(1 + growth per year), so the rate factor is exp(g * years).
    pub growth_ln: f64,
    pub work: WorkDist,
    /// 1 / mean work per request (0 when there is no work), to count requests from work.
    pub inv_mean_work: f64,
    /// Dynamic power of this class's busy accelerators relative to the pool's curve (1 unless
    /// per-state powers are given).
    pub power_scale: f64,
    pub max_queue_s: f64,
    /// The queue bound in work: `max_queue_s` seconds of the pool's capacity.
    pub max_queue_work: f64,
    #[serde(skip)]
    pub trace: Option<Replay>,
}

/// Trace replay: (trace, scale factor on the trace's own rate, shaped).
pub type Replay = (Trace, f64, bool);

const YEAR_S: f64 = 365.0 * 86_400.0;

impl ConsumerClass {
    /// Resolves a `[[consumer]]` table: its work per request (own or the preset's), the
    /// accelerator time of a token, the power of its busy accelerators, its daily and weekly
    /// shape and clock, then its rate and work from a trace or from the stated figures.
    pub fn resolve(spec: &ConsumerSpec, ctx: &Ctx) -> Result<ConsumerClass> {
        let c = Class::read(spec, ctx)?;
        c.check_figures()?;
        let stated = c.stated_work()?;
        let tokens = c.token_time(stated.tokens())?;
        let power_scale = c.power_scale(&stated, &tokens)?;
        let cv = spec
            .work_cv
            .or(c.preset.and_then(|p| p.work_cv))
            .unwrap_or(0.0);
        let daily = c.daily_shape()?;
        let weekly = c.weekly_shape()?;
        let utc_offset_s = match &spec.utc_offset {
            Some(s) => c.offset(s)?,
            None => ctx.utc_offset_s,
        };
        let (requests_per_s, work, trace) = match &spec.trace {
            Some(ts) => c.replay(ts, utc_offset_s, &tokens)?,
            None => {
                let rpd = spec.requests_per_day.ok_or_else(|| {
                    err_after(
                        ctx.src,
                        c.at,
                        "requests_per_day",
                        "missing: give requests_per_day (or a trace)",
                    )
                })?;
                let mean = c.mean_work(&stated, &tokens)?;
                (rpd / 86_400.0, WorkDist::new(mean, cv), None)
            }
        };
        let shape: Vec<f64> = daily
            .factors
            .iter()
            .chain(&weekly.factors)
            .copied()
            .collect();
        let week = WeekTable::shared(
            ctx.files,
            "consumer week table",
            (ctx.step_s, ctx.utc_offset_s, utc_offset_s),
            &shape,
            |h, wd| daily.at(h) * weekly.factors[wd],
        )?
        .on_own_clock(spec.utc_offset.is_some());
        Ok(ConsumerClass {
            name: spec.name.get_ref().clone(),
            pool: c.pool,
            online_s: ctx.online_s(spec.online.as_ref(), c.pool)?,
            requests_per_s,
            daily,
            weekly,
            utc_offset_s,
            week,
            growth_ln: (1.0 + spec.growth_per_year).ln(),
            inv_mean_work: if work.mean > 0.0 {
                1.0 / work.mean
            } else {
                0.0
            },
            power_scale,
            work,
            max_queue_s: spec.max_queue_s,
            max_queue_work: spec.max_queue_s * ctx.fleet.pools[c.pool].capacity,
            trace,
        })
    }

    /// Growth factor at time `t` (evaluated once an hour by the engine).
    pub fn growth(&self, t: SimTime) -> f64 {
        if self.growth_ln == 0.0 {
            1.0
        } else {
            (self.growth_ln * t.0 as f64 / YEAR_S).exp()
        }
    }

    /// Requests and work (accelerator-seconds) arriving in the step `[t, t + dt)`.
    #[inline]
    pub fn arrivals<R: rand::Rng + ?Sized>(
        &self,
        t: SimTime,
        dt_s: u64,
        step_of_week: usize,
        growth: f64,
        rng: &mut R,
    ) -> (f64, f64) {
        let shape = || self.week.at(step_of_week);
        match &self.trace {
            Some((tr, scale, shaped)) => {
                let f = scale * growth * if *shaped { shape() } else { 1.0 };
                let (n, w) = tr.window(t.0 as f64, (t.0 + dt_s) as f64);
                (n * f, w * f)
            }
            None => {
                let lambda = self.requests_per_s * dt_s as f64 * growth * shape();
                self.work.count_and_work(lambda, rng)
            }
        }
    }
}

/// A `[[consumer]]` table being resolved: the table, its preset, its pool, and where its errors
/// point.
struct Class<'a, 'c> {
    spec: &'a ConsumerSpec,
    preset: Option<&'a ConsumerPreset>,
    ctx: &'a Ctx<'c>,
    pool: usize,
    /// Start of the table in the run file.
    at: usize,
}

/// Work per request as stated: by the class, or else (as a whole) by its preset.
#[derive(Clone, Copy, Default)]
struct StatedWork {
    acc_s: Option<f64>,
    wh: Option<f64>,
    wh_full: Option<f64>,
    tokens_in: Option<f64>,
    tokens_out: Option<f64>,
}

impl StatedWork {
    fn tokens(&self) -> bool {
        self.tokens_in.is_some() || self.tokens_out.is_some()
    }

    /// Accelerator-seconds of prefill and of decode per request.
    fn token_seconds(&self, t: &TokenTime) -> (f64, f64) {
        (
            self.tokens_in.unwrap_or(0.0) * t.s_per_in,
            self.tokens_out.unwrap_or(0.0) * t.s_per_out,
        )
    }
}

/// Seconds of one accelerator per prefill token and per decode token.
struct TokenTime {
    s_per_in: f64,
    s_per_out: f64,
}

impl TokenTime {
    /// Accelerator-seconds of `i` input and `o` output tokens.
    fn work(&self, i: f64, o: f64) -> f64 {
        i * self.s_per_in + o * self.s_per_out
    }
}

impl<'a, 'c> Class<'a, 'c> {
    fn read(spec: &'a ConsumerSpec, ctx: &'a Ctx<'c>) -> Result<Class<'a, 'c>> {
        let pool = ctx.pool(&spec.pool)?;
        let preset = match &spec.preset {
            Some(p) => Some(ctx.lib.preset(p.get_ref()).ok_or_else(|| {
                ctx.src.error_at(
                    p.span(),
                    "preset",
                    ctx.lib.unknown_entry("preset", p.get_ref()),
                )
            })?),
            None => None,
        };
        Ok(Class {
            spec,
            preset,
            ctx,
            pool,
            at: spec.name.span().start,
        })
    }

    /// `Err` at `field` of the table unless `ok`.
    fn ensure(&self, ok: bool, field: &str, msg: &str) -> Result<()> {
        self.ctx.ensure(ok, self.at, field, msg)
    }

    /// The hardware of the pool's first group: what its accelerators can do per token.
    fn group(&self) -> &'a RackGroup {
        let fleet = self.ctx.fleet;
        &fleet.groups[fleet.pools[self.pool].groups[0]]
    }

    /// The class's own figures that need no other: model scale, queue, growth and the
    /// per-request numbers (all >= 0).
    fn check_figures(&self) -> Result<()> {
        let (spec, src, at) = (self.spec, self.ctx.src, self.at);
        positive(src, at, "model_scale", spec.model_scale)?;
        non_negative(src, at, "max_queue_s", spec.max_queue_s)?;
        self.ensure(
            spec.growth_per_year > -1.0 && spec.growth_per_year.is_finite(),
            "growth_per_year",
            "expected a number > -1 (e.g. 0.3 for +30 % a year)",
        )?;
        self.check_growth()?;
        if let Some(v) = spec.requests_per_day {
            non_negative(src, at, "requests_per_day", v)?;
        }
        check_per_request(
            src,
            at,
            [
                spec.wh_per_request,
                spec.wh_per_request_at_full_load,
                spec.acc_s_per_request,
                spec.tokens_in,
                spec.tokens_out,
                spec.work_cv,
            ],
        )
    }

    /// Growth compounds over the horizon: the rate it reaches by the end must stay a number the
    /// engine can count (1e15 requests a day, the bound of any figure in a run file), or the
    /// arrivals overflow and the load falls to zero years into the study. Refused at
    /// `growth_per_year`, saying the largest growth this horizon allows.
    fn check_growth(&self) -> Result<()> {
        let spec = self.spec;
        let years = self.ctx.horizon_s as f64 / YEAR_S;
        let ln = (1.0 + spec.growth_per_year).ln();
        // A trace's own rate is not known here: its factor alone is bounded.
        let per_day = spec.requests_per_day.unwrap_or(1.0).max(1.0);
        let end = per_day * (ln * years).exp();
        if spec.growth_per_year <= 0.0 || (end.is_finite() && end <= MAX_ABS) {
            return Ok(());
        }
        let most = (MAX_ABS / per_day).powf(1.0 / years) - 1.0;
        self.ensure(
            false,
            "growth_per_year",
            &format!(
                "{} a year for {} years grows {} requests a day past 1e15 (the most a study counts): expected at most {} over this horizon",
                num(spec.growth_per_year),
                num((years * 100.0).round() / 100.0),
                num(per_day),
                num((most * 1000.0).floor() / 1000.0),
            ),
        )
    }

    /// Work per request: the class's own statement wins over the preset's, as a whole; it may
    /// use one form only.
    fn stated_work(&self) -> Result<StatedWork> {
        let spec = self.spec;
        let own = StatedWork {
            acc_s: spec.acc_s_per_request,
            wh: spec.wh_per_request,
            wh_full: spec.wh_per_request_at_full_load,
            tokens_in: spec.tokens_in,
            tokens_out: spec.tokens_out,
        };
        let forms = [
            own.acc_s.is_some(),
            own.wh.is_some(),
            own.wh_full.is_some(),
            own.tokens(),
        ];
        self.ensure(
            forms.iter().filter(|b| **b).count() <= 1,
            "wh_per_request",
            "give work per request one way only: acc_s_per_request, wh_per_request, wh_per_request_at_full_load, or tokens_in/tokens_out",
        )?;
        Ok(match self.preset {
            _ if forms.iter().any(|b| *b) => own,
            Some(p) => StatedWork {
                acc_s: p.acc_s_per_request,
                wh: p.wh_per_request,
                wh_full: p.wh_per_request_at_full_load,
                tokens_in: p.tokens_in,
                tokens_out: p.tokens_out,
            },
            None => StatedWork::default(),
        })
    }

    /// Mean accelerator-seconds per request, from whichever form is stated.
    fn mean_work(&self, stated: &StatedWork, tokens: &TokenTime) -> Result<f64> {
        let pool = &self.ctx.fleet.pools[self.pool];
        if let Some(a) = stated.acc_s {
            Ok(a)
        } else if let Some(w) = stated.wh {
            // Marginal energy: the pool's dynamic power per unit of work turns it into time.
            self.ensure(
                pool.watts_per_busy > 0.0,
                "wh_per_request",
                "the pool's servers draw no more at load than idle: give acc_s_per_request",
            )?;
            Ok(w * 3600.0 / pool.watts_per_busy)
        } else if let Some(w) = stated.wh_full {
            // Energy per request at full load of the serving server, spread per accelerator.
            Ok(w * 3600.0 / self.group().peak_w_per_accelerator)
        } else if stated.tokens() {
            let (i, o) = stated.token_seconds(tokens);
            Ok(i + o)
        } else {
            Err(err_after(
                self.ctx.src,
                self.at,
                "name",
                "no work per request: give acc_s_per_request, wh_per_request, wh_per_request_at_full_load or tokens_in/tokens_out (or a preset)",
            ))
        }
    }

    /// The time of a token: from the model's size and FLOP utilisation when stated, else from
    /// the accelerator's token rates scaled by `model_scale`. The FLOP and per-state power
    /// fields apply to token-stated work only.
    fn token_time(&self, tokens: bool) -> Result<TokenTime> {
        let spec = self.spec;
        for (f, given) in [
            ("active_params_b", spec.active_params_b.is_some()),
            ("mfu", spec.mfu.is_some()),
            ("decode_mfu", spec.decode_mfu.is_some()),
            (
                "prefill_w_per_accelerator",
                spec.prefill_w_per_accelerator.is_some(),
            ),
            (
                "decode_w_per_accelerator",
                spec.decode_w_per_accelerator.is_some(),
            ),
        ] {
            self.ensure(
                !given || tokens,
                f,
                &format!("{f} applies to token-stated work: give tokens_in/tokens_out"),
            )?;
        }
        let group = self.group();
        if spec.active_params_b.is_none() && spec.mfu.is_none() {
            return Ok(TokenTime {
                s_per_in: spec.model_scale / group.prefill_tokens_per_s,
                s_per_out: spec.model_scale / group.decode_tokens_per_s,
            });
        }
        let (Some(p), Some(m)) = (spec.active_params_b, spec.mfu) else {
            return Err(err_after(
                self.ctx.src,
                self.at,
                if spec.mfu.is_none() {
                    "mfu"
                } else {
                    "active_params_b"
                },
                "give both active_params_b (billions) and mfu (a fraction) for FLOP-stated work",
            ));
        };
        positive(self.ctx.src, self.at, "active_params_b", p)?;
        for (f, v) in [("mfu", Some(m)), ("decode_mfu", spec.decode_mfu)] {
            if let Some(v) = v {
                self.ensure(
                    v > 0.0 && v <= 1.0,
                    f,
                    &format!("expected a model-FLOP utilisation in (0, 1], found {v}"),
                )?;
            }
        }
        self.ensure(
            group.peak_flops > 0.0,
            "active_params_b",
            &format!(
                "pool {:?}'s accelerator states no peak_tflops in the library: add it in a --models file, or give acc_s_per_request",
                spec.pool.get_ref()
            ),
        )?;
        let flop_per_token = 2.0 * p * 1e9;
        Ok(TokenTime {
            s_per_in: flop_per_token / (group.peak_flops * m),
            s_per_out: flop_per_token / (group.peak_flops * spec.decode_mfu.unwrap_or(m)),
        })
    }

    /// Per-state power: the class's busy accelerators draw the stated powers instead of the
    /// pool's full-load power, as one scale on the pool's dynamic power per unit of work (1
    /// when not stated).
    fn power_scale(&self, stated: &StatedWork, tokens: &TokenTime) -> Result<f64> {
        let spec = self.spec;
        if spec.prefill_w_per_accelerator.is_none() && spec.decode_w_per_accelerator.is_none() {
            return Ok(1.0);
        }
        let pool = &self.ctx.fleet.pools[self.pool];
        let lo = pool.idle_w_per_capacity;
        let hi = lo + pool.watts_per_busy;
        let mut p = [0.0; 2];
        for (k, (f, v)) in [
            ("prefill_w_per_accelerator", spec.prefill_w_per_accelerator),
            ("decode_w_per_accelerator", spec.decode_w_per_accelerator),
        ]
        .into_iter()
        .enumerate()
        {
            let v = v.unwrap_or(hi);
            self.ensure(
                v.is_finite() && v >= lo && v <= hi,
                f,
                &format!(
                    "expected a power between the pool's idle and full-load power per accelerator, {lo:.1} to {hi:.1} W (host share included), found {v} W"
                ),
            )?;
            p[k] = v;
        }
        let (ti, to) = stated.token_seconds(tokens);
        Ok(if ti + to > 0.0 && pool.watts_per_busy > 0.0 {
            ((ti * (p[0] - lo) + to * (p[1] - lo)) / (ti + to)) / pool.watts_per_busy
        } else {
            1.0
        })
    }

    /// The daily shape: the class's `hourly` factors or cosine (`peak_hour`, `peak_to_trough`,
    /// missing ones from the preset), else the preset's shape, else flat.
    fn daily_shape(&self) -> Result<DailyShape> {
        let (spec, preset) = (self.spec, self.preset);
        let err = |f: &str, m: String| err_after(self.ctx.src, self.at, f, &m);
        Ok(match (&spec.hourly, spec.peak_hour, spec.peak_to_trough) {
            (Some(h), _, _) => hourly_shape(h).map_err(|m| err("hourly", m))?,
            (None, Some(_), _) | (None, _, Some(_)) => {
                let ph = spec
                    .peak_hour
                    .or(preset.and_then(|p| p.peak_hour))
                    .unwrap_or(20.0);
                let r = spec
                    .peak_to_trough
                    .or(preset.and_then(|p| p.peak_to_trough))
                    .unwrap_or(1.0);
                cosine_shape(ph, r).map_err(|(f, m)| err(f, m))?
            }
            (None, None, None) => match preset {
                Some(p) if p.hourly.is_some() => hourly_shape(p.hourly.as_deref().unwrap_or(&[]))
                    .map_err(|m| err("preset", m))?,
                Some(p) if p.peak_hour.is_some() || p.peak_to_trough.is_some() => {
                    cosine_shape(p.peak_hour.unwrap_or(20.0), p.peak_to_trough.unwrap_or(1.0))
                        .map_err(|(_, m)| err("preset", m))?
                }
                _ => DailyShape::flat(),
            },
        })
    }

    /// The weekly factors, Monday to Sunday, the class's or its preset's (else flat).
    fn weekly_shape(&self) -> Result<WeeklyShape> {
        let Some(w) = self
            .spec
            .weekly
            .as_ref()
            .or(self.preset.and_then(|p| p.weekly.as_ref()))
        else {
            return Ok(WeeklyShape::flat());
        };
        self.ensure(
            w.len() == 7
                && w.iter().all(|x| x.is_finite() && *x >= 0.0)
                && w.iter().sum::<f64>() > 0.0,
            "weekly",
            "expected 7 non-negative factors, Monday to Sunday, not all zero",
        )?;
        let mut f = [0.0; 7];
        f.copy_from_slice(w);
        Ok(WeeklyShape { factors: f }.normalised())
    }

    fn offset(&self, s: &str) -> Result<i32> {
        parse_utc_offset(s).map_err(|m| err_after(self.ctx.src, self.at, "utc_offset", &m))
    }

    /// Trace replay: the requests of a recorded trace, each worth its tokens, repeated over
    /// the horizon and scaled to `requests_per_day` when given.
    fn replay(
        &self,
        ts: &TraceSpec,
        utc_offset_s: i32,
        tokens: &TokenTime,
    ) -> Result<(f64, WorkDist, Option<Replay>)> {
        let ctx = self.ctx;
        let path = ctx.base_dir.join(&ts.file);
        let stated_offset_s = match &ts.utc_offset {
            Some(o) => Some(self.offset(o)?),
            None => None,
        };
        let clock = TraceClock {
            stated_offset_s,
            default_offset_s: utc_offset_s,
            study_start_utc_s: ctx.start_utc_s,
        };
        // Read and checked once per study; each resolution applies its own work per token.
        let rows = ctx.files.load(
            "trace",
            &path,
            format!("{stated_offset_s:?} {utc_offset_s}"),
            || {
                let text =
                    crate::input::limits::read_text(&path, crate::input::limits::MAX_DATA_BYTES)?;
                TraceRows::parse(&path.display().to_string(), &text, clock)
            },
        )?;
        let mut tr = Trace::from_rows(&rows, ctx.start_utc_s, |i, o| tokens.work(i, o));
        // Naive timestamps on the study clock follow its prevailing time.
        if rows.on_default_clock() && self.spec.utc_offset.is_none() {
            tr = tr.on_wall_clock(ctx.calendar);
        }
        let own_rate = tr.rate_per_s();
        let target = ts
            .requests_per_day
            .or(self.spec.requests_per_day)
            .map_or(own_rate, |d| d / 86_400.0);
        self.ensure(
            target.is_finite() && target >= 0.0,
            "requests_per_day",
            "expected a number >= 0",
        )?;
        let work = WorkDist::new(tr.mean_work(), 0.0);
        let scale = target / own_rate;
        Ok((target, work, Some((tr, scale, ts.shaped))))
    }
}

fn hourly_shape(h: &[f64]) -> std::result::Result<DailyShape, String> {
    if h.len() != 24 || h.iter().any(|x| !x.is_finite() || *x < 0.0) || h.iter().sum::<f64>() <= 0.0
    {
        return Err(
            "expected 24 non-negative hourly factors (00:00 to 23:00 local), not all zero".into(),
        );
    }
    let mut f = [0.0; 24];
    f.copy_from_slice(h);
    Ok(DailyShape { factors: f }.normalised())
}

fn cosine_shape(
    peak_hour: f64,
    ratio: f64,
) -> std::result::Result<DailyShape, (&'static str, String)> {
    if !(0.0..24.0).contains(&peak_hour) {
        return Err((
            "peak_hour",
            format!("expected a local hour in [0, 24), found {peak_hour}"),
        ));
    }
    if !(ratio >= 1.0 && ratio.is_finite()) {
        return Err((
            "peak_to_trough",
            format!("expected a ratio >= 1, found {ratio}"),
        ));
    }
    Ok(DailyShape::cosine(peak_hour, ratio).normalised())
}
