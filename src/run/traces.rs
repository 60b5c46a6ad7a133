//! Where the trials' hourly traces live while the outputs are computed.
//!
//! A small study keeps them in memory. A large one (more than [`memory_limit_bytes`] of traces)
//! keeps only the trial summaries in memory and reads the hourly figures back from the per-trial
//! records on disk, a block of hours at a time: memory then stays bounded (about
//! trials x 168 hours x metrics x 4 bytes for a block, plus one f32 facility column per trial for
//! the load duration curve) whatever the number of trials, and the quantiles stay exact, so the
//! CSVs are the same bytes either way. Sub-hour interval means (`intervals.csv`) are kept and read
//! back the same way, [`interval_block_len`] intervals at a time.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::base::error::{Error, Result};
use crate::run::checkpoint::{f32_values, f64_values};
use crate::sim::TrialResult;

/// Hours read per block from disk.
pub const BLOCK_HOURS: usize = 168;

/// Above this many bytes of hourly traces and interval means (256 MiB) a study streams them from
/// disk; override with `DCLOAD_TRACE_MEMORY_MB`. Streaming is cheap next to the trials (1,000
/// default trials, 736 MB of traces, 7 December 2026: aggregate 1.8 s streamed against 1.2 s in
/// memory, in a run of ~23 s) and bounds the peak (74 MB against 781 MB), so only a study whose
/// traces are small keeps them: up to ~350 trial-years of the default study.
pub fn memory_limit_bytes() -> f64 {
    std::env::var("DCLOAD_TRACE_MEMORY_MB")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(256.0)
        * 1024.0
        * 1024.0
}

/// A finished trial's traces dropped from memory (they are read back from its record).
pub fn drop_traces(r: &mut TrialResult) {
    r.hourly = Vec::new();
    r.summary.interval_facility_mw = Vec::new();
    r.summary.interval_it_mw = Vec::new();
}

/// Intervals read per block for `trials` trials: about 64 MiB of means in memory at a time.
pub fn interval_block_len(trials: usize) -> usize {
    ((64usize << 20) / (trials.max(1) * 16)).max(1)
}

#[derive(Clone, Debug)]
pub enum HourlySource {
    /// `TrialResult::hourly` holds every trial's trace.
    Memory,
    /// Traces are in per-trial record files, one path per trial in `results` order.
    Disk { paths: Vec<PathBuf> },
}

/// Every trial's hourly figures over a block of hours: borrowed from memory, or read from the
/// records. Hours are given from the block's first.
pub struct Rows<'a> {
    nm: usize,
    h0: usize,
    data: RowData<'a>,
}

enum RowData<'a> {
    Memory(&'a [TrialResult]),
    Disk(Vec<Vec<f32>>),
}

impl Rows<'_> {
    /// Figures an hour.
    pub fn metrics(&self) -> usize {
        self.nm
    }

    pub fn trials(&self) -> usize {
        match &self.data {
            RowData::Memory(r) => r.len(),
            RowData::Disk(v) => v.len(),
        }
    }

    /// Trial `t`'s figures of hours `a..b` (absolute hours inside the block), `nm` an hour.
    pub fn hours(&self, t: usize, a: usize, b: usize) -> &[f32] {
        let nm = self.nm;
        match &self.data {
            RowData::Memory(r) => &r[t].hourly[a * nm..b * nm],
            RowData::Disk(v) => &v[t][(a - self.h0) * nm..(b - self.h0) * nm],
        }
    }
}

impl HourlySource {
    /// The traces of `results` opened for reading: from disk, each record's summary line is
    /// passed over once here (in parallel), not again at every block read after it (at 1,000
    /// default trials the 15 KB lines, re-read for each of hourly.csv's 53 blocks, were more
    /// bytes than the figures).
    pub fn open<'a>(&'a self, results: &'a [TrialResult]) -> Result<Reader<'a>> {
        let starts = match self {
            HourlySource::Memory => Vec::new(),
            HourlySource::Disk { paths } => paths
                .par_iter()
                .map(|p| body_start(p))
                .collect::<Result<Vec<_>>>()?,
        };
        Ok(Reader {
            src: self,
            results,
            starts,
        })
    }
}

/// Every trial's traces, read block by block: from `results` in memory, or from the records
/// (whose figures start at `starts`).
pub struct Reader<'a> {
    src: &'a HourlySource,
    results: &'a [TrialResult],
    starts: Vec<u64>,
}

impl<'a> Reader<'a> {
    /// The trials' summaries (their traces may have been dropped), in trial order.
    pub fn results(&self) -> &'a [TrialResult] {
        self.results
    }

    /// Whether the traces are the results' own (else they were dropped and are read back).
    pub fn in_memory(&self) -> bool {
        matches!(self.src, HourlySource::Memory)
    }

    /// Hours a block of [`Reader::rows`] should span: the whole horizon in memory (nothing is
    /// copied), [`BLOCK_HOURS`] from disk.
    pub fn block_hours(&self, hours: usize) -> usize {
        match self.src {
            HourlySource::Memory => hours.max(1),
            HourlySource::Disk { .. } => BLOCK_HOURS,
        }
    }

    /// Every trial's figures for hours `h0..h1`: borrowed in memory, read from the records (in
    /// parallel, kept in trial order) from disk.
    pub fn rows(&self, nm: usize, h0: usize, h1: usize) -> Result<Rows<'a>> {
        let data = match self.src {
            HourlySource::Memory => RowData::Memory(self.results),
            HourlySource::Disk { paths } => RowData::Disk(
                paths
                    .par_iter()
                    .zip(&self.starts)
                    .map(|(p, &at)| Ok(f32_values(&read_span(p, at, h0 * nm * 4, h1 * nm * 4)?)))
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(Rows { nm, h0, data })
    }

    /// Every trial's figures for hours `h0..h1` (`nm` metrics an hour), in trial order.
    pub fn block(&self, nm: usize, h0: usize, h1: usize) -> Result<Vec<Vec<f32>>> {
        match self.src {
            HourlySource::Memory => Ok(self
                .results
                .iter()
                .map(|r| r.hourly[h0 * nm..h1 * nm].to_vec())
                .collect()),
            HourlySource::Disk { paths } => paths
                .iter()
                .zip(&self.starts)
                .map(|(p, &at)| Ok(f32_values(&read_span(p, at, h0 * nm * 4, h1 * nm * 4)?)))
                .collect(),
        }
    }

    /// Every trial's interval means for intervals `i0..i1`, in trial order: facility and IT
    /// MW of each interval in turn. `values` is the records' count of hourly figures.
    pub fn intervals(&self, values: usize, i0: usize, i1: usize) -> Result<Vec<Vec<f64>>> {
        match self.src {
            HourlySource::Memory => Ok(self
                .results
                .iter()
                .map(|r| {
                    let s = &r.summary;
                    let pairs = s.interval_facility_mw[i0..i1].iter();
                    pairs
                        .zip(&s.interval_it_mw[i0..i1])
                        .flat_map(|(&f, &i)| [f, i])
                        .collect()
                })
                .collect()),
            HourlySource::Disk { paths } => {
                let at = |i: usize| values * 4 + i * 16;
                paths
                    .iter()
                    .zip(&self.starts)
                    .map(|(p, &s)| Ok(f64_values(&read_span(p, s, at(i0), at(i1))?)))
                    .collect()
            }
        }
    }
}

/// Where a record's figures start: after its summary line.
fn body_start(path: &Path) -> Result<u64> {
    let mut f = File::open(path).map_err(|e| read_error(path, e))?;
    let mut head = 0;
    let mut buf = [0u8; 16384];
    loop {
        let n = f.read(&mut buf).map_err(|e| read_error(path, e))?;
        if n == 0 {
            return Err(Error::Other(format!(
                "{}: truncated record",
                path.display()
            )));
        }
        if let Some(p) = buf[..n].iter().position(|&c| c == b'\n') {
            return Ok((head + p + 1) as u64);
        }
        head += n;
    }
}

fn read_error(path: &Path, e: std::io::Error) -> Error {
    Error::Read {
        file: path.display().to_string(),
        source: e,
    }
}

/// Bytes `a..b` of a record's figures, which start at byte `start` (see [`body_start`]).
fn read_span(path: &Path, start: u64, a: usize, b: usize) -> Result<Vec<u8>> {
    let err = |e: std::io::Error| read_error(path, e);
    let mut f = File::open(path).map_err(err)?;
    f.seek(SeekFrom::Start(start + a as u64)).map_err(err)?;
    let mut bytes = vec![0u8; b - a];
    f.read_exact(&mut bytes).map_err(err)?;
    Ok(bytes)
}
