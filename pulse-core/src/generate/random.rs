//! Randomness and time, the two things every part of the generator draws on.
//!
//! Times are whole seconds since the start of the period (`i64`) until a record is
//! built: cheap to compare and add, and whole seconds make the JSON round trip exact.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::ids::Sha;
use crate::model::Timestamp;

pub(crate) const MINUTE: i64 = 60;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;

/// A generator seeded from `parent`: each repository (and each later phase) gets its
/// own stream, so what one part draws never shifts another.
pub(crate) fn child(parent: &mut ChaCha8Rng) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(parent.next_u64())
}

/// A log-normal draw: most values near `median`, a long tail to the right, as real
/// durations and change sizes are. Clamped to `[min, max]`.
pub(crate) fn lognormal(rng: &mut ChaCha8Rng, median: i64, sigma: f64, min: i64, max: i64) -> i64 {
    // Box–Muller; `1 - u` keeps the logarithm's argument in (0, 1].
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    ((median as f64 * (sigma * z).exp()).round() as i64).clamp(min, max)
}

/// The index of a weight, drawn in proportion to the weights (at least one non-zero).
pub(crate) fn weighted(rng: &mut ChaCha8Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total);
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// A random element of a non-empty slice.
pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Makes commit shas: 40 lowercase hex digits that look random but are unique by
/// construction, not by luck. The first 64 bits are a bijection of the caller's serial
/// number, so distinct serials give distinct shas; the rest comes from the rng.
pub(crate) struct ShaMint {
    key: u64,
}

impl ShaMint {
    pub(crate) fn new(key: u64) -> Self {
        Self { key }
    }

    pub(crate) fn mint(&self, rng: &mut ChaCha8Rng, serial: u64) -> Sha {
        let mut text = String::with_capacity(40);
        push_hex(&mut text, mix(serial ^ self.key), 16);
        push_hex(&mut text, rng.next_u64(), 16);
        push_hex(&mut text, u64::from(rng.next_u32()), 8);
        Sha::try_from(text).expect("40 lowercase hex digits are a valid sha")
    }
}

/// SplitMix64's finaliser. Each step (xor with a right shift, multiplication by an odd
/// constant) is invertible on `u64`, so the whole is a bijection.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn push_hex(out: &mut String, value: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        out.push(char::from(HEX[((value >> (i * 4)) & 0xf) as usize]));
    }
}

/// The generated period `[start, start + len)` in whole seconds.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    start: Timestamp,
    start_epoch: i64,
    len: i64,
}

impl Clock {
    /// The `period_days` before `end`, with `end` cut to whole seconds. An `end` so early
    /// that the period would start before chrono's first representable instant moves the
    /// window forward to start there instead.
    pub(crate) fn new(end: Timestamp, period_days: i64) -> Self {
        let end = end.trunc_subsecs(0);
        let period = TimeDelta::days(period_days.max(1));
        let start = end.checked_sub_signed(period).unwrap_or(DateTime::<Utc>::MIN_UTC);
        Self { start, start_epoch: start.timestamp(), len: period.num_seconds() }
    }

    /// The period's length in seconds.
    pub(crate) fn len(&self) -> i64 {
        self.len
    }

    #[cfg(test)]
    pub(crate) fn start(&self) -> Timestamp {
        self.start
    }

    /// The instant `s` seconds into the period. Clamped into the period, so no record can
    /// leave it whatever the arithmetic upstream did; clamping is monotonic, so it keeps
    /// every "before" relation.
    pub(crate) fn at(&self, s: i64) -> Timestamp {
        // Cannot overflow: the result lies in [start, start + len), which `new` checked.
        self.start + TimeDelta::seconds(s.clamp(0, self.len - 1))
    }

    /// Seconds into the period of an instant made by [`Clock::at`].
    pub(crate) fn offset(&self, t: Timestamp) -> i64 {
        (t - self.start).num_seconds()
    }

    /// A moment in `[lo, hi)`, most often on a weekday during office hours (UTC), as
    /// people open PRs and deploy. Falls back to a plain uniform draw when the office
    /// hours it aims at fall outside the range.
    pub(crate) fn work_time(&self, rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let s = rng.random_range(lo..hi);
        if !rng.random_bool(0.85) {
            return s;
        }
        let day = (self.start_epoch + s).div_euclid(DAY);
        // 1970-01-01 was a Thursday: day 0 has weekday 3 when Monday is 0.
        let skip_weekend = match (day + 3).rem_euclid(7) {
            5 => 2,
            6 => 1,
            _ => 0,
        };
        let candidate = (day + skip_weekend) * DAY + rng.random_range(8 * HOUR..19 * HOUR) - self.start_epoch;
        if (lo..hi).contains(&candidate) { candidate } else { s }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    use super::*;

    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(7)
    }

    #[test]
    fn shas_are_40_lowercase_hex_and_distinct() {
        let mint = ShaMint::new(99);
        let mut rng = rng();
        let mut seen = HashSet::new();
        for serial in 0..10_000 {
            let sha = mint.mint(&mut rng, serial);
            let text = sha.as_str();
            assert_eq!(text.len(), 40);
            assert!(text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)), "{text}");
            assert!(seen.insert(sha));
        }
        // The prefix alone already differs between serials.
        let prefixes: HashSet<String> = (0..1_000).map(|s| mint.mint(&mut rng, s).as_str()[..16].to_owned()).collect();
        assert_eq!(prefixes.len(), 1_000);
    }

    #[test]
    fn lognormal_centres_on_its_median_and_respects_bounds() {
        let mut rng = rng();
        let mut draws: Vec<i64> = (0..20_001).map(|_| lognormal(&mut rng, 1_000, 1.0, 10, 50_000)).collect();
        draws.sort_unstable();
        let median = draws[10_000];
        assert!((900..1_100).contains(&median), "median {median}");
        assert!(draws[0] >= 10 && draws[20_000] <= 50_000);
        // A right tail: the 90th percentile is well above twice the median (e^1.28 ≈ 3.6).
        assert!(draws[18_000] > 3 * median, "p90 {}", draws[18_000]);
    }

    #[test]
    fn weighted_follows_weights_and_skips_zero() {
        let mut rng = rng();
        let mut hits = [0u32; 3];
        for _ in 0..10_000 {
            hits[weighted(&mut rng, &[1, 0, 3])] += 1;
        }
        assert_eq!(hits[1], 0);
        assert!((2_200..2_800).contains(&hits[0]), "{hits:?}");
    }

    #[test]
    fn clock_cuts_sub_seconds_and_clamps_into_the_period() {
        let end = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + TimeDelta::milliseconds(1_500);
        let clock = Clock::new(end, 10);
        assert_eq!(clock.len(), 10 * DAY);
        assert_eq!(clock.start(), Utc.with_ymd_and_hms(2026, 10, 22, 0, 0, 1).unwrap());
        assert_eq!(clock.at(-5), clock.start());
        assert_eq!(clock.at(10 * DAY + 7), Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap());
        assert_eq!(clock.offset(clock.at(12_345)), 12_345);
        assert_eq!(clock.at(3).nanosecond(), 0);
    }

    #[test]
    fn work_time_stays_in_range_and_prefers_weekday_office_hours() {
        let clock = Clock::new(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), 182);
        let mut rng = rng();
        let mut office = 0;
        for _ in 0..2_000 {
            let s = clock.work_time(&mut rng, DAY, 100 * DAY);
            assert!((DAY..100 * DAY).contains(&s));
            let t = clock.at(s);
            if !matches!(t.weekday(), Weekday::Sat | Weekday::Sun) && (8..19).contains(&t.hour()) {
                office += 1;
            }
        }
        // 85% aimed at office hours plus the uniform draws that land there anyway.
        assert!(office > 1_700, "{office}");
        assert_eq!(clock.work_time(&mut rng, 5, 5), 5);
    }
}
