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
/// default trials, 736 MB of traces: aggregate 1.8 s streamed against 1.1 s in memory, in a run
/// of ~34 s) and bounds the peak (74 MB against 786 MB), so only a study whose traces are small
/// keeps them: up to ~350 trial-years of the default study.
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
    /// Hours a block of [`HourlySource::rows`] should span: the whole horizon in memory (nothing
    /// is copied), [`BLOCK_HOURS`] from disk.
    pub fn block_hours(&self, hours: usize) -> usize {
        match self {
            HourlySource::Memory => hours.max(1),
            HourlySource::Disk { .. } => BLOCK_HOURS,
        }
    }

    /// Every trial's figures for hours `h0..h1`: borrowed in memory, read from the records (in
    /// parallel, kept in trial order) from disk.
    pub fn rows<'a>(
        &self,
        results: &'a [TrialResult],
        nm: usize,
        h0: usize,
        h1: usize,
    ) -> Result<Rows<'a>> {
        let data = match self {
            HourlySource::Memory => RowData::Memory(results),
            HourlySource::Disk { paths } => RowData::Disk(
                paths
                    .par_iter()
                    .map(|p| Ok(f32_values(&read_span(p, h0 * nm * 4, h1 * nm * 4)?)))
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        Ok(Rows { nm, h0, data })
    }

    /// Every trial's figures for hours `h0..h1` (`nm` metrics an hour), in `results` order.
    pub fn block(
        &self,
        results: &[TrialResult],
        nm: usize,
        h0: usize,
        h1: usize,
    ) -> Result<Vec<Vec<f32>>> {
        match self {
            HourlySource::Memory => Ok(results
                .iter()
                .map(|r| r.hourly[h0 * nm..h1 * nm].to_vec())
                .collect()),
            HourlySource::Disk { paths } => paths
                .iter()
                .map(|p| Ok(f32_values(&read_span(p, h0 * nm * 4, h1 * nm * 4)?)))
                .collect(),
        }
    }

    /// Every trial's interval means for intervals `i0..i1`, in `results` order: facility and IT
    /// MW of each interval in turn. `values` is the records' count of hourly figures.
    pub fn intervals(
        &self,
        results: &[TrialResult],
        values: usize,
        i0: usize,
        i1: usize,
    ) -> Result<Vec<Vec<f64>>> {
        match self {
            HourlySource::Memory => Ok(results
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
                    .map(|p| Ok(f64_values(&read_span(p, at(i0), at(i1))?)))
                    .collect()
            }
        }
    }

    /// One metric of the `index`-th trial over all `hours`.
    pub fn column(
        &self,
        results: &[TrialResult],
        index: usize,
        nm: usize,
        hours: usize,
        m: usize,
    ) -> Result<Vec<f32>> {
        let all = match self {
            HourlySource::Memory => {
                return Ok((0..hours)
                    .map(|h| results[index].hourly[h * nm + m])
                    .collect());
            }
            HourlySource::Disk { paths } => {
                f32_values(&read_span(&paths[index], 0, hours * nm * 4)?)
            }
        };
        Ok((0..hours).map(|h| all[h * nm + m]).collect())
    }
}

/// Bytes `a..b` of a record's part after its summary line.
fn read_span(path: &Path, a: usize, b: usize) -> Result<Vec<u8>> {
    let err = |e: std::io::Error| Error::Read {
        file: path.display().to_string(),
        source: e,
    };
    let mut f = File::open(path).map_err(err)?;
    // The hourly part starts after the summary line.
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let start = loop {
        let n = f.read(&mut buf).map_err(err)?;
        if n == 0 {
            return Err(Error::Other(format!(
                "{}: truncated record",
                path.display()
            )));
        }
        if let Some(p) = buf[..n].iter().position(|&c| c == b'\n') {
            break head.len() + p + 1;
        }
        head.extend_from_slice(&buf[..n]);
    };
    f.seek(SeekFrom::Start((start + a) as u64)).map_err(err)?;
    let mut bytes = vec![0u8; b - a];
    f.read_exact(&mut bytes).map_err(err)?;
    Ok(bytes)
}
