//! The CPU time the calling thread has used: what a trial cost, apart from whatever else the
//! machine ran meanwhile (a wall clock counts the time a trial's thread waited for a core, and
//! a whole-process clock counts start-up and the files).
//!
//! Why: `scripts/bench.sh` got a trial-year's cost by subtracting a 1-trial run from a 5- or
//! 21-trial run, whose start-up, aggregation and writing move by several ms from run to run
//! ("blocks" swung 13-28 ms in one hour on stop 29's evening): a change of 2 % could not be
//! seen. Each trial's own CPU time, taken around the trial alone, does not carry that noise.

/// Seconds of CPU the calling thread has used, where the platform tells (Linux with glibc:
/// `CLOCK_THREAD_CPUTIME_ID`); None elsewhere.
pub fn thread_cpu_s() -> Option<f64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `clock_gettime` writes one `timespec` through the pointer, which points at a
        // live, writable `timespec` of ours; it reads nothing else.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        if rc == 0 {
            return Some(ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9);
        }
    }
    None
}

/// CPU milliseconds the calling thread spends in `f`, with its result; None for the time
/// where [`thread_cpu_s`] is not available.
pub fn thread_cpu_ms<T>(f: impl FnOnce() -> T) -> (T, Option<f64>) {
    let before = thread_cpu_s();
    let out = f();
    let ms = before
        .zip(thread_cpu_s())
        .map(|(a, b)| (b - a).max(0.0) * 1e3);
    (out, ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A busy loop's CPU time is positive and at most the wall time it took (plus the clock's
    /// resolution) where the clock exists, and None where it does not.
    #[test]
    fn a_busy_loop_costs_cpu_time() {
        let wall = std::time::Instant::now();
        let (_, ms) = thread_cpu_ms(|| {
            let mut x = 0u64;
            for i in 0..20_000_000u64 {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
            }
            std::hint::black_box(x)
        });
        let wall_ms = wall.elapsed().as_secs_f64() * 1e3;
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            let ms = ms.expect("Linux with glibc has a thread CPU clock");
            assert!(
                ms > 0.0 && ms <= wall_ms + 1.0,
                "cpu {ms} ms, wall {wall_ms} ms"
            );
        } else {
            assert!(ms.is_none());
        }
    }
}
