//! The model library: accelerators, servers, rack types and consumer presets.
//!
//! The built-in library is compiled into the binary (so `dcload run` works from any directory);
//! a user's folder given with `--models DIR` adds entries and overrides built-in ones of the same
//! name, file by file (`accelerators.toml`, `servers.toml`, `racks.toml`, `presets.toml`).

use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::base::error::{Error, Result, Source};
use crate::input::check::{err_after, non_negative, positive};

pub const BUILTIN: &[(&str, &str)] = &[
    (
        "accelerators.toml",
        include_str!("../../models/accelerators.toml"),
    ),
    ("servers.toml", include_str!("../../models/servers.toml")),
    ("racks.toml", include_str!("../../models/racks.toml")),
    ("presets.toml", include_str!("../../models/presets.toml")),
];

/// Facility model files, one model per file: (folder, name, text). Parsed by the facility and
/// weather modules when a study names them.
pub const BUILTIN_FILES: &[(&str, &str, &str)] = &[
    (
        "climates",
        "ashburn",
        include_str!("../../models/climates/ashburn.toml"),
    ),
    (
        "climates",
        "austin",
        include_str!("../../models/climates/austin.toml"),
    ),
    (
        "climates",
        "columbus",
        include_str!("../../models/climates/columbus.toml"),
    ),
    (
        "climates",
        "dallas",
        include_str!("../../models/climates/dallas.toml"),
    ),
    (
        "climates",
        "debrecen",
        include_str!("../../models/climates/debrecen.toml"),
    ),
    (
        "climates",
        "dublin",
        include_str!("../../models/climates/dublin.toml"),
    ),
    (
        "climates",
        "frankfurt",
        include_str!("../../models/climates/frankfurt.toml"),
    ),
    (
        "climates",
        "lulea",
        include_str!("../../models/climates/lulea.toml"),
    ),
    (
        "climates",
        "phoenix",
        include_str!("../../models/climates/phoenix.toml"),
    ),
    (
        "climates",
        "singapore",
        include_str!("../../models/climates/singapore.toml"),
    ),
    (
        "climates",
        "tokyo",
        include_str!("../../models/climates/tokyo.toml"),
    ),
    (
        "cooling",
        "air-chiller-economiser",
        include_str!("../../models/cooling/air-chiller-economiser.toml"),
    ),
    (
        "cooling",
        "air-chiller-legacy",
        include_str!("../../models/cooling/air-chiller-legacy.toml"),
    ),
    (
        "cooling",
        "air-dx-pumped",
        include_str!("../../models/cooling/air-dx-pumped.toml"),
    ),
    (
        "cooling",
        "air-side-evaporative",
        include_str!("../../models/cooling/air-side-evaporative.toml"),
    ),
    (
        "cooling",
        "air-side-humidified",
        include_str!("../../models/cooling/air-side-humidified.toml"),
    ),
    (
        "cooling",
        "hybrid-dlc",
        include_str!("../../models/cooling/hybrid-dlc.toml"),
    ),
    (
        "cooling",
        "immersion",
        include_str!("../../models/cooling/immersion.toml"),
    ),
    (
        "cooling",
        "liquid-dry-cooler",
        include_str!("../../models/cooling/liquid-dry-cooler.toml"),
    ),
    (
        "electrical",
        "enterprise-2n",
        include_str!("../../models/electrical/enterprise-2n.toml"),
    ),
    (
        "electrical",
        "hyperscale",
        include_str!("../../models/electrical/hyperscale.toml"),
    ),
    (
        "electrical",
        "rack-battery",
        include_str!("../../models/electrical/rack-battery.toml"),
    ),
    ("grid", "aps", include_str!("../../models/grid/aps.toml")),
    ("grid", "de", include_str!("../../models/grid/de.toml")),
    (
        "grid",
        "ercot",
        include_str!("../../models/grid/ercot.toml"),
    ),
    ("grid", "hu", include_str!("../../models/grid/hu.toml")),
    ("grid", "ie", include_str!("../../models/grid/ie.toml")),
    (
        "grid",
        "jp-tokyo",
        include_str!("../../models/grid/jp-tokyo.toml"),
    ),
    ("grid", "pjm", include_str!("../../models/grid/pjm.toml")),
    ("grid", "se1", include_str!("../../models/grid/se1.toml")),
    ("grid", "sg", include_str!("../../models/grid/sg.toml")),
    (
        "tariffs",
        "dominion-gs3-like",
        include_str!("../../models/tariffs/dominion-gs3-like.toml"),
    ),
    (
        "tariffs",
        "ercot-4cp-like",
        include_str!("../../models/tariffs/ercot-4cp-like.toml"),
    ),
    (
        "tariffs",
        "ie-eurostat-flat",
        include_str!("../../models/tariffs/ie-eurostat-flat.toml"),
    ),
];

/// Folders of one-model-per-file TOML in the library.
pub const FILE_KINDS: [&str; 5] = ["climates", "cooling", "electrical", "grid", "tariffs"];

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AcceleratorSpec {
    pub name: Spanned<String>,
    pub tdp_w: f64,
    pub idle_w: f64,
    #[serde(default)]
    pub memory_gb: Option<f64>,
    pub prefill_tokens_per_s: f64,
    pub decode_tokens_per_s: f64,
    /// Dense 16-bit peak, TFLOP/s: turns a model's FLOP per token into time at a stated
    /// model-FLOP utilisation (consumer classes with `active_params_b`). Optional: a part
    /// without it cannot serve FLOP-stated classes.
    #[serde(default)]
    pub peak_tflops: Option<f64>,
    /// Points `[cap fraction of TDP, throughput fraction]`, ascending, ending at `[1, 1]`.
    pub cap_curve: Vec<[f64; 2]>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub name: Spanned<String>,
    pub accelerator: Spanned<String>,
    pub accelerators: u32,
    pub host_idle_w: f64,
    pub host_max_w: f64,
    #[serde(default = "one")]
    pub util_exponent: f64,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum CoolingKind {
    Air,
    Liquid,
    Immersion,
}

crate::ci_enum_deserialize!(
    CoolingKind,
    "cooling type",
    [
        ("air", CoolingKind::Air),
        ("liquid", CoolingKind::Liquid),
        ("immersion", CoolingKind::Immersion),
    ]
);

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RackSpec {
    pub name: Spanned<String>,
    pub server: Spanned<String>,
    pub servers: u32,
    pub budget_kw: f64,
    pub cooling: CoolingKind,
}

/// Defaults for a consumer request class; any field the class sets wins.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerPreset {
    pub name: Spanned<String>,
    /// Marginal energy per request at the serving server, Wh.
    pub wh_per_request: Option<f64>,
    /// Energy per request at the serving server's full load, Wh.
    pub wh_per_request_at_full_load: Option<f64>,
    pub acc_s_per_request: Option<f64>,
    pub tokens_in: Option<f64>,
    pub tokens_out: Option<f64>,
    pub work_cv: Option<f64>,
    pub peak_hour: Option<f64>,
    pub peak_to_trough: Option<f64>,
    pub hourly: Option<Vec<f64>>,
    pub weekly: Option<Vec<f64>>,
}

/// The per-request figures a preset and a consumer class state alike, in the order they are
/// checked (all >= 0 when given).
const PER_REQUEST: [&str; 6] = [
    "wh_per_request",
    "wh_per_request_at_full_load",
    "acc_s_per_request",
    "tokens_in",
    "tokens_out",
    "work_cv",
];

/// Checks the [`PER_REQUEST`] figures of the entry that starts at byte `at`.
pub fn check_per_request(src: &Source, at: usize, values: [Option<f64>; 6]) -> Result<()> {
    for (f, v) in PER_REQUEST.into_iter().zip(values) {
        if let Some(v) = v {
            non_negative(src, at, f, v)?;
        }
    }
    Ok(())
}

fn one() -> f64 {
    1.0
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LibraryFile {
    #[serde(default)]
    accelerator: Vec<AcceleratorSpec>,
    #[serde(default)]
    server: Vec<ServerSpec>,
    #[serde(default)]
    rack: Vec<RackSpec>,
    #[serde(default)]
    consumer_preset: Vec<ConsumerPreset>,
}

/// A library entry and the file it came from (kept for error messages).
#[derive(Clone, Debug)]
pub struct Entry<T> {
    pub spec: T,
    pub source: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Library {
    pub sources: Vec<Source>,
    pub accelerators: Vec<Entry<AcceleratorSpec>>,
    pub servers: Vec<Entry<ServerSpec>>,
    pub racks: Vec<Entry<RackSpec>>,
    pub presets: Vec<Entry<ConsumerPreset>>,
    /// One-model-per-file entries: (folder, name, source).
    pub files: Vec<(String, String, Source)>,
    /// User model files with `{ dist = ... }` numbers: (original source, its distributions,
    /// where it went: `None` for an entry file, `Some(i)` for `files[i]`). Sampled per trial.
    pub uncertain: Vec<(
        Source,
        Vec<crate::input::uncertain::Uncertain>,
        Option<usize>,
    )>,
}

trait Named {
    fn name(&self) -> &Spanned<String>;
}
macro_rules! named {
    ($($t:ty),*) => {$(impl Named for $t { fn name(&self) -> &Spanned<String> { &self.name } })*};
}
named!(AcceleratorSpec, ServerSpec, RackSpec, ConsumerPreset);

fn upsert<T: Named>(list: &mut Vec<Entry<T>>, items: Vec<T>, source: usize) {
    for spec in items {
        match list
            .iter_mut()
            .find(|e| e.spec.name().get_ref() == spec.name().get_ref())
        {
            Some(e) => *e = Entry { spec, source },
            None => list.push(Entry { spec, source }),
        }
    }
}

/// Two entries of one kind with the same name in one file: the second would silently win.
fn no_duplicates<T: Named>(src: &Source, kind: &str, items: &[T]) -> Result<()> {
    for (i, a) in items.iter().enumerate() {
        if let Some(b) = items[i + 1..]
            .iter()
            .find(|b| b.name().get_ref() == a.name().get_ref())
        {
            let (line, _) = src.line_col(a.name().span().start);
            return Err(src.error_at(
                b.name().span(),
                "name",
                format!(
                    "duplicate {kind} {:?} (also at line {line}): give each entry its own name",
                    a.name().get_ref()
                ),
            ));
        }
    }
    Ok(())
}

fn overridden<T: Named>(
    out: &mut Vec<(&'static str, String, usize)>,
    kind: &'static str,
    have: &[Entry<T>],
    items: &[T],
) {
    for it in items {
        if have
            .iter()
            .any(|e| e.spec.name().get_ref() == it.name().get_ref())
        {
            out.push((kind, it.name().get_ref().clone(), it.name().span().start));
        }
    }
}

impl Library {
    /// The built-in library.
    pub fn builtin() -> Result<Library> {
        Library::load(None)
    }

    /// The built-in library plus a user folder that adds and overrides entries.
    pub fn load(user_dir: Option<&Path>) -> Result<Library> {
        let mut lib = Library::default();
        for (name, text) in BUILTIN {
            lib.add_source(Source::new(format!("<built-in>/models/{name}"), *text))?;
        }
        for (kind, name, text) in BUILTIN_FILES {
            lib.files.push((
                kind.to_string(),
                name.to_string(),
                Source::new(format!("<built-in>/models/{kind}/{name}.toml"), *text),
            ));
        }
        if let Some(dir) = user_dir {
            lib.add_user_dir(dir)?;
        }
        lib.validate()?;
        Ok(lib)
    }

    /// A user's `--models` folder: its entry files (`accelerators.toml` ...) and its
    /// one-model-per-file folders, each adding entries or overriding built-in ones (with a note
    /// on stderr); a folder holding none of them is refused.
    fn add_user_dir(&mut self, dir: &Path) -> Result<()> {
        if !dir.is_dir() {
            return Err(Error::Option {
                option: "--models".into(),
                msg: format!("{} is not a directory", dir.display()),
            });
        }
        let mut found = false;
        for (name, _) in BUILTIN {
            let p = dir.join(name);
            if p.exists() {
                self.add_user_entries(&p)?;
                found = true;
            }
        }
        for kind in FILE_KINDS {
            let Ok(rd) = std::fs::read_dir(dir.join(kind)) else {
                continue;
            };
            let mut paths: Vec<_> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for p in paths
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            {
                self.add_user_file(kind, &p)?;
                found = true;
            }
        }
        if !found {
            return Err(Error::Option {
                option: "--models".into(),
                msg: format!(
                    "{} holds none of accelerators.toml, servers.toml, racks.toml, presets.toml, climates/, cooling/, electrical/, grid/, tariffs/",
                    dir.display()
                ),
            });
        }
        Ok(())
    }

    /// A user's entry file, at its nominal values.
    fn add_user_entries(&mut self, p: &Path) -> Result<()> {
        let text = crate::input::limits::read_text(p, crate::input::limits::MAX_TOML_BYTES)?;
        let src = Source::new(p.display().to_string(), text);
        let nominal = self.note_uncertain(&src, None)?;
        for (kind, name, at) in self.add_source(nominal.clone())? {
            let (line, _) = nominal.line_col(at);
            eprintln!(
                "note: {}:{line}: {kind} {name:?} overrides the built-in entry of that name",
                nominal.name
            );
        }
        Ok(())
    }

    /// A user's one-model-per-file entry of folder `kind`, named by its file stem.
    fn add_user_file(&mut self, kind: &str, p: &Path) -> Result<()> {
        let name = p
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned());
        let text = crate::input::limits::read_text(p, crate::input::limits::MAX_TOML_BYTES)?;
        let raw = Source::new(p.display().to_string(), text);
        crate::input::limits::check_numbers(&raw)?;
        let at = match self
            .files
            .iter()
            .position(|(k, n, _)| k == kind && *n == name)
        {
            Some(i) => {
                if self.files[i].2.name.starts_with("<built-in>") {
                    eprintln!(
                        "note: {}: overrides the built-in {kind} model {name:?}",
                        raw.name
                    );
                }
                i
            }
            None => {
                self.files.push((kind.to_string(), name, raw.clone()));
                self.files.len() - 1
            }
        };
        self.files[at].2 = self.note_uncertain(&raw, Some(at))?;
        Ok(())
    }

    /// Records a user file's distributions (if any) and returns its text at nominal values.
    fn note_uncertain(&mut self, raw: &Source, file: Option<usize>) -> Result<Source> {
        let list = crate::input::uncertain::find(raw)?;
        if list.is_empty() {
            return Ok(raw.clone());
        }
        let nominal: Vec<f64> = list.iter().map(|u| u.dist.nominal()).collect();
        let text = crate::input::uncertain::substitute(&raw.text, &list, &nominal);
        self.uncertain.push((raw.clone(), list, file));
        Ok(Source::new(raw.name.clone(), text))
    }

    /// Names of the library's uncertain numbers (`file:path`), in the order they are sampled.
    pub fn parameter_names(&self) -> Vec<String> {
        self.uncertain
            .iter()
            .flat_map(|(src, list, _)| list.iter().map(move |u| format!("{}:{}", src.name, u.path)))
            .collect()
    }

    /// The library with its uncertain numbers drawn from `rng`, and the values drawn.
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> Result<(Library, Vec<f64>)> {
        let mut values = Vec::new();
        let mut texts = Vec::new();
        for (src, list, file) in &self.uncertain {
            let v: Vec<f64> = list.iter().map(|u| u.dist.sample(rng)).collect();
            texts.push((
                Source::new(
                    src.name.clone(),
                    crate::input::uncertain::substitute(&src.text, list, &v),
                ),
                *file,
            ));
            values.extend(v);
        }
        // Rebuild: built-in entries, then the user's entry files in their original order.
        let mut lib = Library::default();
        for (name, text) in BUILTIN {
            lib.add_source(Source::new(format!("<built-in>/models/{name}"), *text))?;
        }
        for src in self.sources.iter().skip(BUILTIN.len()) {
            let replaced = self
                .uncertain
                .iter()
                .zip(texts.iter())
                .find(|((raw, _, f), _)| f.is_none() && raw.name == src.name)
                .map(|(_, (t, _))| t.clone());
            lib.add_source(replaced.unwrap_or_else(|| src.clone()))?;
        }
        lib.files = self.files.clone();
        for (t, f) in &texts {
            if let Some(i) = f {
                lib.files[*i].2 = t.clone();
            }
        }
        lib.uncertain = self.uncertain.clone();
        lib.validate()?;
        Ok((lib, values))
    }

    /// Adds an entry file; returns the entries it overrides (kind, name, byte offset).
    fn add_source(&mut self, src: Source) -> Result<Vec<(&'static str, String, usize)>> {
        let file: LibraryFile = toml::from_str(&src.text).map_err(|e| src.toml_error(&e))?;
        crate::input::limits::check_numbers(&src)?;
        no_duplicates(&src, "accelerator", &file.accelerator)?;
        no_duplicates(&src, "server", &file.server)?;
        no_duplicates(&src, "rack", &file.rack)?;
        no_duplicates(&src, "consumer_preset", &file.consumer_preset)?;
        let mut overrides = Vec::new();
        overridden(
            &mut overrides,
            "accelerator",
            &self.accelerators,
            &file.accelerator,
        );
        overridden(&mut overrides, "server", &self.servers, &file.server);
        overridden(&mut overrides, "rack", &self.racks, &file.rack);
        overridden(
            &mut overrides,
            "consumer_preset",
            &self.presets,
            &file.consumer_preset,
        );
        let idx = self.sources.len();
        self.sources.push(src);
        upsert(&mut self.accelerators, file.accelerator, idx);
        upsert(&mut self.servers, file.server, idx);
        upsert(&mut self.racks, file.rack, idx);
        upsert(&mut self.presets, file.consumer_preset, idx);
        Ok(overrides)
    }

    /// A one-model-per-file entry (`kind` is "climates", "cooling" or "electrical"), its name
    /// matched ignoring case (`None` also when two files differ only by case).
    pub fn file(&self, kind: &str, name: &str) -> Option<&Source> {
        self.file_named(kind, name).map(|(_, s)| s)
    }

    /// [`Library::file`] with the entry's own spelling of its name.
    pub fn file_named(&self, kind: &str, name: &str) -> Option<(&str, &Source)> {
        let list: Vec<&(String, String, Source)> =
            self.files.iter().filter(|(k, _, _)| k == kind).collect();
        let known: Vec<&str> = list.iter().map(|(_, n, _)| n.as_str()).collect();
        crate::input::names::find(name, &known).map(|i| (list[i].1.as_str(), &list[i].2))
    }

    /// The one-model-per-file entry a run file names at `name` (key `field`), or the error
    /// there with the nearest and the known names; `what` names the kind for the user.
    pub fn file_at(
        &self,
        src: &Source,
        kind: &str,
        what: &str,
        field: &str,
        name: &Spanned<String>,
    ) -> Result<&Source> {
        self.file(kind, name.get_ref()).ok_or_else(|| {
            src.error_at(
                name.span(),
                field,
                self.unknown_file(kind, what, name.get_ref()),
            )
        })
    }

    /// The error text for a one-model-per-file name [`Library::file`] did not find: the nearest
    /// names ("did you mean") and the known ones. `what` names the kind for the user.
    pub fn unknown_file(&self, kind: &str, what: &str, name: &str) -> String {
        crate::input::names::message(what, name, &self.file_names(kind))
    }

    /// The error text for an entry name the lookups did not find (`kind`: "accelerator",
    /// "server", "rack type" or "preset").
    pub fn unknown_entry(&self, kind: &str, name: &str) -> String {
        let known = match kind {
            "accelerator" => name_list(&self.accelerators),
            "server" => name_list(&self.servers),
            "preset" => name_list(&self.presets),
            _ => name_list(&self.racks),
        };
        crate::input::names::message(kind, name, &known)
    }

    /// Names available in a one-model-per-file folder.
    pub fn file_names(&self, kind: &str) -> Vec<&str> {
        self.files
            .iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, n, _)| n.as_str())
            .collect()
    }

    pub fn accelerator(&self, name: &str) -> Option<&AcceleratorSpec> {
        find(&self.accelerators, name)
    }
    pub fn server(&self, name: &str) -> Option<&ServerSpec> {
        find(&self.servers, name)
    }
    pub fn rack(&self, name: &str) -> Option<&RackSpec> {
        find(&self.racks, name)
    }
    pub fn preset(&self, name: &str) -> Option<&ConsumerPreset> {
        find(&self.presets, name)
    }

    /// Peak power of a server at full load and no cap, W.
    pub fn server_peak_w(&self, s: &ServerSpec) -> f64 {
        let a = self
            .accelerator(s.accelerator.get_ref())
            .map_or(0.0, |a| a.tdp_w);
        f64::from(s.accelerators) * a + s.host_max_w
    }

    /// Checks ranges and cross-references, so that a bad model file fails at load time.
    fn validate(&self) -> Result<()> {
        for e in &self.accelerators {
            check_accelerator(&self.sources[e.source], &e.spec)?;
        }
        for e in &self.servers {
            let s = &e.spec;
            let src = &self.sources[e.source];
            let at = s.name.span().start;
            let known = self.accelerator(s.accelerator.get_ref()).is_some();
            self.check_parts(
                src,
                at,
                ("accelerator", &s.accelerator, known),
                s.accelerators,
            )?;
            non_negative(src, at, "host_idle_w", s.host_idle_w)?;
            non_negative(src, at, "host_max_w", s.host_max_w)?;
            if s.host_idle_w > s.host_max_w {
                return Err(err_after(
                    src,
                    at,
                    "host_idle_w",
                    "must not exceed host_max_w",
                ));
            }
            positive(src, at, "util_exponent", s.util_exponent)?;
        }
        for e in &self.racks {
            let r = &e.spec;
            let src = &self.sources[e.source];
            let at = r.name.span().start;
            let known = self.server(r.server.get_ref()).is_some();
            self.check_parts(src, at, ("server", &r.server, known), r.servers)?;
            positive(src, at, "budget_kw", r.budget_kw)?;
        }
        for e in &self.presets {
            let p = &e.spec;
            check_per_request(
                &self.sources[e.source],
                p.name.span().start,
                [
                    p.wh_per_request,
                    p.wh_per_request_at_full_load,
                    p.acc_s_per_request,
                    p.tokens_in,
                    p.tokens_out,
                    p.work_cv,
                ],
            )?;
        }
        Ok(())
    }

    /// An entry built of `count` parts of another kind (a server of accelerators, a rack of
    /// servers): `name`, at key `kind`, must name a known entry, and `count` (at key
    /// `kind` + "s") must be at least 1.
    fn check_parts(
        &self,
        src: &Source,
        at: usize,
        (kind, name, known): (&str, &Spanned<String>, bool),
        count: u32,
    ) -> Result<()> {
        if !known {
            return Err(src.error_at(name.span(), kind, self.unknown_entry(kind, name.get_ref())));
        }
        if count == 0 {
            return Err(err_after(
                src,
                at,
                &format!("{kind}s"),
                "must be at least 1",
            ));
        }
        Ok(())
    }

    /// A human-readable listing for `dcload models`.
    pub fn listing(&self) -> String {
        let mut out = String::new();
        out.push_str("Accelerators (TDP, idle):\n");
        for e in &self.accelerators {
            let a = &e.spec;
            out.push_str(&format!(
                "  {:<14} {:>6.0} W {:>5.0} W\n",
                a.name.get_ref(),
                a.tdp_w,
                a.idle_w
            ));
        }
        out.push_str("Servers (accelerators, peak):\n");
        for e in &self.servers {
            let s = &e.spec;
            out.push_str(&format!(
                "  {:<14} {:>3} x {:<10} {:>7.1} kW\n",
                s.name.get_ref(),
                s.accelerators,
                s.accelerator.get_ref(),
                self.server_peak_w(s) / 1000.0
            ));
        }
        out.push_str("Racks (servers, budget, cooling):\n");
        for e in &self.racks {
            let r = &e.spec;
            out.push_str(&format!(
                "  {:<22} {:>3} x {:<12} {:>6.1} kW  {:?}\n",
                r.name.get_ref(),
                r.servers,
                r.server.get_ref(),
                r.budget_kw,
                r.cooling
            ));
        }
        for kind in FILE_KINDS {
            out.push_str(&format!(
                "{}{}: {}\n",
                kind[..1].to_uppercase(),
                &kind[1..],
                self.file_names(kind).join(", ")
            ));
        }
        out.push_str("Consumer presets:\n");
        for e in &self.presets {
            let p = &e.spec;
            let work = if let Some(w) = p.wh_per_request {
                format!("{w} Wh/request (marginal)")
            } else if let Some(w) = p.wh_per_request_at_full_load {
                format!("{w} Wh/request at full load")
            } else if let Some(a) = p.acc_s_per_request {
                format!("{a} accelerator-s/request")
            } else {
                format!(
                    "{} tokens in, {} tokens out",
                    p.tokens_in.unwrap_or(0.0),
                    p.tokens_out.unwrap_or(0.0)
                )
            };
            out.push_str(&format!("  {:<14} {work}\n", p.name.get_ref()));
        }
        out
    }
}

/// An accelerator's figures: powers, token rates and a cap curve that ends at full power.
fn check_accelerator(src: &Source, a: &AcceleratorSpec) -> Result<()> {
    let at = a.name.span().start;
    positive(src, at, "tdp_w", a.tdp_w)?;
    non_negative(src, at, "idle_w", a.idle_w)?;
    if a.idle_w > a.tdp_w {
        return Err(err_after(src, at, "idle_w", "must not exceed tdp_w"));
    }
    positive(src, at, "prefill_tokens_per_s", a.prefill_tokens_per_s)?;
    positive(src, at, "decode_tokens_per_s", a.decode_tokens_per_s)?;
    let c = &a.cap_curve;
    let ok = !c.is_empty()
        && c.windows(2)
            .all(|w| w[1][0] > w[0][0] && w[1][1] >= w[0][1])
        && c.iter()
            .all(|p| p[0] > 0.0 && p[0] <= 1.0 && p[1] > 0.0 && p[1] <= 1.0)
        && c.last().is_some_and(|p| p[0] == 1.0 && p[1] == 1.0);
    if !ok {
        return Err(err_after(
            src,
            at,
            "cap_curve",
            "expected points [cap, throughput] in (0,1], ascending, non-decreasing throughput, ending at [1.0, 1.0]",
        ));
    }
    Ok(())
}

/// The entry named `name`, ignoring case (`None` also when two entries differ only by case).
fn find<'a, T: Named>(list: &'a [Entry<T>], name: &str) -> Option<&'a T> {
    let known = name_list(list);
    crate::input::names::find(name, &known).map(|i| &list[i].spec)
}

fn name_list<T: Named>(list: &[Entry<T>]) -> Vec<&str> {
    list.iter()
        .map(|e| e.spec.name().get_ref().as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::check::fraction;

    const ACC: &str = "[[accelerator]]\nname = \"T-1\"\ntdp_w = 500.0\nidle_w = 50.0\nprefill_tokens_per_s = 1000.0\ndecode_tokens_per_s = 100.0\ncap_curve = [[0.5, 0.7], [1.0, 1.0]]\n";
    const SRV: &str = "[[server]]\nname = \"S-4\"\naccelerator = \"T-1\"\naccelerators = 4\nhost_idle_w = 300.0\nhost_max_w = 1200.0\n";

    fn user_lib(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Library>) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write model file");
        }
        let lib = Library::load(Some(dir.path()));
        (dir, lib)
    }

    #[test]
    fn server_peak_is_accelerators_at_tdp_plus_the_host_by_hand() {
        let (_d, lib) = user_lib(&[("accelerators.toml", ACC), ("servers.toml", SRV)]);
        let lib = lib.expect("library");
        let s = lib.server("S-4").expect("user server");
        // 4 x 500 W + 1200 W host.
        assert_eq!(lib.server_peak_w(s), 3200.0);
        // The built-in DGX H100 as its comment states: 8 x 700 + 4600 = 10,200 W.
        let dgx = lib.server("DGX-H100").expect("built-in server");
        assert_eq!(lib.server_peak_w(dgx), 10_200.0);
        // Built-in entries stay next to the user's.
        assert!(lib.accelerator("H100-SXM").is_some() && lib.accelerator("T-1").is_some());
    }

    #[test]
    fn a_user_entry_overrides_the_built_in_one_of_that_name() {
        let acc = ACC.replace("\"T-1\"", "\"H100-SXM\"");
        let (_d, lib) = user_lib(&[("accelerators.toml", &acc)]);
        let lib = lib.expect("library");
        assert_eq!(lib.accelerator("H100-SXM").expect("entry").tdp_w, 500.0);
        // The built-in server that uses it now peaks at 8 x 500 + 4600.
        let dgx = lib.server("DGX-H100").expect("built-in server");
        assert_eq!(lib.server_peak_w(dgx), 8600.0);
        assert_eq!(
            lib.accelerators
                .iter()
                .filter(|e| e.spec.name.get_ref() == "H100-SXM")
                .count(),
            1
        );
    }

    #[test]
    fn bad_entries_name_file_line_and_field() {
        // idle above TDP: reported at the idle_w line (3 + 1 = line 4), not at a key that merely
        // contains "idle_w".
        let acc = ACC.replace("idle_w = 50.0", "idle_w = 900.0");
        let (_d, lib) = user_lib(&[("accelerators.toml", &acc)]);
        match lib.expect_err("idle above tdp") {
            Error::Input {
                file, line, field, ..
            } => {
                assert!(file.ends_with("accelerators.toml"), "{file}");
                assert_eq!((line, field.as_str()), (4, "idle_w"));
            }
            other => panic!("unexpected {other:?}"),
        }
        // A server naming an unknown accelerator: at its `accelerator` line, with the known ones.
        let srv = SRV.replace("accelerator = \"T-1\"", "accelerator = \"T-9\"");
        let (_d, lib) = user_lib(&[("accelerators.toml", ACC), ("servers.toml", &srv)]);
        let err = lib.expect_err("unknown accelerator");
        let msg = err.to_string();
        assert!(msg.contains("T-9") && msg.contains("T-1"), "{msg}");
        match err {
            Error::Input { line, field, .. } => {
                assert_eq!((line, field.as_str()), (3, "accelerator"))
            }
            other => panic!("unexpected {other:?}"),
        }
        // A cap curve that does not end at [1, 1].
        let acc = ACC.replace("[1.0, 1.0]]", "[0.9, 1.0]]");
        let (_d, lib) = user_lib(&[("accelerators.toml", &acc)]);
        assert!(
            lib.expect_err("cap curve")
                .to_string()
                .contains("cap_curve")
        );
    }

    #[test]
    fn err_after_skips_keys_that_only_contain_the_field() {
        let src = Source::new("f.toml", "[[server]]\nhost_idle_w = 1.0\nidle_w = 2.0\n");
        match err_after(&src, 0, "idle_w", "bad") {
            Error::Input { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other:?}"),
        }
        assert!(positive(&src, 0, "idle_w", 0.0).is_err());
        assert!(positive(&src, 0, "idle_w", f64::NAN).is_err());
        assert!(non_negative(&src, 0, "idle_w", 0.0).is_ok());
        assert!(
            fraction(&src, 0, "idle_w", 1.0).is_ok() && fraction(&src, 0, "idle_w", 1.01).is_err()
        );
    }
}
