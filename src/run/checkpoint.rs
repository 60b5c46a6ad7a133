//! Per-trial records on disk: the unit of checkpoints (`--resume`) and of shards (`--shard`,
//! `dcload merge`).
//!
//! A record is one finished trial: its summary as one JSON line, then its hourly figures as
//! little-endian f32, then its interval means (`[report] interval_minutes`) as little-endian f64
//! pairs (facility MW, IT MW), interval by interval. The intervals are binary, outside the
//! summary, so that a large study reads them back a block at a time ([`crate::run::traces`])
//! instead of keeping every trial's (8.4 MB a year at 1-minute intervals) in memory. Each is written to a temporary name and renamed, so a run killed at any
//! moment (SIGKILL included) leaves only whole records (records are not synced one by one; after
//! a power loss, a torn record is dropped on resume and its trial run again). Because outputs are functions of the
//! trials in trial order, a resumed or merged study writes the same CSV bytes as one that ran
//! straight through. A manifest names the study (run-file text, seed, trials, library folder) so
//! records of a different study are never mixed in.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::base::error::{Error, Result};
use crate::base::io::{write_atomic, write_parts_unsynced};
use crate::input::limits::{read_bytes, read_text};
use crate::sim::{TrialResult, TrialSummary};

/// What a folder of records belongs to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub dcload_version: String,
    pub run_file: String,
    pub run_text: String,
    /// Folder that relative paths in the run file (traces, EPW files) are read from.
    pub base_dir: PathBuf,
    pub models: Option<PathBuf>,
    pub stem: String,
    pub seed: u64,
    pub trials: u32,
    pub hours: u64,
    pub metrics: usize,
    /// `--interval-minutes` of the run (its records hold those intervals): `--resume` and
    /// `dcload merge` keep it.
    #[serde(default)]
    pub interval_minutes: Option<i64>,
    /// The engine that stepped the trials (absent in checkpoints of releases before the
    /// two-rate engine, which had only the reference): `--resume` keeps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<crate::scenario::Engine>,
}

const MANIFEST: &str = "manifest.json";

pub fn record_path(dir: &Path, trial: u32) -> PathBuf {
    dir.join(format!("trial-{trial:07}.rec"))
}

pub fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let text =
        serde_json::to_string_pretty(m).map_err(|e| Error::Other(format!("manifest: {e}")))?;
    write_atomic(&dir.join(MANIFEST), text.as_bytes())
}

pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    let p = dir.join(MANIFEST);
    // The run file's text (at most MAX_TOML_BYTES) JSON-escaped, and a few fields.
    let text = read_text(&p, 4 * crate::input::limits::MAX_TOML_BYTES)?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Other(format!("{}: not a dcload manifest: {e}", p.display())))
}

/// Writes `r`'s record. Its interval series are set aside while the summary line is written
/// (they follow it in binary) and put back, so a study that keeps its traces in memory keeps them.
/// The hourly figures go to the file from where they lie ([`le_bytes`]), not through a buffer.
pub fn write_record(dir: &Path, r: &mut TrialResult) -> Result<()> {
    let s = &mut r.summary;
    let fac = std::mem::take(&mut s.interval_facility_mw);
    let it = std::mem::take(&mut s.interval_it_mw);
    let line = serde_json::to_vec(&*s);
    s.interval_facility_mw = fac;
    s.interval_it_mw = it;
    let mut line = line.map_err(|e| Error::Other(format!("record: {e}")))?;
    line.push(b'\n');
    let mut intervals = Vec::with_capacity(s.interval_facility_mw.len() * 16);
    for (f, i) in s.interval_facility_mw.iter().zip(&s.interval_it_mw) {
        intervals.extend_from_slice(&f.to_le_bytes());
        intervals.extend_from_slice(&i.to_le_bytes());
    }
    let hourly = le_bytes(&r.hourly);
    write_parts_unsynced(&record_path(dir, s.trial), &[&line, &hourly, &intervals])
}

/// The figures as a record holds them, each its four little-endian bytes: on a little-endian
/// machine the figures' own memory, borrowed; elsewhere a copy.
fn le_bytes(v: &[f32]) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(target_endian = "little")]
    {
        // SAFETY: an f32 is four bytes without padding, each a valid u8; the slice covers
        // exactly `v`'s memory (u8 needs no alignment) and borrows it for `v`'s lifetime.
        let bytes = unsafe {
            std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v))
        };
        std::borrow::Cow::Borrowed(bytes)
    }
    #[cfg(not(target_endian = "little"))]
    {
        std::borrow::Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

/// The longest summary line a record may have (its JSON: training jobs and demand-response
/// outcomes are lists; the interval series are not in it).
const MAX_SUMMARY_LINE_BYTES: u64 = 256 << 20;

/// What a study's records hold after the summary line: `values` hourly figures (f32) and
/// `intervals` interval means (two f64 each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub values: usize,
    pub intervals: usize,
}

impl Shape {
    /// The shape of `sc`'s records.
    pub fn of(sc: &crate::scenario::Scenario) -> Shape {
        Shape {
            values: sc.horizon_hours as usize * sc.metrics().len(),
            intervals: sc.intervals.map_or(0, |p| p.count()),
        }
    }

    /// Bytes after the summary line.
    pub fn body_bytes(self) -> usize {
        self.values * 4 + self.intervals * 16
    }
}

/// Reads a record of this `shape`.
pub fn read_record(path: &Path, shape: Shape) -> Result<TrialResult> {
    let bad = |msg: String| Error::Other(format!("{}: {msg}", path.display()));
    // Checked as data files are: a FIFO or a link to a device is refused before it is read,
    // and no record is read past the size its figures and a summary line can have.
    let bytes = read_bytes(path, shape.body_bytes() as u64 + MAX_SUMMARY_LINE_BYTES)?;
    let nl = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| bad("no summary line".into()))?;
    let mut summary: TrialSummary =
        serde_json::from_slice(&bytes[..nl]).map_err(|e| bad(format!("bad summary: {e}")))?;
    let body = &bytes[nl + 1..];
    if body.len() != shape.body_bytes() {
        return Err(bad(format!(
            "expected {} hourly values and {} intervals ({} bytes), found {} bytes: a record \
             of another study, or torn",
            shape.values,
            shape.intervals,
            shape.body_bytes(),
            body.len()
        )));
    }
    let (hours, intervals) = body.split_at(shape.values * 4);
    let hourly = f32_values(hours);
    let means = f64_values(intervals);
    summary.interval_facility_mw = means.iter().step_by(2).copied().collect();
    summary.interval_it_mw = means.iter().skip(1).step_by(2).copied().collect();
    Ok(TrialResult {
        hourly,
        summary,
        cpu_ms: None,
    })
}

/// Little-endian f32s.
pub fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Little-endian f64s.
pub fn f64_values(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect()
}

/// The trials whose records exist in `dir`.
pub fn existing(dir: &Path) -> Vec<u32> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<u32> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.strip_prefix("trial-")?
                .strip_suffix(".rec")?
                .parse()
                .ok()
        })
        .collect();
    v.sort_unstable();
    v
}

/// `K/N` or `auto` (Slurm array or Kubernetes indexed job) to (K, N).
pub fn parse_shard(s: &str) -> std::result::Result<(u32, u32), String> {
    let env = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.trim().parse::<u32>().ok())
    };
    let (k, n) = if s == "auto" {
        match (env("SLURM_ARRAY_TASK_ID"), env("SLURM_ARRAY_TASK_COUNT")) {
            (Some(k), Some(n)) => {
                // Slurm arrays may start at SLURM_ARRAY_TASK_MIN (often 0 or 1).
                let min = env("SLURM_ARRAY_TASK_MIN").unwrap_or(0);
                (k - min.min(k), n)
            }
            _ => match (env("JOB_COMPLETION_INDEX"), env("DCLOAD_SHARD_COUNT")) {
                (Some(k), Some(n)) => (k, n),
                _ => {
                    return Err("--shard auto needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or JOB_COMPLETION_INDEX and DCLOAD_SHARD_COUNT".into());
                }
            },
        }
    } else {
        let (a, b) = s
            .split_once('/')
            .ok_or_else(|| format!("expected K/N (e.g. 0/4) or auto, found {s:?}"))?;
        let k = a
            .trim()
            .parse()
            .map_err(|_| format!("expected K/N with whole numbers, found {s:?}"))?;
        let n = b
            .trim()
            .parse()
            .map_err(|_| format!("expected K/N with whole numbers, found {s:?}"))?;
        (k, n)
    };
    if n == 0 || k >= n {
        return Err(format!("shard {k}/{n}: expected 0 <= K < N"));
    }
    Ok((k, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record written from the figures' own memory reads back to the same bits: the summary,
    /// each hourly figure (a negative zero, a subnormal and the largest finite among them) and
    /// the interval pairs in order; and the borrowed bytes are each figure's `to_le_bytes`.
    #[test]
    fn a_record_reads_back_bit_for_bit() {
        let dir = std::env::temp_dir().join(format!("dcload-rec-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let hourly = vec![
            1.5f32,
            -0.0,
            f32::MIN_POSITIVE / 4.0,
            f32::MAX,
            123.456,
            -7.25,
        ];
        let summary = TrialSummary {
            trial: 7,
            interval_facility_mw: vec![10.5, 11.25],
            interval_it_mw: vec![8.0, 9.125],
            ..TrialSummary::default()
        };
        let mut r = TrialResult {
            hourly: hourly.clone(),
            summary: summary.clone(),
            cpu_ms: None,
        };
        write_record(&dir, &mut r).unwrap();
        // The intervals were set aside for the summary line and put back.
        assert_eq!(r.summary, summary);
        let shape = Shape {
            values: hourly.len(),
            intervals: 2,
        };
        let back = read_record(&record_path(&dir, 7), shape).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.hourly), bits(&hourly));
        assert_eq!(back.summary, summary);
        let want: Vec<u8> = hourly.iter().flat_map(|x| x.to_le_bytes()).collect();
        assert_eq!(&*le_bytes(&hourly), &want[..]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
