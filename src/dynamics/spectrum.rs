//! Power spectral density of a waveform (rustfft): the mean is removed, a Hann window applied,
//! and the one-sided periodogram scaled to MW^2/Hz, so summing `psd x df` over the bins gives
//! the variance of the (windowed) signal. [`psd`]: one periodogram of the whole record
//! (resolution 1 / its length, for spectrum.csv); [`welch`]: the average of the periodograms of
//! overlapping segments of a stated length (for the checks: an amplitude that does not depend
//! on how long the record is).

use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

#[derive(Clone, Debug, Default)]
pub struct Spectrum {
    /// Bin frequencies, Hz: k x df for k = 0..=n/2.
    pub freq_hz: Vec<f64>,
    /// One-sided PSD, MW^2/Hz (bin 0 is the removed mean: 0).
    pub psd: Vec<f64>,
    pub df: f64,
}

pub fn psd(x: &[f64], dt: f64) -> Spectrum {
    let n = x.len();
    if n < 2 {
        return Spectrum::default();
    }
    let m = x.iter().sum::<f64>() / n as f64;
    // The Hann window computed where it is used, not held (a day at 10 ms is 8.64 M steps).
    let hann = |i: usize| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * i as f64 / n as f64).cos();
    let s2: f64 = (0..n).map(|i| hann(i) * hann(i)).sum();
    let mut buf: Vec<Complex<f64>> = x
        .iter()
        .enumerate()
        .map(|(i, v)| Complex::new((v - m) * hann(i), 0.0))
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let fs = 1.0 / dt;
    let half = n / 2;
    let mut psd = Vec::with_capacity(half + 1);
    for (k, c) in buf.iter().take(half + 1).enumerate() {
        let mut p = c.norm_sqr() / (fs * s2);
        if k != 0 && !(n.is_multiple_of(2) && k == half) {
            p *= 2.0;
        }
        psd.push(if k == 0 { 0.0 } else { p });
    }
    let df = fs / n as f64;
    Spectrum {
        freq_hz: (0..=half).map(|k| k as f64 * df).collect(),
        psd,
        df,
    }
}

/// Welch's estimate: Hann-windowed segments of `segment_s` (each its own mean removed),
/// starting every `segment_s x (1 - overlap)`, their one-sided periodograms averaged.
/// Resolution 1 / `segment_s`; a record shorter than one segment gives one periodogram of it.
pub fn welch(x: &[f64], dt: f64, segment_s: f64, overlap: f64) -> Spectrum {
    let m = ((segment_s / dt).round() as usize).clamp(2, x.len().max(2));
    if x.len() < m {
        return psd(x, dt);
    }
    let hop = ((m as f64 * (1.0 - overlap)).round() as usize).max(1);
    let mut acc: Option<Spectrum> = None;
    let mut count = 0usize;
    let mut start = 0;
    while start + m <= x.len() {
        let s = psd(&x[start..start + m], dt);
        match &mut acc {
            None => acc = Some(s),
            Some(a) => a.psd.iter_mut().zip(&s.psd).for_each(|(p, q)| *p += q),
        }
        count += 1;
        start += hop;
    }
    let mut out = acc.unwrap_or_default();
    out.psd.iter_mut().for_each(|p| *p /= count.max(1) as f64);
    out
}

impl Spectrum {
    /// The rms of the signal's content in [lo, hi] Hz, MW: sqrt of the PSD summed over the band.
    pub fn band_rms(&self, lo: f64, hi: f64) -> f64 {
        self.freq_hz
            .iter()
            .zip(&self.psd)
            .skip(1)
            .filter(|(f, _)| **f >= lo - 1e-12 && **f <= hi + 1e-12)
            .map(|(_, p)| p * self.df)
            .sum::<f64>()
            .sqrt()
    }

    /// Share of the spectral energy (above DC) in [lo, hi] Hz.
    pub fn band_share(&self, lo: f64, hi: f64) -> f64 {
        let total: f64 = self.psd.iter().skip(1).sum();
        if total <= 0.0 {
            return 0.0;
        }
        let band: f64 = self
            .freq_hz
            .iter()
            .zip(&self.psd)
            .skip(1)
            .filter(|(f, _)| **f >= lo && **f <= hi)
            .map(|(_, p)| p)
            .sum();
        band / total
    }

    /// Index of the largest bin with frequency in [lo, hi].
    pub fn peak_in(&self, lo: f64, hi: f64) -> Option<usize> {
        (1..self.psd.len())
            .filter(|&k| self.freq_hz[k] >= lo && self.freq_hz[k] <= hi)
            .max_by(|&a, &b| self.psd[a].total_cmp(&self.psd[b]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sine_puts_its_variance_at_its_frequency() {
        let dt = 0.05;
        let x: Vec<f64> = (0..4000)
            .map(|i| 10.0 + 3.0 * (2.0 * std::f64::consts::PI * 1.5 * i as f64 * dt).sin())
            .collect();
        let s = psd(&x, dt);
        let k = s.peak_in(0.1, 10.0).unwrap();
        assert!((s.freq_hz[k] - 1.5).abs() <= s.df);
        // Parseval: the PSD integrates to the variance (4.5) of the sine.
        let var: f64 = s.psd.iter().sum::<f64>() * s.df;
        assert!((var - 4.5).abs() < 0.05, "{var}");
        assert!(s.band_share(1.0, 2.0) > 0.99);
    }
}
