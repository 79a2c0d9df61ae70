//! Criterion benches of the pure Rust core: elementwise kernels, reductions, and graph building +
//! backward over a chain of small ops (the per-op overhead users feel in Python).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use rustgrad::ops;
use rustgrad::ops::Extreme;
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

fn chain_sin(c: &mut Criterion) {
    // Workload 2 of benches/compare.py without Python: `y = (y * 0.999 + 0.001).sin()` 1000 times
    // on 16 elements, forward + backward (3000 recorded ops).
    let w = Tensor::ones(&[16], DType::F32).with_requires_grad(true).unwrap();
    let (a, b) = (Scalar::Float(0.999).to_tensor(), Scalar::Float(0.001).to_tensor());
    c.bench_function("chain of 1000 (mul, add, sin) on 16 f32, forward + backward", |bench| {
        bench.iter(|| {
            let mut y = w.clone();
            for _ in 0..1000 {
                y = ops::sin(&ops::add(&ops::mul(&y, &a).unwrap(), &b).unwrap()).unwrap();
            }
            rustgrad::autograd::backward(&[ops::sum(&y).unwrap()], vec![None], None, false, None).unwrap();
            w.set_grad(None).unwrap();
        })
    });
    // Graph building alone (no backward): the cost of recording nodes, then dropping the graph.
    c.bench_function("chain of 1000 mul on 16 f32, forward only (graph built and dropped)", |bench| {
        bench.iter(|| {
            let mut y = w.clone();
            for _ in 0..1000 {
                y = ops::mul(&y, &a).unwrap();
            }
            black_box(y)
        })
    });
}

fn softmax(c: &mut Criterion) {
    // Rows of a classifier's logits (128 x 10), a wide attention-like case (256 x 1024), and
    // log-softmax + backward as in a cross-entropy loss.
    let small = rustgrad::random::randn(&[128, 10], DType::F32);
    let wide = rustgrad::random::randn(&[256, 1024], DType::F32);
    c.bench_function("softmax 128x10 f32 dim 1", |b| b.iter(|| black_box(ops::softmax(&small, 1, false, None).unwrap())));
    c.bench_function("softmax 256x1024 f32 dim 1", |b| b.iter(|| black_box(ops::softmax(&wide, 1, false, None).unwrap())));
    c.bench_function("softmax 256x1024 f32 dim 0 (strided lanes)", |b| b.iter(|| black_box(ops::softmax(&wide, 0, false, None).unwrap())));
    let x = wide.detach().with_requires_grad(true).unwrap();
    c.bench_function("log_softmax 256x1024 f32 forward + backward", |b| {
        b.iter(|| {
            let loss = ops::sum(&ops::softmax(&x, 1, true, None).unwrap()).unwrap();
            rustgrad::autograd::backward(&[loss], vec![None], None, false, None).unwrap();
            x.set_grad(None).unwrap();
        })
    });
}

fn reductions(c: &mut Criterion) {
    let m = rustgrad::random::randn(&[1024, 1024], DType::F32);
    let v = rustgrad::random::randn(&[1 << 22], DType::F32);
    c.bench_function("sum 1024x1024 f32 dim 1 (rows)", |b| b.iter(|| black_box(ops::sum_dims(&m, &[1], false).unwrap())));
    c.bench_function("sum 1024x1024 f32 dim 0 (columns)", |b| b.iter(|| black_box(ops::sum_dims(&m, &[0], false).unwrap())));
    c.bench_function("mean 4M f32", |b| b.iter(|| black_box(ops::mean(&v).unwrap())));
    c.bench_function("amax 1024x1024 f32 dim 1", |b| b.iter(|| black_box(ops::amax_amin(Extreme::Max, &m, &[1], false).unwrap())));
    c.bench_function("var 1024x1024 f32 dim 1", |b| b.iter(|| black_box(ops::var_std(&m, Some(&[1]), 1.0, false, false).unwrap())));
    c.bench_function("logsumexp 1024x1024 f32 dim 1", |b| b.iter(|| black_box(ops::logsumexp(&m, &[1], false).unwrap())));
    c.bench_function("sum 16 f32 (per-call overhead)", |b| {
        let s = rustgrad::random::randn(&[16], DType::F32);
        b.iter(|| black_box(ops::sum(&s).unwrap()))
    });
}

fn optimizer_step(c: &mut Criterion) {
    use rustgrad::optim::{Adam, AdamOptions, Optimizer, Sgd, SgdOptions};
    // Parameters of the 784-256-256-10 MLP of benches/compare.py workload 3, with gradients set.
    let params = || -> Vec<Tensor> {
        [[784, 256], [256, 256], [256, 10]]
            .iter()
            .flat_map(|&[i, o]| [rustgrad::random::randn(&[i, o], DType::F32), rustgrad::random::randn(&[o], DType::F32)])
            .map(|p| {
                let p = p.with_requires_grad(true).unwrap();
                p.set_grad(Some(rustgrad::random::randn(&p.shape(), DType::F32))).unwrap();
                p
            })
            .collect()
    };
    let mut sgd = Sgd::new(params(), SgdOptions { lr: 1e-3, ..Default::default() }).unwrap();
    c.bench_function("SGD step, MLP 784-256-256-10 params (270K)", |b| b.iter(|| sgd.step().unwrap()));
    let mut momentum = Sgd::new(params(), SgdOptions { lr: 1e-3, momentum: 0.9, ..Default::default() }).unwrap();
    c.bench_function("SGD momentum 0.9 step, MLP params", |b| b.iter(|| momentum.step().unwrap()));
    let mut adam = Adam::new(params(), AdamOptions::default()).unwrap();
    c.bench_function("Adam step, MLP params", |b| b.iter(|| adam.step().unwrap()));
    let big = rustgrad::random::randn(&[1 << 22], DType::F32).with_requires_grad(true).unwrap();
    big.set_grad(Some(rustgrad::random::randn(&[1 << 22], DType::F32))).unwrap();
    let mut adam_big = Adam::new(vec![big], AdamOptions::default()).unwrap();
    c.bench_function("Adam step, one 4M f32 parameter", |b| b.iter(|| adam_big.step().unwrap()));
}

criterion_group!(benches, elementwise, chain, matmul, chain_sin, softmax, reductions, optimizer_step);
criterion_main!(benches);
