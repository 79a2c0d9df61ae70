//! Random numbers: a seedable generator (xoshiro256**, seeded through splitmix64) and the global
//! default generator behind `manual_seed`. Streams are deterministic for a seed; they do not
//! reproduce PyTorch's mt19937 values (not required).

use parking_lot::Mutex;

use crate::tensor::{numel, DType, Tensor};
use crate::with_float_dtype;

/// PyTorch's default seed, used until `manual_seed` is called.
pub const DEFAULT_SEED: u64 = 67280421310721;

/// A pseudo-random generator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    state: [u64; 4],
    seed: u64,
}

fn splitmix64(x: &mut u64) -> u64 {
    *x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Generator {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let state = [splitmix64(&mut x), splitmix64(&mut x), splitmix64(&mut x), splitmix64(&mut x)];
        Generator { state, seed }
    }

    /// The seed it was last seeded with.
    pub fn initial_seed(&self) -> u64 {
        self.seed
    }

    /// Re-seeds in place.
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal values (Box-Muller, two per pair of uniforms).
    pub fn normal(&mut self, n: usize) -> Vec<f64> {
        let mut out = Vec::with_capacity(n + 1);
        while out.len() < n {
            // 1 - u keeps the logarithm's argument in (0, 1].
            let u1 = 1.0 - self.next_f64();
            let u2 = self.next_f64();
            let radius = (-2.0 * u1.ln()).sqrt();
            let angle = 2.0 * std::f64::consts::PI * u2;
            out.push(radius * angle.cos());
            out.push(radius * angle.sin());
        }
        out.truncate(n);
        out
    }

    /// Uniform values in [0, 1).
    pub fn uniform(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next_f64()).collect()
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
    with_float_dtype!(dtype, T => Tensor::from_vec(values.into_iter().map(|v| v as T).collect::<Vec<T>>(), shape).expect("sized"))
}

/// Standard normal samples from the global generator (`dtype` must be a float type).
pub fn randn(shape: &[usize], dtype: DType) -> Tensor {
    let values = with_default_generator(|g| g.normal(numel(shape)));
    float_tensor(values, shape, dtype)
}

/// Uniform samples in [0, 1) from the global generator.
pub fn rand(shape: &[usize], dtype: DType) -> Tensor {
    let values = with_default_generator(|g| g.uniform(numel(shape)));
    // Rounding to float32 can reach 1.0; PyTorch's rand never returns 1.
    let values = values.into_iter().map(|v| if dtype == DType::F32 && v as f32 >= 1.0 { 0.0 } else { v }).collect();
    float_tensor(values, shape, dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_sane_distribution() {
        let (mut a, mut b) = (Generator::new(42), Generator::new(42));
        assert_eq!(a.normal(5), b.normal(5));
        let v = Generator::new(0).normal(10_000);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.05 && (var.sqrt() - 1.0).abs() < 0.05);
        assert_ne!(Generator::new(1).next_u64(), Generator::new(2).next_u64());
        assert!(Generator::new(3).uniform(1000).iter().all(|&u| (0.0..1.0).contains(&u)));
    }
}
