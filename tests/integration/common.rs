//! What the integration tests share: the binary and its run files in temporary folders, the
//! outputs read back (CSV, JSON), where an error points, and the small studies several files
//! use. One place for the setup, so that each test reads as what it checks.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use dcload::base::error::Source;
use dcload::model::library::Library;
use dcload::scenario::Scenario;
use dcload::sim::{TrialResult, run_trial};

// ------------------------------------------------------------------ the binary -------------

pub fn dcload() -> Command {
    Command::new(env!("CARGO_BIN_EXE_dcload"))
}

pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A path as a command-line argument.
pub fn arg(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 path")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn run_ok(args: &[&str]) -> Output {
    let out = dcload().args(args).output().expect("spawn dcload");
    assert!(
        out.status.success(),
        "dcload {args:?} failed:\n{}",
        stderr(&out)
    );
    out
}

/// `dcload ARGS` must fail, without a panic: its stderr.
pub fn fails(args: &[&str]) -> String {
    fails_with(dcload().args(args))
}

/// `cmd` must fail, without a panic: its stderr.
pub fn fails_with(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn dcload");
    let err = stderr(&out);
    assert!(!out.status.success(), "{cmd:?} succeeded:\n{err}");
    assert!(!err.contains("panicked"), "{cmd:?} panicked:\n{err}");
    err
}

/// A run file in a temporary folder of its own (removed with it); outputs go beside it.
pub struct RunFile {
    dir: tempfile::TempDir,
    path: PathBuf,
}

impl RunFile {
    /// `text` written as `run.toml`.
    pub fn new(text: &str) -> Self {
        Self::named("run.toml", text)
    }

    pub fn named(name: &str, text: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write the run file");
        Self { dir, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn arg(&self) -> &str {
        arg(&self.path)
    }

    /// A path in the run file's folder.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes another file beside the run file (a data file it names).
    pub fn beside(&self, name: &str, text: &str) -> PathBuf {
        let p = self.join(name);
        std::fs::write(&p, text).expect("write a file beside the run file");
        p
    }

    fn run_args<'a>(&'a self, out: &'a Path, flags: &[&'a str]) -> Vec<&'a str> {
        let mut a = vec!["run", self.arg(), "--out", arg(out)];
        a.extend_from_slice(flags);
        a
    }

    /// `dcload run FILE --out DIR/out FLAGS`, which must succeed: the output folder and what
    /// the command printed.
    pub fn run(&self, out: &str, flags: &[&str]) -> (PathBuf, Output) {
        let o = self.join(out);
        let res = run_ok(&self.run_args(&o, flags));
        (o, res)
    }

    /// `dcload run FILE --out DIR/out FLAGS`, which must fail: its stderr.
    pub fn run_fails(&self, out: &str, flags: &[&str]) -> String {
        fails(&self.run_args(&self.join(out), flags))
    }

    /// `dcload validate FILE`, which must fail: its stderr.
    pub fn validate_fails(&self) -> String {
        fails(&["validate", self.arg()])
    }
}

/// `text` run quietly without plots into `o` beside it (plus `flags`): the run file (which
/// keeps the folder) and the output folder.
pub fn run_quiet(text: &str, flags: &[&str]) -> (RunFile, PathBuf) {
    let f = RunFile::new(text);
    let mut all = vec!["--quiet", "--no-plots"];
    all.extend_from_slice(flags);
    let (out, _) = f.run("o", &all);
    (f, out)
}

// ------------------------------------------------------------------ in-process studies -----

/// Resolves a run file given as text.
pub fn scenario(text: &str) -> Scenario {
    resolve("test.toml", text, Path::new(".")).unwrap_or_else(|e| panic!("{e}"))
}

/// Resolves `text` as the run file `name` in folder `dir` (where its data files are read).
pub fn resolve(name: &str, text: &str, dir: &Path) -> Result<Scenario, String> {
    let lib = Library::builtin().expect("built-in library");
    let stem = name.trim_end_matches(".toml");
    Scenario::from_source(&Source::new(name, text), stem, dir, &lib).map_err(|e| e.to_string())
}

/// The error resolving `text` as the run file `name` gives.
pub fn resolve_err(name: &str, text: &str) -> String {
    match resolve(name, text, Path::new(".")) {
        Ok(_) => panic!("{name} accepted:\n{text}"),
        Err(e) => e,
    }
}

pub fn trials(sc: &Scenario) -> Vec<TrialResult> {
    (0..sc.trials).map(|i| run_trial(sc, i)).collect()
}

/// Hour `h`'s value of metric `id` (an `M_*` id) in a trial's hourly rows.
pub fn at_hour(sc: &Scenario, r: &TrialResult, h: usize, id: usize) -> f64 {
    let k = sc.metric_pos(id).expect("metric written");
    f64::from(r.hourly[h * sc.metric_ids.len() + k])
}

/// The mean of metric `id` over hours `hours` of a trial.
pub fn mean_over(sc: &Scenario, r: &TrialResult, id: usize, hours: std::ops::Range<usize>) -> f64 {
    let n = hours.len() as f64;
    hours.map(|h| at_hour(sc, r, h, id)).sum::<f64>() / n
}

// ------------------------------------------------------------------ outputs ----------------

/// Writes the output files of in-process trials (one thread, no traces) into `dir`.
pub fn write_outputs(dir: &Path, sc: &Scenario, results: &[TrialResult]) -> Vec<PathBuf> {
    let memory = dcload::run::traces::HourlySource::Memory;
    dcload::report::write_all(dir, sc, results, 1, 0.0, false, &memory)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A parsed CSV: header and rows of fields.
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("header")
        .split(',')
        .map(String::from)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

pub fn col(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

pub fn num(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|e| panic!("not a number: {s:?}: {e}"))
}

/// The column `name` of a CSV file.
pub fn column(path: &Path, name: &str) -> Vec<String> {
    let (h, rows) = read_csv(path);
    let c = col(&h, name);
    rows.into_iter().map(|r| r[c].clone()).collect()
}

/// The lines of a text file.
pub fn lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .lines()
        .map(String::from)
        .collect()
}

/// summary.json of an output folder.
pub fn summary_json(out: &Path) -> serde_json::Value {
    let p = out.join("summary.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Whether two files hold the same bytes.
pub fn same_bytes(a: &Path, b: &Path) -> bool {
    let read = |p: &Path| std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    read(a) == read(b)
}

// ------------------------------------------------------------------ errors -----------------

/// Line (1-based) of the first line of `text` that contains `needle`.
pub fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"))
        + 1
}

/// `text` (an error message, a console) says every one of `parts`.
pub fn assert_says(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "want {p:?} in:\n{text}");
    }
}

/// `dcload validate` refuses `text` (as `bad.toml`) at the line holding `needle`, naming
/// `field` in backquotes: the message.
pub fn refused_at(text: &str, needle: &str, field: &str) -> String {
    let f = RunFile::named("bad.toml", text);
    let err = f.validate_fails();
    let at = format!("{}:{}:", f.arg(), line_of(text, needle));
    assert_says(&err, &[&at, &format!("`{field}`")]);
    err
}

// ------------------------------------------------------------------ run files --------------

/// A run file of runs/ with `edits` applied (each must match; every match is replaced).
pub fn preset(rel: &str, edits: &[(&str, &str)]) -> String {
    let text = std::fs::read_to_string(repo(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    edit(&text, edits)
}

/// `text` with `edits` applied (each must match; every match is replaced).
pub fn edit(text: &str, edits: &[(&str, &str)]) -> String {
    let mut text = text.to_string();
    for (a, b) in edits {
        assert!(text.contains(a), "the run file lacks {a:?}");
        text = text.replace(a, b);
    }
    text
}

/// A day of one twin on ten racks at hourly steps, two trials, fixed PUE: a study with no
/// consumer classes that runs in a blink.
pub const ONE_TWIN_DAY: &str = r#"horizon_hours = 24
step_s = 3600
trials = 2
[[site.group]]
name = "g"
rack = "dgx-h100-x4"
count = 10
[[twin]]
name = "t"
pool = "g"
base_utilisation = 0.5
[facility]
kind = "fixed"
pue = 1.2
"#;

/// runs/default.toml shortened to `hours` at `step_s` steps (its distributions kept).
pub fn default_short(hours: u32, step_s: u32) -> String {
    preset(
        "runs/default.toml",
        &[
            ("horizon_hours = 8760", &format!("horizon_hours = {hours}")),
            ("step_s = 60 ", &format!("step_s = {step_s} ")),
        ],
    )
}

/// A run file's text with every `{ dist = ... }` replaced by its nominal value (the mean, or
/// the first choice), written as the run files write numbers (`1.0e8`, `0.3`): the study with
/// its uncertain inputs held fixed.
pub fn without_distributions(text: &str) -> String {
    let list =
        dcload::input::uncertain::find(&Source::new("run.toml", text)).expect("distributions");
    let mut out = String::new();
    let mut at = 0;
    for u in &list {
        out.push_str(&text[at..u.span.start]);
        let v = u.dist.nominal();
        if v.abs() >= 1e4 && v == v.round() {
            out.push_str(&format!("{v:.1e}"));
        } else {
            out.push_str(&format!("{v}"));
        }
        at = u.span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// runs/default.toml with its uncertain inputs held at their nominal values.
pub fn default_nominal() -> String {
    without_distributions(&preset("runs/default.toml", &[]))
}

/// The default study over 30 days at 5-minute steps with its distributions held at their
/// nominal values and the first `a` replaced by `b`: the parameter under test is the only
/// uncertain one.
pub fn default_with(a: &str, b: &str) -> String {
    let text = default_nominal();
    assert!(text.contains(a), "the default study lacks {a:?}");
    edit(
        &text.replacen(a, b, 1),
        &[
            ("horizon_hours = 8760", "horizon_hours = 720"),
            ("step_s = 60 ", "step_s = 300 "),
        ],
    )
}

/// A twin at full load on 10 DGX H100 all the time and a training job at full load on 10 more
/// from `job_start_days` for `job_days`, at fixed PUE 1.0 and 5-minute steps, 3 trials: a load
/// with two known levels, switching at known times. `extra` ends the file.
pub fn two_levels(
    start: &str,
    hours: u32,
    job_start_days: &str,
    job_days: &str,
    extra: &str,
) -> String {
    format!(
        r#"
start = "{start}"
horizon_hours = {hours}
step_s = 300
trials = 3
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 10
[[site.group]]
name = "tr"
server = "DGX-H100"
count = 10
[[twin]]
name = "always"
pool = "tw"
base_utilisation = 1.0
[[training]]
name = "job"
pool = "tr"
utilisation = 1.0
duration_days = {job_days}
start_days = [{job_start_days}]
[facility]
kind = "fixed"
pue = 1.0
{extra}
"#
    )
}

/// The two levels of [`two_levels`], MW: (job off, job on).
pub fn levels(sc: &Scenario) -> (f64, f64) {
    let g = &sc.fleet.groups;
    let low = (g[0].peak_w() + g[1].power_w(0.0)) / 1e6;
    let high = (g[0].peak_w() + g[1].peak_w()) / 1e6;
    assert!(high - low > 0.01, "the levels must be distinguishable");
    (low, high)
}

/// An EPW weather file: its eight header lines (a LOCATION at `place`: latitude, longitude and
/// time zone in hours) and a row per hour of a 365-day year whose dry-bulb and dew-point cells
/// `temps` writes for (month 0-11, hour 1-24).
pub fn epw_file(place: &str, mut temps: impl FnMut(usize, u32) -> String) -> String {
    let mut epw = format!(
        "LOCATION,Testville,XX,XXX,TEST,000000,{place},100.0\n\
         DESIGN CONDITIONS,0\nTYPICAL/EXTREME PERIODS,0\nGROUND TEMPERATURES,0\n\
         HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0\nCOMMENTS 1,test\nCOMMENTS 2,test\n\
         DATA PERIODS,1,1,Data,Sunday,1/1,12/31\n"
    );
    let days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    for (m, &nd) in days.iter().enumerate() {
        for d in 1..=nd {
            for h in 1..=24 {
                epw.push_str(&format!(
                    "2001,{},{d},{h},60,?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9,{},60,101325\n",
                    m + 1,
                    temps(m, h)
                ));
            }
        }
    }
    epw
}

/// A year from 2025-01-01 at hourly steps on `clock` (a `time_zone` or `utc_offset` line), two
/// trials: a twin on 10 DGX H100 at full load from 14:00 to 16:00 and at `off_shift` of it
/// otherwise (`twin_extra` ends its table), at fixed PUE 1.2.
pub fn afternoon_year(clock: &str, off_shift: &str, twin_extra: &str) -> String {
    format!(
        r#"
start = "2025-01-01"
{clock}
horizon_hours = 8760
step_s = 3600
trials = 2
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 10
[[twin]]
name = "afternoon"
pool = "tw"
base_utilisation = 1.0
shift_hours = [14, 16]
off_shift_factor = {off_shift}
{twin_extra}
[facility]
kind = "fixed"
pue = 1.2
"#
    )
}

/// Chat with random demand on 20 DGX H100 and a jittery twin on 5 more, at fixed PUE 1.2, two
/// days at 5-minute steps from 1 March, 4 trials: a load that changes from step to step.
pub const NOISY: &str = r#"
start = "2025-03-01"
horizon_hours = 48
step_s = 300
trials = 4
[[site.group]]
name = "inf"
server = "DGX-H100"
count = 20
[[site.group]]
name = "tw"
server = "DGX-H100"
count = 5
[[consumer]]
name = "chat"
preset = "chat"
pool = "inf"
requests_per_day = 2.0e5
[[twin]]
name = "t"
pool = "tw"
base_utilisation = 0.7
jitter_sd = 0.1
jitter_tau_h = 2.0
[facility]
kind = "fixed"
pue = 1.2
"#;

/// 12 DGX H100 (96 accelerators) all held from `start_days` by one job stated at 1,100 W per
/// accelerator (server share) at fixed PUE 1.25 and one-minute steps, from 1 January for
/// `hours`: 1.25 x 96 x 1,100 W = 132 kW while it runs.
pub fn one_job(hours: u32, servers: u32, start_days: &str) -> String {
    format!(
        r#"
name = "job"
start = "2025-01-01"
horizon_hours = {hours}
step_s = 60
trials = 1
[[site.group]]
name = "train"
server = "DGX-H100"
count = {servers}
[[training]]
name = "run"
pool = "train"
accelerators = {acc}
watts_per_accelerator = 1100.0
duration_days = 3
start_days = [{start_days}]
[facility]
kind = "fixed"
pue = 1.25
"#,
        acc = servers * 8
    )
}
