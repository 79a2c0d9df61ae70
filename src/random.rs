//! Random numbers: a seedable Mersenne Twister (mt19937) and the sampling algorithms of PyTorch's
//! CPU generator, so that `manual_seed(s)` followed by the same calls gives PyTorch's values (to
//! within a last-bit difference in float32 transcendental functions). Matching is not required by
//! the spec, but it makes tutorials that print random results read exactly as they do in PyTorch.

use parking_lot::Mutex;

use crate::tensor::{numel, DType, Tensor};

/// PyTorch's default seed, used until `manual_seed` is called.
pub const DEFAULT_SEED: u64 = 67280421310721;

const MT_N: usize = 624;
const MT_M: usize = 397;

/// A pseudo-random generator: mt19937 plus a cached second normal sample, as PyTorch's.
#[derive(Clone, Debug, PartialEq)]
pub struct Generator {
    state: Vec<u32>,
    index: usize,
    seed: u64,
    next_normal: Option<f64>,
}

impl Generator {
    /// A generator seeded with `seed` (its low 32 bits seed the twister, as in PyTorch).
    pub fn new(seed: u64) -> Self {
        let mut state = vec![0u32; MT_N];
        state[0] = seed as u32;
        for i in 1..MT_N {
            state[i] = 1_812_433_253u32.wrapping_mul(state[i - 1] ^ (state[i - 1] >> 30)).wrapping_add(i as u32);
        }
        Generator { state, index: MT_N, seed, next_normal: None }
    }

    /// The seed it was last seeded with.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// Re-seeds in place (also forgetting a cached normal sample).
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    fn twist(&mut self) {
        for i in 0..MT_N {
            let y = (self.state[i] & 0x8000_0000) | (self.state[(i + 1) % MT_N] & 0x7fff_ffff);
            let mut next = self.state[(i + MT_M) % MT_N] ^ (y >> 1);
            if y & 1 != 0 {
                next ^= 0x9908_b0df;
            }
            self.state[i] = next;
        }
        self.index = 0;
    }

    /// The next 32 random bits.
    pub fn next_u32(&mut self) -> u32 {
        if self.index >= MT_N {
            self.twist();
        }
        let mut y = self.state[self.index];
        self.index += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// The next 64 random bits: two draws, the first in the high half.
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    /// Uniform in [0, 1) with float32's 24 bits of mantissa.
    pub fn uniform_f32(&mut self) -> f64 {
        (self.next_u32() & ((1 << 24) - 1)) as f64 / (1u64 << 24) as f64
    }

    /// Uniform in [0, 1) with float64's 53 bits of mantissa.
    pub fn uniform_f64(&mut self) -> f64 {
        (self.next_u64() & ((1 << 53) - 1)) as f64 / (1u64 << 53) as f64
    }

    /// One standard normal sample in double precision (Box-Muller; the second value of each pair
    /// is cached for the next call).
    pub fn normal_f64(&mut self) -> f64 {
        if let Some(v) = self.next_normal.take() {
            return v;
        }
        let u1 = self.uniform_f64();
        let u2 = self.uniform_f64();
        let radius = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_normal = Some(radius * theta.sin());
        radius * theta.cos()
    }

    /// `n` standard normal samples of `dtype` in PyTorch's order: one at a time below 16
    /// elements; above, uniforms first, then Box-Muller over blocks of 16 (the last block
    /// re-drawn when `n` is not a multiple of 16).
    pub fn normal(&mut self, n: usize, dtype: DType) -> Vec<f64> {
        if n < 16 {
            return (0..n).map(|_| self.normal_f64()).collect();
        }
        let single = dtype == DType::F32;
        let draw = |g: &mut Generator| if single { g.uniform_f32() } else { g.uniform_f64() };
        let mut data: Vec<f64> = (0..n).map(|_| draw(self)).collect();
        for start in (0..=n - 16).step_by(16) {
            box_muller_16(&mut data[start..start + 16], single);
        }
        if n % 16 != 0 {
            let tail = &mut data[n - 16..];
            for v in tail.iter_mut() {
                *v = draw(self);
            }
            box_muller_16(tail, single);
        }
        data
    }

    /// `n` uniform samples in [0, 1) with the precision of `dtype`.
    pub fn uniform(&mut self, n: usize, dtype: DType) -> Vec<f64> {
        (0..n).map(|_| if dtype == DType::F64 { self.uniform_f64() } else { self.uniform_f32() }).collect()
    }
}

/// Box-Muller over 16 uniforms: pairs (j, j+8) become two normals, in float32 or float64 math.
fn box_muller_16(data: &mut [f64], single: bool) {
    for j in 0..8 {
        if single {
            // PyTorch's AVX2 path: Cephes log/sincos in float32 (bit-identical samples).
            let u1 = 1.0f32 - data[j] as f32; // [0, 1) -> (0, 1] for the logarithm
            let u2 = data[j + 8] as f32;
            let radius = (-2.0f32 * crate::cpu::cephes::log(u1)).sqrt();
            let theta = (2.0 * std::f64::consts::PI) as f32 * u2;
            let (sin, cos) = crate::cpu::cephes::sincos(theta);
            data[j] = (radius * cos) as f64;
            data[j + 8] = (radius * sin) as f64;
        } else {
            let u1 = 1.0 - data[j];
            let u2 = data[j + 8];
            let radius = (-2.0 * u1.ln()).sqrt();
            let theta = 2.0 * std::f64::consts::PI * u2;
            data[j] = radius * theta.cos();
            data[j + 8] = radius * theta.sin();
        }
    }
}

static DEFAULT_GENERATOR: Mutex<Option<Generator>> = Mutex::new(None);

/// Runs `f` with the global default generator.
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    let mut guard = DEFAULT_GENERATOR.lock();
    f(guard.get_or_insert_with(|| Generator::new(DEFAULT_SEED)))
}

/// Seeds the global generator.
pub fn manual_seed(seed: u64) {
    with_default_generator(|g| g.manual_seed(seed));
}

fn float_tensor(values: Vec<f64>, shape: &[usize], dtype: DType) -> Tensor {
    match dtype {
        DType::F64 => Tensor::from_vec(values, shape),
        _ => Tensor::from_vec(values.into_iter().map(|v| v as f32).collect::<Vec<f32>>(), shape),
    }
    .expect("sized")
}

/// Standard normal samples from the global generator (`dtype` must be a float type).
pub fn randn(shape: &[usize], dtype: DType) -> Tensor {
    let values = with_default_generator(|g| g.normal(numel(shape), dtype));
    float_tensor(values, shape, dtype)
}

/// Uniform samples in [0, 1) from the global generator.
pub fn rand(shape: &[usize], dtype: DType) -> Tensor {
    let values = with_default_generator(|g| g.uniform(numel(shape), dtype));
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
        assert_eq!(a.normal(5, DType::F32), b.normal(5, DType::F32));
        let v = Generator::new(0).normal(10_000, DType::F64);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.05 && (var.sqrt() - 1.0).abs() < 0.05);
        assert_ne!(Generator::new(1).next_u32(), Generator::new(2).next_u32());
        assert!(Generator::new(3).uniform(1000, DType::F32).iter().all(|&u| (0.0..1.0).contains(&u)));
    }
}
