//! Paired timing for a shared, noisy machine. Medians of separate
//! benchmarks compare moments seconds apart, and load from elsewhere comes
//! and goes on that scale; a ratio of two such medians can be off by tens
//! of percent. Here the sides of a comparison run in rounds of one short
//! block each, every block timed, and the ratio is taken within each round
//! (blocks a fraction of a millisecond apart) before taking the median over
//! rounds.

use std::time::{Duration, Instant};

/// One side of a comparison: issues the call `n` times.
pub type Side<'a> = &'a mut dyn FnMut(u64);

/// The block times of every side, round by round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paired {
    /// `times[side][round]`: how long that side's block took.
    pub times: Vec<Vec<Duration>>,
    /// Calls per block.
    pub block: u64,
}

impl Paired {
    /// The number of rounds.
    #[must_use]
    pub fn rounds(&self) -> usize {
        self.times.first().map_or(0, Vec::len)
    }

    /// The median over rounds of side `a`'s block time divided by side
    /// `b`'s; `None` without rounds or for a side out of range.
    #[must_use]
    pub fn median_ratio(&self, a: usize, b: usize) -> Option<f64> {
        let (ta, tb) = (self.times.get(a)?, self.times.get(b)?);
        let mut ratios: Vec<f64> = ta
            .iter()
            .zip(tb)
            .filter(|(_, y)| !y.is_zero())
            .map(|(x, y)| x.as_secs_f64() / y.as_secs_f64())
            .collect();
        median(&mut ratios)
    }

    /// The median time per call of side `a`, in nanoseconds.
    #[must_use]
    pub fn median_per_call_ns(&self, a: usize) -> Option<f64> {
        let mut per_call: Vec<f64> = self
            .times
            .get(a)?
            .iter()
            .map(|t| t.as_secs_f64() * 1e9 / self.block as f64)
            .collect();
        median(&mut per_call)
    }
}

fn median(v: &mut [f64]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        f64::midpoint(v[mid - 1], v[mid])
    })
}

/// Runs rounds of one `block`-call block of every side, each timed, for
/// about `budget` (at least one round). The side that goes first rotates
/// from round to round, so no side always follows the same other.
pub fn paired(budget: Duration, block: u64, sides: &mut [Side<'_>]) -> Paired {
    let k = sides.len();
    let mut times = vec![Vec::new(); k];
    let start = Instant::now();
    let mut round = 0;
    while round == 0 || start.elapsed() < budget {
        for j in 0..k {
            let i = (round + j) % k;
            let t = Instant::now();
            sides[i](block);
            times[i].push(t.elapsed());
        }
        round += 1;
    }
    Paired { times, block }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_side_runs_once_per_round() {
        let (mut a, mut b) = (0u64, 0u64);
        let mut side_a = |n: u64| a += n;
        let mut side_b = |n: u64| b += n;
        let mut sides: [Side<'_>; 2] = [&mut side_a, &mut side_b];
        let p = paired(Duration::from_millis(5), 8, &mut sides);
        drop(sides);
        assert!(p.rounds() >= 1);
        assert_eq!(p.times[1].len(), p.rounds());
        assert_eq!((a, b), (8 * p.rounds() as u64, 8 * p.rounds() as u64));
    }

    #[test]
    fn ratios_and_per_call_times_come_from_the_blocks() {
        let ms = Duration::from_millis;
        let p = Paired {
            times: vec![vec![ms(2), ms(4), ms(9)], vec![ms(1), ms(2), ms(3)]],
            block: 2,
        };
        assert_eq!(p.median_ratio(0, 1), Some(2.0));
        assert_eq!(p.median_ratio(1, 0), Some(0.5));
        assert_eq!(p.median_ratio(0, 2), None);
        assert_eq!(p.median_per_call_ns(0), Some(2e6));
        let even = Paired {
            times: vec![vec![ms(1), ms(3)]],
            block: 1,
        };
        assert_eq!(even.median_per_call_ns(0), Some(2e6));
    }

    #[test]
    fn a_slow_side_shows_in_the_ratio() {
        let mut slow = |n: u64| std::thread::sleep(Duration::from_micros(200 * n));
        let mut fast = |n: u64| std::thread::sleep(Duration::from_micros(50 * n));
        let mut sides: [Side<'_>; 2] = [&mut slow, &mut fast];
        let p = paired(Duration::from_millis(20), 4, &mut sides);
        assert!(p.median_ratio(0, 1).unwrap() > 1.5);
    }
}
