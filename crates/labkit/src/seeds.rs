//! Seed streams: one scheme for the random choices of a run.
//!
//! A run has one seed S (`--seed`). Each independent random choice a lab
//! makes (a data split, a table's initial values, a part's initial weights,
//! the batch order of epoch e, …) is a *stream* with a number k of its own,
//! and draws from `StdRng::seed_from_u64(S ^ k·φ)`, φ = 0x9E3779B97F4A7C15
//! (2⁶⁴ divided by the golden ratio, odd, so k ↦ k·φ is one-to-one). Results
//! then depend on S and the settings only: adding a draw to one stream does
//! not move any other, and a resumed run redraws epoch e's order from (S, e)
//! alone.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// The odd multiplier that spreads stream numbers over 64 bits.
pub const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// The seed of stream `stream` of a run seeded `seed`.
pub fn stream_seed(seed: u64, stream: u64) -> u64 {
    seed ^ stream.wrapping_mul(GOLDEN)
}

/// The generator of stream `stream` of a run seeded `seed`.
pub fn rng(seed: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(stream_seed(seed, stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_distinct_and_repeatable() {
        assert_eq!(stream_seed(100, 0), 100, "stream 0 is the seed itself");
        assert_eq!(stream_seed(7, 1), 7 ^ GOLDEN);
        let draw = |s, k| rng(s, k).gen::<u64>();
        assert_eq!(draw(100, 3), draw(100, 3));
        let firsts: std::collections::BTreeSet<u64> = (0..50)
            .map(|k| draw(100, k))
            .chain((0..50).map(|k| draw(101, k)))
            .collect();
        assert_eq!(firsts.len(), 100, "100 streams, 100 different first draws");
    }
}
