//! Side-by-side timing for a shared, noisy machine: the sides of one
//! comparison run in alternating blocks, so a burst of load from elsewhere
//! slows all of them alike instead of whichever happened to run then.

use std::time::{Duration, Instant};

/// Calls per block: long enough that reading the clock twice per block is
/// negligible next to a system call, short enough to alternate often.
pub const BLOCK: u64 = 64;

/// One side of a comparison: issues the call `n` times.
pub type Side<'a> = &'a mut dyn FnMut(u64);

/// Runs `iters` calls of side `measured` in blocks of [`BLOCK`], running a
/// block of every other side after each of its blocks, and returns the time
/// `measured` took (only its blocks are timed).
///
/// # Panics
/// If `measured` is not an index of `sides`.
pub fn interleaved(iters: u64, measured: usize, sides: &mut [Side<'_>]) -> Duration {
    assert!(measured < sides.len(), "side {measured} of {}", sides.len());
    let mut total = Duration::ZERO;
    let mut left = iters;
    while left > 0 {
        let n = left.min(BLOCK);
        for (i, side) in sides.iter_mut().enumerate() {
            if i == measured {
                let start = Instant::now();
                side(n);
                total += start.elapsed();
            } else {
                side(n);
            }
        }
        left -= n;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_side_runs_as_often_as_the_measured_one() {
        let (mut a, mut b) = (0u64, 0u64);
        let mut side_a = |n: u64| a += n;
        let mut side_b = |n: u64| b += n;
        let mut sides: [Side<'_>; 2] = [&mut side_a, &mut side_b];
        interleaved(1000, 1, &mut sides);
        interleaved(0, 0, &mut sides);
        drop(sides);
        assert_eq!((a, b), (1000, 1000));
    }

    #[test]
    fn only_the_measured_side_is_timed() {
        let mut slow = |n: u64| std::thread::sleep(Duration::from_millis(n));
        let mut fast = |_: u64| {};
        let mut sides: [Side<'_>; 2] = [&mut slow, &mut fast];
        // 3 blocks of 1..=64 calls of `fast`: far below the 130 ms `slow` sleeps.
        assert!(interleaved(130, 1, &mut sides) < Duration::from_millis(100));
        assert!(interleaved(2, 0, &mut sides) >= Duration::from_millis(2));
    }
}
