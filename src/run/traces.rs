//! Where the trials' hourly traces live while the outputs are computed.
//!
//! A small study keeps them in memory. A large one (more than [`memory_limit_bytes`] of traces)
//! keeps only the trial summaries in memory and reads the hourly figures back from the per-trial
//! records on disk, a block of hours at a time: memory then stays bounded (about
//! trials x 168 hours x metrics x 4 bytes for a block, plus one f32 facility column per trial for
//! the load duration curve) whatever the number of trials, and the quantiles stay exact, so the
//! CSVs are the same bytes either way.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::base::error::{Error, Result};
use crate::sim::TrialResult;

/// Hours read per block from disk.
pub const BLOCK_HOURS: usize = 168;

/// Above this many bytes of hourly traces (768 MiB, so a study's peak memory stays under 1 GiB
/// either way) a study streams them from disk; override with `DCLOAD_TRACE_MEMORY_MB`.
pub fn memory_limit_bytes() -> f64 {
    std::env::var("DCLOAD_TRACE_MEMORY_MB")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(768.0)
        * 1024.0
        * 1024.0
}

#[derive(Clone, Debug)]
pub enum HourlySource {
    /// `TrialResult::hourly` holds every trial's trace.
    Memory,
    /// Traces are in per-trial record files, one path per trial in `results` order.
    Disk { paths: Vec<PathBuf> },
}

impl HourlySource {
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
                .map(|p| read_span(p, h0 * nm, h1 * nm))
                .collect(),
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
            HourlySource::Disk { paths } => read_span(&paths[index], 0, hours * nm)?,
        };
        Ok((0..hours).map(|h| all[h * nm + m]).collect())
    }
}

/// Values `a..b` of a record's hourly part.
fn read_span(path: &Path, a: usize, b: usize) -> Result<Vec<f32>> {
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
    f.seek(SeekFrom::Start((start + a * 4) as u64))
        .map_err(err)?;
    let mut bytes = vec![0u8; (b - a) * 4];
    f.read_exact(&mut bytes).map_err(err)?;
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect())
}
