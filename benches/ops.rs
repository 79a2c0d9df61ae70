//! Criterion benches of the pure Rust core: elementwise kernels, reductions, and graph building +
//! backward over a chain of small ops (the per-op overhead users feel in Python).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rustgrad::ops;
use rustgrad::{DType, Scalar, Tensor};

fn elementwise(c: &mut Criterion) {
    let n = 1 << 22;
    let x = rustgrad::random::randn(&[n], DType::F32);
    c.bench_function("mul_add 4M f32", |b| {
        b.iter(|| {
            let y = ops::mul(&x, &Scalar::Float(1.5).to_tensor()).unwrap();
            black_box(ops::add(&y, &x).unwrap())
        })
    });
    c.bench_function("sum 4M f32", |b| b.iter(|| black_box(ops::sum(&x).unwrap())));
}

fn chain(c: &mut Criterion) {
    let w = Tensor::ones(&[16], DType::F32).with_requires_grad(true).unwrap();
    c.bench_function("chain of 1000 small ops, forward + backward", |b| {
        b.iter(|| {
            let mut y = w.clone();
            for _ in 0..1000 {
                y = ops::add(&ops::mul(&y, &Scalar::Float(0.999).to_tensor()).unwrap(), &Scalar::Float(0.001).to_tensor())
                    .unwrap();
            }
            let loss = ops::sum(&y).unwrap();
            rustgrad::autograd::backward(&[loss], vec![None], None, false, None).unwrap();
            w.set_grad(None).unwrap();
        })
    });
}

fn matmul(c: &mut Criterion) {
    // Square float32 products (GFLOP/s = 2*n^3 / time), a transposed operand read through strides,
    // and a batch of small products.
    for n in [64usize, 256, 1024] {
        let a = rustgrad::random::randn(&[n, n], DType::F32);
        let b = rustgrad::random::randn(&[n, n], DType::F32);
        c.bench_function(&format!("matmul {n}x{n} f32"), |bench| bench.iter(|| black_box(ops::matmul(&a, &b).unwrap())));
    }
    let a = rustgrad::random::randn(&[256, 256], DType::F32);
    let at = ops::einsum("ij->ji", std::slice::from_ref(&a)).unwrap();
    c.bench_function("matmul 256x256 f32, transposed lhs", |bench| bench.iter(|| black_box(ops::matmul(&at, &a).unwrap())));
    let x = rustgrad::random::randn(&[512, 8, 16], DType::F32);
    let y = rustgrad::random::randn(&[512, 16, 8], DType::F32);
    c.bench_function("bmm 512 x (8x16 @ 16x8) f32", |bench| bench.iter(|| black_box(ops::bmm(&x, &y).unwrap())));
}

criterion_group!(benches, elementwise, chain, matmul);
criterion_main!(benches);
