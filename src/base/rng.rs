//! Random numbers: the per-(seed, source, trial) streams every layer draws from, and the few
//! distributions the engine samples in its step loop.
//!
//! Every random source of a trial (each workload, the weather, failures, the grid, the plants)
//! has its own stream derived from (study seed, source tag, trial) alone, so a trial's numbers do
//! not depend on threads, on other trials, or on another source being added (common random
//! numbers across variants).

use std::convert::Infallible;

use rand::RngExt;
use rand::rand_core::TryRng;
use rand_distr::{Distribution, Poisson};

/// The generator behind every stream: xoshiro256++ (Blackman and Vigna, "Scrambled linear
/// pseudorandom number generators", ACM TOMS 2021), period 2^256 - 1, passes BigCrush and
/// PractRand; about a nanosecond a draw against ChaCha8's several. Not cryptographic, which a
/// simulation does not need. Written here (twenty lines) so its output can never change under
/// a dependency update: the golden test pins figures to it.
#[derive(Clone, Debug)]
pub struct Stream {
    s: [u64; 4],
}

impl Stream {
    /// A stream whose state is filled from `key` by SplitMix64, the seeding its authors advise
    /// (never all zero).
    pub fn from_key(key: u64) -> Stream {
        let mut x = key;
        let mut s = [0u64; 4];
        for w in &mut s {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            *w = splitmix(x.wrapping_sub(0x9E37_79B9_7F4A_7C15));
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Stream { s }
    }

    #[inline(always)]
    fn next(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl TryRng for Stream {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next() >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.next())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let b = self.next().to_le_bytes();
            chunk.copy_from_slice(&b[..chunk.len()]);
        }
        Ok(())
    }
}

/// Counts at and above this mean are drawn from the normal approximation (see
/// `workload::arrivals`).
pub const NORMAL_ABOVE: f64 = 1.0e3;

/// Source tags: distinct high bits per kind of source, the index of the source in the low bits.
pub const TAG_CONSUMER: u64 = 1 << 32;
pub const TAG_TWIN: u64 = 2 << 32;
pub const TAG_TRAINING: u64 = 3 << 32;
pub const TAG_DEFENSE: u64 = 4 << 32;
pub const TAG_WEATHER: u64 = 5 << 32;
pub const TAG_FAILURES: u64 = 6 << 32;
pub const TAG_GRID: u64 = 7 << 32;
pub const TAG_PLANT: u64 = 8 << 32;
/// The draws of a study's uncertain parameters.
pub const TAG_PARAMS: u64 = 9 << 32;
/// The two-rate engine's per-pool bridge of consumer work over an hour's steps.
pub const TAG_BRIDGE: u64 = 10 << 32;
/// Coincident-peak response: whether the developer forecast each peak interval (drawn after
/// the trial, from its own stream, so the trial's figures do not move).
pub const TAG_CP_RESPONSE: u64 = 11 << 32;
/// Portfolio draws (`portfolio::draws`): the market factor, each calendar year's supply-chain
/// delay, each duplicate group's pick and each project's existence, delay and size (the last
/// two keyed by a hash of the group's or project's name, not its position in the file).
pub const TAG_PORTFOLIO_MARKET: u64 = 0x50 << 32;
pub const TAG_PORTFOLIO_SUPPLY: u64 = 0x51 << 32;
pub const TAG_PORTFOLIO_GROUP: u64 = 0x52 << 32;
pub const TAG_PORTFOLIO_PROJECT: u64 = 0x53 << 32;

/// A random stream for one source of one trial, keyed by (study seed, source tag, trial):
/// each part goes through SplitMix64's finaliser so nearby seeds, tags and trials give
/// unrelated states.
pub fn stream(seed: u64, tag: u64, trial: u32) -> Stream {
    let key = splitmix(seed ^ splitmix(tag)) ^ splitmix(u64::from(trial) ^ 0xD1B5_4A32_D192_ED03);
    Stream::from_key(splitmix(key))
}

/// SplitMix64's finaliser: spreads nearby seeds and tags over the whole key space.
pub fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A Poisson count with mean `lambda`, as f64.
#[inline]
pub fn poisson_count<R: rand::Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    PoissonAt::new(lambda).sample(rng)
}

/// Poisson counts at one mean, its constants worked out once: the numbers [`poisson_count`]
/// draws at that mean from the same stream, for a loop that draws many (a quiet block's steps).
#[derive(Clone, Copy, Debug)]
pub enum PoissonAt {
    Zero,
    Exact(Poisson<f64>),
    Normal { lambda: f64, sd: f64 },
}

impl PoissonAt {
    #[inline]
    pub fn new(lambda: f64) -> PoissonAt {
        if lambda.is_nan() || lambda <= 0.0 {
            PoissonAt::Zero
        } else if lambda < NORMAL_ABOVE {
            Poisson::new(lambda).map_or(PoissonAt::Zero, PoissonAt::Exact)
        } else {
            PoissonAt::Normal {
                lambda,
                sd: lambda.sqrt(),
            }
        }
    }

    #[inline(always)]
    pub fn sample<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            PoissonAt::Zero => 0.0,
            PoissonAt::Exact(p) => p.sample(rng),
            PoissonAt::Normal { lambda, sd } => {
                normal_count(*lambda, *sd, super::ziggurat::standard_normal(rng))
            }
        }
    }
}

/// The count [`PoissonAt::Normal`] gives for the standard normal `z`: `lambda + sd z` rounded
/// half up, at least 0.
#[inline(always)]
pub fn normal_count(lambda: f64, sd: f64, z: f64) -> f64 {
    // Round half up by truncation (the value is non-negative after the max, and never NaN:
    // `NaN.max(0.0)` is 0). Below 2^52 (any count a study draws) in the float unit: `x + 2^52`
    // lands where the spacing is 1, so `(x + 2^52) - 2^52` is `x` rounded to a whole number,
    // one less if that rounded up: `x`'s truncation, the number `x as i64 as f64` gives, in
    // five instructions without a branch where the saturating casts take eight. Above, through
    // u64 (the same number either way).
    const TWO_52: f64 = 4_503_599_627_370_496.0;
    let x = (lambda + sd * z).max(0.0) + 0.5;
    if x < TWO_52 {
        let r = (x + TWO_52) - TWO_52;
        r - if r > x { 1.0 } else { 0.0 }
    } else {
        x as u64 as f64
    }
}

/// A uniform draw in [0, 1), for event times.
#[inline]
pub fn uniform<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    rng.random::<f64>()
}

/// A standard normal draw: rand_distr's `StandardNormal` draw for draw, inlined
/// ([`super::ziggurat`]).
#[inline(always)]
pub fn normal<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    super::ziggurat::standard_normal(rng)
}

/// An exponential draw with the given mean.
#[inline]
pub fn exponential<R: rand::Rng + ?Sized>(mean: f64, rng: &mut R) -> f64 {
    let u: f64 = rng.random::<f64>();
    -mean * (1.0 - u).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streams depend on (seed, tag, trial) alone: the same triple gives the same numbers, any
    /// change of one gives others.
    #[test]
    fn streams_are_keyed_by_seed_tag_and_trial() {
        let draw = |seed, tag, trial| {
            let mut r = stream(seed, tag, trial);
            (0..4).map(|_| uniform(&mut r)).collect::<Vec<f64>>()
        };
        let a = draw(42, TAG_CONSUMER, 3);
        assert_eq!(a, draw(42, TAG_CONSUMER, 3));
        assert_ne!(a, draw(43, TAG_CONSUMER, 3));
        assert_ne!(a, draw(42, TAG_CONSUMER + 1, 3));
        assert_ne!(a, draw(42, TAG_CONSUMER, 4));
    }

    /// Poisson counts are whole, non-negative, and have mean and variance lambda on both sides
    /// of the normal approximation's threshold.
    #[test]
    fn poisson_counts_have_poisson_moments() {
        for lambda in [3.0, 250.0, 5.0e4] {
            let mut r = stream(7, TAG_GRID, 0);
            let n = 20_000;
            let xs: Vec<f64> = (0..n).map(|_| poisson_count(lambda, &mut r)).collect();
            assert!(xs.iter().all(|x| *x >= 0.0 && x.fract() == 0.0));
            let m = xs.iter().sum::<f64>() / n as f64;
            let v = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n as f64 - 1.0);
            // Mean within 5 standard errors; variance within 5 %.
            assert!(
                (m - lambda).abs() < 5.0 * (lambda / n as f64).sqrt(),
                "{lambda}: {m}"
            );
            assert!((v / lambda - 1.0).abs() < 0.05, "{lambda}: {v}");
        }
        assert_eq!(poisson_count(0.0, &mut stream(1, 1, 1)), 0.0);
        assert_eq!(poisson_count(f64::NAN, &mut stream(1, 1, 1)), 0.0);
    }

    /// [`normal_count`]'s rounding in the float unit is the saturating casts' truncation, bit
    /// for bit: at halves (ties round to even in the float unit, then back down), just either
    /// side of whole numbers and halves, around 2^52 where the two routes meet, at zero and
    /// below, at infinity and NaN, and over a million random means and draws.
    #[test]
    fn normal_counts_round_as_the_casts_do() {
        let cast = |lambda: f64, sd: f64, z: f64| {
            let x = (lambda + sd * z).max(0.0) + 0.5;
            if x < 9.0e18 {
                x as i64 as f64
            } else {
                x as u64 as f64
            }
        };
        let two_52 = 4_503_599_627_370_496.0f64;
        let mut xs = vec![
            0.0,
            -0.0,
            -3.0,
            1e300,
            f64::INFINITY,
            f64::NAN,
            9.5e18,
            2e19,
        ];
        for k in 0..200 {
            let k = f64::from(k);
            xs.extend([k, k + 0.5, k - 0.5, k + 0.25]);
        }
        for base in [0.5, 1.0, 2.5, 1e6, two_52 - 2.0, two_52 - 0.5, two_52, 1e17] {
            let mut x: f64 = base;
            for _ in 0..6 {
                xs.extend([x, x.next_up(), x.next_down()]);
                x = x.next_up();
            }
        }
        let mut r = stream(3, TAG_GRID, 0);
        for _ in 0..1_000_000 {
            let scale = 10f64.powf(16.0 * uniform(&mut r));
            xs.push(scale * (2.0 * uniform(&mut r) - 0.2));
        }
        for &x in &xs {
            for (lambda, sd, z) in [(x, 0.0, 0.0), (x, 1.0, 0.0), (1.0, x, 1.0), (x, 2.0, -0.25)] {
                let (got, want) = (normal_count(lambda, sd, z), cast(lambda, sd, z));
                assert_eq!(got.to_bits(), want.to_bits(), "{lambda} + {sd} x {z}");
            }
        }
    }
}
