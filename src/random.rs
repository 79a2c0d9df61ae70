//! Random numbers: PyTorch's CPU generator (its mt19937 engine, its cached normal samples and its
//! `get_state` byte layout) and the sampling algorithms of its CPU kernels, so that
//! `manual_seed(s)` followed by the same calls gives PyTorch's values (float32 normals can differ
//! in the last bit where PyTorch's vectorised transcendental functions round differently). Matching
//! is not required by the spec, but it makes tutorials that print random results read exactly as
//! they do in PyTorch.

use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use crate::error::{CheckedCollect, Error, Result};
use crate::tensor::{numel, DType, Tensor};

/// The seed of a new `Generator()` (PyTorch's `default_rng_seed_val`).
pub const DEFAULT_SEED: u64 = 67280421310721;

const MT_N: usize = 624;
const MT_M: usize = 397;

/// Size in bytes of a state from [`Generator::get_state`] (PyTorch's `CPUGeneratorImplState`).
pub const STATE_SIZE: usize = 5056;

/// A pseudo-random generator: PyTorch's mt19937 (with its `left`/`next` bookkeeping, so states
/// round-trip byte for byte) plus the cached second sample of the double and float normal
/// distributions.
#[derive(Clone, Debug, PartialEq)]
pub struct Generator {
    seed: u64,
    left: u32,
    next: u32,
    state: [u32; MT_N],
    next_double_normal: Option<f64>,
    next_float_normal: Option<f32>,
}

impl Generator {
    /// A generator seeded with `seed` (its low 32 bits seed the twister, as in PyTorch).
    pub fn new(seed: u64) -> Self {
        let mut state = [0u32; MT_N];
        state[0] = seed as u32;
        for i in 1..MT_N {
            state[i] = 1_812_433_253u32.wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30)).wrapping_add(i as u32);
        }
        Generator { seed, left: 1, next: 0, state, next_double_normal: None, next_float_normal: None }
    }

    /// A generator seeded from the operating system's entropy (what `seed()` does).
    pub fn nondeterministic_seed() -> u64 {
        use std::hash::{BuildHasher, Hasher};
        // RandomState is seeded from the OS; mixing in the time guards against a fixed hasher.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
        h.write_u32(std::process::id());
        h.finish()
    }

    /// The seed it was last seeded with.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// Re-seeds in place (also forgetting cached normal samples).
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    fn twist(&mut self) {
        let s = &mut self.state;
        for i in 0..MT_N {
            let y = (s[i] & 0x8000_0000) | (s[(i + 1) % MT_N] & 0x7fff_ffff);
            let mut next = s[(i + MT_M) % MT_N] ^ (y >> 1);
            if s[(i + 1) % MT_N] & 1 != 0 {
                next ^= 0x9908_b0df;
            }
            s[i] = next;
        }
        self.left = MT_N as u32;
        self.next = 0;
    }

    /// The next 32 random bits (PyTorch's `random()`).
    pub fn next_u32(&mut self) -> u32 {
        self.left -= 1;
        if self.left == 0 {
            self.twist();
        }
        let mut y = self.state[self.next as usize];
        self.next += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 64 random bits (`random64()`): two draws, the first in the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    /// Uniform in [0, 1) with float32's 24 bits of mantissa.
    pub fn uniform_f32(&mut self) -> f32 {
        (self.next_u32() & ((1 << 24) - 1)) as f32 * (1.0 / (1u32 << 24) as f32)
    }

    /// Uniform in [0, 1) with float64's 53 bits of mantissa.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() & ((1 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// One standard normal sample in double precision (Box-Muller; the second value of each pair
    /// is cached for the next call), PyTorch's `normal_distribution<double>`.
    pub fn normal_f64(&mut self) -> f64 {
        if let Some(v) = self.next_double_normal.take() {
            return v;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let radius = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_double_normal = Some(radius * theta.sin());
        radius * theta.cos()
    }

    /// `n` samples of N(mean, std^2) in `dtype`, in the order PyTorch's `normal_` fills a
    /// contiguous tensor: one at a time below 16 elements; from 16 on, uniforms first, then
    /// Box-Muller over blocks of 16 (the last block re-drawn when `n` is not a multiple of 16).
    /// `contiguous == false` always takes the one-at-a-time path, as PyTorch does for strided
    /// outputs.
    pub fn normal(&mut self, n: usize, dtype: DType, mean: f64, std: f64, contiguous: bool) -> Vec<f64> {
        if n < 16 || !contiguous {
            return (0..n)
                .map(|_| {
                    let v = self.normal_f64().mul_add(std, mean);
                    if dtype == DType::F32 {
                        v as f32 as f64
                    } else {
                        v
                    }
                })
                .checked_collect();
        }
        if dtype == DType::F32 {
            let (mean, std) = (mean as f32, std as f32);
            let mut data: Vec<f32> = (0..n).map(|_| self.uniform_f32()).checked_collect();
            for start in (0..=n - 16).step_by(16) {
                box_muller_16_f32(&mut data[start..start + 16], mean, std);
            }
            if n % 16 != 0 {
                let tail = &mut data[n - 16..];
                for v in tail.iter_mut() {
                    *v = self.uniform_f32();
                }
                box_muller_16_f32(tail, mean, std);
            }
            return data.into_iter().map(f64::from).checked_collect();
        }
        let mut data: Vec<f64> = (0..n).map(|_| self.uniform_f64()).checked_collect();
        for start in (0..=n - 16).step_by(16) {
            box_muller_16_f64(&mut data[start..start + 16], mean, std);
        }
        if n % 16 != 0 {
            let tail = &mut data[n - 16..];
            for v in tail.iter_mut() {
                *v = self.uniform_f64();
            }
            box_muller_16_f64(tail, mean, std);
        }
        data
    }

    /// `n` uniform samples in [from, to) with the precision of `dtype` (PyTorch's
    /// `uniform_real_distribution`: `u * (to - from) + from` in the element type, fused as
    /// PyTorch's FMA-enabled build computes it).
    pub fn uniform(&mut self, n: usize, dtype: DType, from: f64, to: f64) -> Vec<f64> {
        if dtype == DType::F64 {
            (0..n).map(|_| self.uniform_f64().mul_add(to - from, from)).checked_collect()
        } else {
            self.uniform_f32s(n, from, to).into_iter().map(f64::from).checked_collect()
        }
    }

    /// [`Generator::uniform`] for float32, drawn straight into float32 (no float64 buffer: a
    /// refused allocation names PyTorch's byte count).
    pub fn uniform_f32s(&mut self, n: usize, from: f64, to: f64) -> Vec<f32> {
        let (from, to) = (from as f32, to as f32);
        (0..n).map(|_| self.uniform_f32().mul_add(to - from, from)).checked_collect()
    }

    /// `n` integers uniform in [low, high) (PyTorch's `uniform_int_from_to_distribution`: a 32-bit
    /// draw modulo the range, or a 64-bit draw from a range of 2^28 on).
    pub fn randint(&mut self, n: usize, low: i64, high: i64) -> Vec<i64> {
        let range = high.wrapping_sub(low) as u64;
        (0..n)
            .map(|_| {
                let v = if range >= 1 << 28 { self.next_u64() } else { self.next_u32() as u64 };
                (v % range).wrapping_add(low as u64) as i64
            })
            .checked_collect()
    }

    /// A random permutation of 0..n (PyTorch's CPU Fisher-Yates with 32-bit draws).
    pub fn randperm(&mut self, n: usize) -> Vec<i64> {
        let mut values: Vec<i64> = (0..n as i64).checked_collect();
        for i in 0..n.saturating_sub(1) {
            let z = (self.next_u32() as u64 % (n - i) as u64) as usize;
            values.swap(i, i + z);
        }
        values
    }

    /// The state as PyTorch's `CPUGeneratorImplState` bytes (little-endian, 5056 bytes).
    pub fn get_state(&self) -> Vec<u8> {
        let mut out = vec![0u8; STATE_SIZE];
        let put = |out: &mut [u8], at: usize, bytes: &[u8]| out[at..at + bytes.len()].copy_from_slice(bytes);
        put(&mut out, 0, &self.seed.to_le_bytes());
        put(&mut out, 8, &(self.left as i32).to_le_bytes());
        put(&mut out, 12, &1i32.to_le_bytes()); // seeded
        put(&mut out, 16, &(self.next as u64).to_le_bytes());
        for (i, &s) in self.state.iter().enumerate() {
            put(&mut out, 24 + 8 * i, &(s as u64).to_le_bytes());
        }
        // normal_x (5016) and normal_rho (5032) are unused dummies, as in PyTorch.
        if let Some(y) = self.next_double_normal {
            put(&mut out, 5024, &y.to_le_bytes());
            put(&mut out, 5040, &1i32.to_le_bytes());
        }
        if let Some(f) = self.next_float_normal {
            put(&mut out, 5048, &f.to_le_bytes());
            out[5052] = 1;
        }
        out
    }

    /// Restores a state from [`get_state`](Self::get_state) (or from PyTorch's).
    pub fn set_state(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.len() != STATE_SIZE {
            return Err(Error::runtime(format!(
                "Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the input RNG state size to be {}",
                bytes.len()
            )));
        }
        let u64_at = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let i32_at = |at: usize| i32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
        let (left, seeded, next) = (i32_at(8), i32_at(12), u64_at(16) as u32);
        if seeded == 0 || left <= 0 || left > MT_N as i32 || next > MT_N as u32 {
            return Err(Error::runtime("Invalid mt19937 state"));
        }
        let mut state = [0u32; MT_N];
        for (i, s) in state.iter_mut().enumerate() {
            *s = u64_at(24 + 8 * i) as u32;
        }
        *self = Generator {
            seed: u64_at(0),
            left: left as u32,
            next,
            state,
            next_double_normal: (i32_at(5040) != 0)
                .then(|| f64::from_le_bytes(bytes[5024..5032].try_into().expect("8"))),
            next_float_normal: (bytes[5052] != 0).then(|| f32::from_le_bytes(bytes[5048..5052].try_into().expect("4"))),
        };
        Ok(())
    }
}

/// Box-Muller over 16 uniforms in float32 math: pairs (j, j+8) become two normals, as PyTorch's
/// vectorised `normal_fill_16_AVX2` computes them (float angle, fused `n * std + mean`). Its
/// `log`/`sincos` are polynomial approximations, so about one value in five differs from ours in
/// the last bit or two.
fn box_muller_16_f32(data: &mut [f32], mean: f32, std: f32) {
    for j in 0..8 {
        // PyTorch's AVX2 path: Cephes log/sincos in float32, so samples are bit-identical.
        let u1 = 1.0f32 - data[j]; // [0, 1) -> (0, 1] for the logarithm
        let u2 = data[j + 8];
        let radius = (-2.0f32 * crate::cpu::cephes::log(u1)).sqrt();
        let theta = (2.0 * std::f64::consts::PI) as f32 * u2;
        let (sin, cos) = crate::cpu::cephes::sincos(theta);
        data[j] = (radius * cos).mul_add(std, mean);
        data[j + 8] = (radius * sin).mul_add(std, mean);
    }
}

/// Box-Muller over 16 uniforms in float64 math.
fn box_muller_16_f64(data: &mut [f64], mean: f64, std: f64) {
    for j in 0..8 {
        let u1 = 1.0 - data[j];
        let u2 = data[j + 8];
        let radius = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u2;
        data[j] = (radius * theta.cos()).mul_add(std, mean);
        data[j + 8] = (radius * theta.sin()).mul_add(std, mean);
    }
}

/// A generator shared between Rust and its Python handle(s).
pub type SharedGenerator = Arc<Mutex<Generator>>;

static DEFAULT_GENERATOR: LazyLock<SharedGenerator> =
    LazyLock::new(|| Arc::new(Mutex::new(Generator::new(Generator::nondeterministic_seed()))));

/// The global default generator (seeded nondeterministically at start, as PyTorch's).
pub fn default_generator() -> &'static SharedGenerator {
    &DEFAULT_GENERATOR
}

/// Runs `f` with the global default generator.
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    f(&mut DEFAULT_GENERATOR.lock())
}

/// Runs `f` with `generator`, or the default generator when `None`.
pub fn with_generator<R>(generator: Option<&SharedGenerator>, f: impl FnOnce(&mut Generator) -> R) -> R {
    f(&mut generator.unwrap_or(&DEFAULT_GENERATOR).lock())
}

/// Seeds the global generator.
pub fn manual_seed(seed: u64) {
    with_default_generator(|g| g.manual_seed(seed));
}

fn float_tensor(values: Vec<f64>, shape: &[usize], dtype: DType) -> Tensor {
    match dtype {
        DType::F64 => Tensor::from_vec(values, shape),
        _ => Tensor::from_vec(values.into_iter().map(|v| v as f32).checked_collect(), shape),
    }
    .expect("sized")
}

/// Standard normal samples from the global generator (`dtype` must be a float type).
pub fn randn(shape: &[usize], dtype: DType) -> Tensor {
    randn_with(shape, dtype, None)
}

/// Standard normal samples from `generator` (or the global one).
pub fn randn_with(shape: &[usize], dtype: DType, generator: Option<&SharedGenerator>) -> Tensor {
    let values = with_generator(generator, |g| g.normal(numel(shape), dtype, 0.0, 1.0, true));
    float_tensor(values, shape, dtype)
}

/// Uniform samples in [0, 1) from the global generator.
pub fn rand(shape: &[usize], dtype: DType) -> Tensor {
    rand_with(shape, dtype, None)
}

/// Uniform samples in [0, 1) from `generator` (or the global one).
pub fn rand_with(shape: &[usize], dtype: DType, generator: Option<&SharedGenerator>) -> Tensor {
    if dtype == DType::F32 {
        let values = with_generator(generator, |g| g.uniform_f32s(numel(shape), 0.0, 1.0));
        return Tensor::from_vec(values, shape).expect("sized");
    }
    let values = with_generator(generator, |g| g.uniform(numel(shape), dtype, 0.0, 1.0));
    float_tensor(values, shape, dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mt19937_matches_the_reference_sequence() {
        // The 10000th output of std::mt19937 seeded with 5489 is 4123659995 (C++ standard).
        let mut g = Generator::new(5489);
        let v = (0..10_000).map(|_| g.next_u32()).last().unwrap();
        assert_eq!(v, 4_123_659_995);
    }

    #[test]
    fn same_seed_same_stream_and_sane_distribution() {
        let (mut a, mut b) = (Generator::new(42), Generator::new(42));
        assert_eq!(a.normal(5, DType::F32, 0.0, 1.0, true), b.normal(5, DType::F32, 0.0, 1.0, true));
        let v = Generator::new(0).normal(10_000, DType::F64, 0.0, 1.0, true);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.05 && (var.sqrt() - 1.0).abs() < 0.05);
        assert_ne!(Generator::new(1).next_u32(), Generator::new(2).next_u32());
        let u = Generator::new(3).uniform(1000, DType::F32, -2.0, 3.0);
        assert!(u.iter().all(|&u| (-2.0..3.0).contains(&u)));
    }

    #[test]
    fn state_round_trips_mid_stream_with_cached_normals() {
        let mut g = Generator::new(7);
        for _ in 0..700 {
            g.next_u32(); // crosses a twist
        }
        g.normal(3, DType::F64, 0.0, 1.0, true); // leaves a cached double normal
        let saved = g.get_state();
        assert_eq!(saved.len(), STATE_SIZE);
        let expected = g.normal(5, DType::F64, 0.0, 1.0, true);
        let mut h = Generator::new(0);
        h.set_state(&saved).unwrap();
        assert_eq!(h.normal(5, DType::F64, 0.0, 1.0, true), expected);
        assert_eq!(h.initial_seed(), 7);
        assert_eq!(
            h.set_state(&saved[1..]).unwrap_err().message(),
            format!(
                "Expected a CPUGeneratorImplState of size 5056 but found the input RNG state size to be {}",
                STATE_SIZE - 1
            )
        );
        assert_eq!(h.set_state(&vec![0u8; STATE_SIZE]).unwrap_err().message(), "Invalid mt19937 state");
    }

    #[test]
    fn randint_and_randperm_stay_in_range() {
        let mut g = Generator::new(0);
        // PyTorch: manual_seed(0); randint(0, 10, (5,)) -> [4, 9, 3, 0, 3]
        assert_eq!(g.randint(5, 0, 10), vec![4, 9, 3, 0, 3]);
        let big = g.randint(100, -(1 << 40), 1 << 40);
        assert!(big.iter().all(|v| (-(1i64 << 40)..(1 << 40)).contains(v)));
        let mut p = g.randperm(37);
        p.sort();
        assert_eq!(p, (0..37).collect::<Vec<_>>());
        assert!(g.randperm(0).is_empty());
    }
}
