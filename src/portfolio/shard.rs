//! Portfolio studies across nodes: `dcload portfolio FILE --shard K/N` simulates a shard of
//! the archetypes' trials and writes each as a record; `dcload merge` on the shards' folders
//! reads them back and composes the portfolio, writing the same bytes as one run.
//!
//! The archetypes' trials are the costly part (site simulations); drawing and composing the
//! portfolio from them takes seconds, so a merge does it on one node. The trials are numbered
//! across archetypes in file order (archetype a's trial k is number K_0 + ... + K_{a-1} + k)
//! and shard K of N simulates those whose number is K mod N. A record is one trial's hourly
//! facility MW as little-endian f32, exactly what a single run keeps, so the merged profiles
//! (and every output) are bit-identical. A manifest names the study: the portfolio file's text,
//! the options that change it, the model folder, and a hash of every file it reads (archetype
//! run files, queue, system load): the merge refuses shards of another study, or inputs changed
//! since.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result, Source};
use crate::model::library::Library;
use crate::portfolio::archetype::{self, Prepared};
use crate::portfolio::{Overrides, Portfolio};

/// The manifest's file name (it marks a folder as a portfolio shard).
pub const MANIFEST: &str = "portfolio_manifest.json";

/// Most bytes of a portfolio file or input list kept in a manifest.
const MAX_MANIFEST_BYTES: u64 = 64 << 20;

/// What a folder of archetype-trial records belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub dcload_version: String,
    pub file: String,
    pub text: String,
    /// Folder that paths in the portfolio file are relative to, and the output-name stem.
    pub dir: PathBuf,
    pub stem: String,
    pub models: Option<PathBuf>,
    pub overrides: Overrides,
    pub shards: u32,
    /// Every file read besides the portfolio file, with the FNV-1a hash of its bytes.
    pub inputs: Vec<(PathBuf, u64)>,
    /// Each archetype's name, trials (K) and hours.
    pub archetypes: Vec<(String, u32, usize)>,
}

/// A shard's study: the portfolio (options applied) and how to run it.
pub struct Job<'a> {
    pub p: &'a Portfolio,
    pub lib: &'a Library,
    pub models: Option<PathBuf>,
    pub overrides: Overrides,
    pub threads: Option<usize>,
    pub quiet: bool,
}

/// Whether `dir` holds a portfolio shard (for `dcload merge`).
pub fn is_shard(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

fn record_path(dir: &Path, a: usize, k: u32) -> PathBuf {
    dir.join(format!("archetype-{a:03}-trial-{k:07}.f32"))
}

/// FNV-1a hashes of the portfolio's input files.
fn input_hashes(p: &Portfolio) -> Result<Vec<(PathBuf, u64)>> {
    p.input_files()
        .into_iter()
        .map(|f| {
            let bytes = crate::input::limits::read_bytes(&f, 4 << 30)?;
            Ok((f, fnv(&bytes)))
        })
        .collect()
}

fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn manifest(job: &Job, prepared: &[Prepared], shards: u32) -> Result<Manifest> {
    let p = job.p;
    let dir = std::path::absolute(&p.dir).unwrap_or_else(|_| p.dir.clone());
    Ok(Manifest {
        dcload_version: env!("CARGO_PKG_VERSION").into(),
        file: p.src.name.clone(),
        text: p.src.text.clone(),
        dir,
        stem: p.name.clone(),
        models: job.models.clone(),
        overrides: job.overrides.clone(),
        shards,
        inputs: input_hashes(p)?,
        archetypes: p
            .archetypes
            .iter()
            .zip(prepared)
            .map(|(a, x)| (a.name.clone(), x.sc.trials, x.sc.horizon_hours as usize))
            .collect(),
    })
}

/// The trials of archetype `a` that shard `k` of `n` simulates (`first` is the number of the
/// archetype's trial 0 across archetypes).
fn shard_trials(first: u64, trials: u32, k: u32, n: u32) -> Vec<u32> {
    (0..trials)
        .filter(|t| (first + u64::from(*t)) % u64::from(n) == u64::from(k))
        .collect()
}

/// `dcload portfolio FILE --shard K/N`: simulates the shard's archetype trials into `out`.
pub fn run(job: &Job, out: &Path, k: u32, n: u32) -> Result<()> {
    let p = job.p;
    super::check_size(p)?;
    let prepared = archetype::prepare(p, job.lib, job.quiet)?;
    let total: u64 = prepared.iter().map(|x| u64::from(x.sc.trials)).sum();
    if u64::from(k) >= total {
        return Err(Error::Option {
            option: "--shard".into(),
            msg: format!(
                "shard {k}/{n} has no archetype trials: the archetypes have {total} trials in all, so use at most {total} shards"
            ),
        });
    }
    std::fs::create_dir_all(out).map_err(|e| Error::Write {
        path: out.to_path_buf(),
        source: e,
    })?;
    let m = manifest(job, &prepared, n)?;
    let text =
        serde_json::to_string_pretty(&m).map_err(|e| Error::Other(format!("{MANIFEST}: {e}")))?;
    crate::base::io::write_atomic(&out.join(MANIFEST), text.as_bytes())?;
    let mut first = 0u64;
    let mut written = 0usize;
    for (a, x) in prepared.iter().enumerate() {
        let todo = shard_trials(first, x.sc.trials, k, n);
        first += u64::from(x.sc.trials);
        let trials = archetype::run_trials(&x.sc, &todo, job.threads)?;
        for (t, hours) in todo.iter().zip(trials) {
            let bytes: Vec<u8> = hours.iter().flat_map(|v| v.to_le_bytes()).collect();
            crate::base::io::write_atomic(&record_path(out, a, *t), &bytes)?;
            written += 1;
        }
    }
    if !job.quiet {
        eprintln!(
            "dcload: portfolio shard {k}/{n}: {written} archetype trials in {} (run `dcload merge` on all shards to compose the portfolio)",
            out.display()
        );
    }
    Ok(())
}

/// `dcload merge` on portfolio shards: the archetypes' trials read back from every shard, the
/// portfolio drawn and composed into `out`.
pub fn merge(dirs: &[PathBuf], out: &Path, percentiles: Option<&str>, quiet: bool) -> Result<()> {
    let started = std::time::Instant::now();
    let manifests: Vec<Manifest> = dirs
        .iter()
        .map(|d| read_manifest(d))
        .collect::<Result<_>>()?;
    let m = &manifests[0];
    if let Some((d, _)) = dirs.iter().zip(&manifests).find(|(_, x)| *x != m) {
        return Err(Error::Other(format!(
            "{} holds shards of a different portfolio study than {}",
            d.display(),
            dirs[0].display()
        )));
    }
    let src = Source::new(m.file.clone(), m.text.clone());
    let mut p = Portfolio::from_source(&src, &m.stem, &m.dir)?;
    let mut o = m.overrides.clone();
    if let Some(pc) = percentiles {
        o.percentiles = Some(pc.to_string());
    }
    o.apply(&mut p)?;
    let now = input_hashes(&p)?;
    if now.len() != m.inputs.len() {
        return Err(Error::Other(
            "the portfolio reads other files than when the shards ran: rerun the shards".into(),
        ));
    }
    for ((f, h), (_, h2)) in m.inputs.iter().zip(&now) {
        if h != h2 {
            return Err(Error::Other(format!(
                "{} changed since the shards ran: rerun the shards",
                f.display()
            )));
        }
    }
    let lib = Library::load(m.models.as_deref())?;
    let system = super::system::System::load(&p)?;
    let prepared = archetype::prepare(&p, &lib, true)?;
    let mut profiles = Vec::new();
    for (a, (spec, x)) in p.archetypes.iter().zip(&prepared).enumerate() {
        let hours = x.sc.horizon_hours as usize;
        let trials = (0..x.sc.trials)
            .map(|t| read_record(dirs, a, t, hours, &spec.name))
            .collect::<Result<Vec<_>>>()?;
        profiles.push(archetype::profiles(spec, x, trials)?);
    }
    let done = super::compose_all(p, profiles, system.as_ref(), out, None, quiet)?;
    if !quiet {
        eprintln!(
            "dcload: merged the archetype trials of {} portfolio shards",
            dirs.len()
        );
    }
    super::finished(&done, started, quiet);
    Ok(())
}

fn read_manifest(dir: &Path) -> Result<Manifest> {
    let path = dir.join(MANIFEST);
    let text = crate::input::limits::read_text(&path, MAX_MANIFEST_BYTES)?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Other(format!(
            "{}: not a dcload portfolio manifest: {e}",
            path.display()
        ))
    })
}

/// Archetype `a`'s trial `t` from whichever shard holds it.
fn read_record(dirs: &[PathBuf], a: usize, t: u32, hours: usize, name: &str) -> Result<Vec<f32>> {
    let Some(path) = dirs
        .iter()
        .map(|d| record_path(d, a, t))
        .find(|f| f.is_file())
    else {
        return Err(Error::Other(format!(
            "archetype {name}'s trial {t} is in none of the shard folders: merge every shard"
        )));
    };
    let bytes = crate::input::limits::read_bytes(&path, (hours * 4) as u64)?;
    if bytes.len() != hours * 4 {
        return Err(Error::Other(format!(
            "{}: expected {hours} hourly values ({} bytes), found {} bytes",
            path.display(),
            hours * 4,
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}
