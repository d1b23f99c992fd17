//! xorshift64*: deterministic and dependency-free. Good enough to spread mutations and pick
//! workloads; not for anything secret.

/// A seeded pseudo-random generator. The same seed gives the same sequence on every machine.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (0 is replaced, as xorshift would stay at 0 forever).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9e37_79b9_7f4a_7c15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-enough in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// In `lo..hi`; `lo` when the range is empty.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo + (self.next_u64() % (hi - lo) as u64) as i64
    }

    /// True with probability `1 / n`.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `seed` after one to six byte-level mutations, for seeded fuzzing in `cargo test`: a
    /// byte replaced, a cut, a byte that matters to the markup inserted, a run repeated.
    pub fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        const SPECIAL: &[u8] = b"<>/&%\"'=:\r\n\0*";
        let mut input = seed.to_vec();
        for _ in 0..=self.below(6) {
            match self.below(4) {
                0 if !input.is_empty() => {
                    let i = self.below(input.len());
                    input[i] = self.next_u64() as u8;
                }
                1 if !input.is_empty() => {
                    let i = self.below(input.len());
                    input.truncate(i.max(1));
                }
                2 => {
                    let i = self.below(input.len() + 1);
                    input.insert(i, *self.pick(SPECIAL));
                }
                _ => {
                    let i = self.below(input.len() + 1);
                    let j = self.below(input.len() + 1);
                    let (a, b) = (i.min(j), i.max(j));
                    let run = input[a..b].to_vec();
                    input.splice(b..b, run);
                }
            }
        }
        input
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn same_seed_same_sequence_and_bounds_hold() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            let (x, y) = (a.below(10), b.below(10));
            assert_eq!(x, y);
            assert!(x < 10);
            let r = a.range(-5, 5);
            assert_eq!(r, b.range(-5, 5));
            assert!((-5..5).contains(&r));
        }
        assert_eq!(Rng::new(0).below(0), 0);
    }
}
