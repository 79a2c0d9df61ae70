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

criterion_group!(benches, elementwise, chain);
criterion_main!(benches);
