//! The Rust optimizer API: training without Python, state layout, skipped parameters, in-place
//! writes with version bumps, and failing groups that leave everything untouched.

use super::functional::{adam_step, new_step, sgd_step};
use super::kernels::{AdamHyper, SgdHyper};
use super::*;
use crate::autograd::backward;
use crate::tensor::{DType, Layout};

fn leaf(values: Vec<f32>) -> Tensor {
    let n = values.len();
    Tensor::from_vec(values, &[n]).unwrap().with_requires_grad(true).unwrap()
}

/// Fits `y = 3x - 2` with `pred = w * x + b`, minimising the mean squared error; returns (w, b).
fn fit(opt: &mut dyn FnMut() -> Result<()>, zero: &mut dyn FnMut() -> Result<()>, w: &Tensor, b: &Tensor, epochs: usize) -> (f64, f64) {
    let xs: Vec<f32> = (0..16).map(|i| i as f32 / 8.0 - 1.0).collect();
    let ys: Vec<f32> = xs.iter().map(|x| 3.0 * x - 2.0).collect();
    let (x, y) = (Tensor::from_vec(xs, &[16]).unwrap(), Tensor::from_vec(ys, &[16]).unwrap());
    for _ in 0..epochs {
        zero().unwrap();
        let pred = ops::add(&ops::mul(&x, w).unwrap(), b).unwrap();
        let err = ops::sub(&pred, &y).unwrap();
        let loss = ops::mean(&ops::mul(&err, &err).unwrap()).unwrap();
        backward(&[loss], vec![None], None, false, None).unwrap();
        opt().unwrap();
    }
    (w.item_f64().unwrap(), b.item_f64().unwrap())
}

fn assert_fits((w, b): (f64, f64)) {
    assert!((w - 3.0).abs() < 1e-3 && (b + 2.0).abs() < 1e-3, "w={w} b={b}");
}

macro_rules! train {
    ($opt:expr, $w:expr, $b:expr, $epochs:expr) => {{
        let opt = std::cell::RefCell::new($opt);
        fit(&mut || opt.borrow_mut().step(), &mut || opt.borrow_mut().zero_grad(), &$w, &$b, $epochs)
    }};
}

#[test]
fn linear_regression_converges_with_every_optimizer() {
    let (w, b) = (leaf(vec![0.0]), leaf(vec![0.0]));
    assert_fits(train!(Sgd::new(vec![w.clone(), b.clone()], SgdOptions { lr: 0.1, momentum: 0.9, ..Default::default() }).unwrap(), w, b, 300));
    let (w, b) = (leaf(vec![0.0]), leaf(vec![0.0]));
    assert_fits(train!(Adam::new(vec![w.clone(), b.clone()], AdamOptions { lr: 0.05, ..Default::default() }).unwrap(), w, b, 1500));
    let (w, b) = (leaf(vec![0.0]), leaf(vec![0.0]));
    let opts = AdamOptions { lr: 0.05, weight_decay: 1e-6, amsgrad: true, ..AdamOptions::adamw() };
    assert_fits(train!(AdamW::new(vec![w.clone(), b.clone()], opts).unwrap(), w, b, 1500));
    let (w, b) = (leaf(vec![0.0]), leaf(vec![0.0]));
    let opts = RmspropOptions { lr: 0.01, momentum: 0.5, centered: true, ..Default::default() };
    assert_fits(train!(Rmsprop::new(vec![w.clone(), b.clone()], opts).unwrap(), w, b, 2000));
    let (w, b) = (leaf(vec![0.0]), leaf(vec![0.0]));
    assert_fits(train!(Adagrad::new(vec![w.clone(), b.clone()], AdagradOptions { lr: 0.5, ..Default::default() }).unwrap(), w, b, 2000));
}

#[test]
fn params_stay_leaves_and_versions_bump() {
    let w = leaf(vec![1.0, -2.0, 3.0]);
    let mut opt = Adam::new(vec![w.clone()], AdamOptions { lr: 0.1, ..Default::default() }).unwrap();
    w.set_grad(Some(Tensor::ones(&[3], DType::F32))).unwrap();
    let before = w.version();
    opt.step().unwrap();
    assert_eq!(w.version(), before + 1);
    assert!(w.is_leaf().unwrap() && w.requires_grad());
    let s = opt.state(&w).unwrap();
    assert_eq!((s.step.dim(), s.step.dtype(), s.step.item_f64().unwrap()), (0, DType::F32, 1.0));
    assert!(s.max_exp_avg_sq.is_none());
    assert!(crate::autograd::is_grad_enabled(), "grad mode is restored after step");
}

#[test]
fn params_without_grad_are_skipped_and_get_no_state() {
    let (a, b) = (leaf(vec![1.0]), leaf(vec![2.0]));
    let mut opt = Adam::new(vec![a.clone(), b.clone()], AdamOptions::default()).unwrap();
    a.set_grad(Some(Tensor::ones(&[1], DType::F32))).unwrap();
    opt.step().unwrap();
    assert!(opt.state(&a).is_some() && opt.state(&b).is_none());
    assert_eq!(b.to_vec::<f32>().unwrap(), vec![2.0]);

    let mut sgd = Sgd::new(vec![a.clone()], SgdOptions { lr: 0.1, ..Default::default() }).unwrap();
    sgd.step().unwrap();
    assert!(sgd.momentum_buffer(&a).is_none(), "no momentum, no state");
    let ada = Adagrad::new(vec![b.clone()], AdagradOptions { initial_accumulator_value: 0.5, ..Default::default() }).unwrap();
    let s = ada.state(&b).unwrap();
    assert_eq!((s.step.item_f64().unwrap(), s.sum.to_vec::<f32>().unwrap()), (0.0, vec![0.5]));
}

#[test]
fn zero_grad_sets_none_or_zeroes_in_place() {
    let w = leaf(vec![1.0, 2.0]);
    let mut opt = Sgd::new(vec![w.clone()], SgdOptions::default()).unwrap();
    w.set_grad(Some(Tensor::ones(&[2], DType::F32))).unwrap();
    let g = w.grad().unwrap();
    opt.zero_grad_with(false).unwrap();
    assert!(w.grad().unwrap().same(&g));
    assert_eq!(g.to_vec::<f32>().unwrap(), vec![0.0, 0.0]);
    opt.zero_grad().unwrap();
    assert!(w.grad().is_none());
}

#[test]
fn constructor_errors_have_pytorch_messages() {
    let w = leaf(vec![1.0]);
    let msg = |r: Result<Sgd>| r.err().map(|e| e.to_string());
    assert_eq!(msg(Sgd::new(vec![], SgdOptions::default())).unwrap(), "optimizer got an empty parameter list");
    assert_eq!(msg(Sgd::new(vec![w.clone()], SgdOptions { lr: -0.1, ..Default::default() })).unwrap(), "Invalid learning rate: -0.1");
    assert_eq!(
        msg(Sgd::new(vec![w.clone()], SgdOptions { nesterov: true, ..Default::default() })).unwrap(),
        "Nesterov momentum requires a momentum and zero dampening"
    );
    let bad = Adam::new(vec![w.clone()], AdamOptions { betas: (1.0, 0.999), ..Default::default() });
    assert_eq!(bad.err().unwrap().to_string(), "Invalid beta parameter at index 0: 1");
    let non_leaf = ops::mul(&w, &w).unwrap();
    assert_eq!(msg(Sgd::new(vec![non_leaf], SgdOptions::default())).unwrap(), "can't optimize a non-leaf Tensor");
    let groups = vec![
        ParamGroup { params: vec![w.clone()], options: SgdOptions::default() },
        ParamGroup { params: vec![w.clone()], options: SgdOptions::default() },
    ];
    assert_eq!(msg(Sgd::with_groups(groups)).unwrap(), "some parameters appear in more than one parameter group");
}

#[test]
fn a_bad_group_fails_before_writing_anything() {
    let (a, b) = (Tensor::ones(&[3], DType::F32), Tensor::ones(&[2], DType::F32));
    let grads = [Tensor::ones(&[3], DType::F32), Tensor::ones(&[2], DType::F32)];
    let (m, v) = ([Tensor::zeros(&[3], DType::F32), Tensor::zeros(&[3], DType::F32)], [Tensor::zeros(&[3], DType::F32), Tensor::zeros(&[2], DType::F32)]);
    let steps = [new_step(), new_step()];
    let h = AdamHyper { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0, amsgrad: false, maximize: false, decoupled_weight_decay: false };
    let err = adam_step(&[a.clone(), b.clone()], &grads, &m, &v, &[], &steps, &h).unwrap_err();
    assert_eq!(err.to_string(), "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0");
    assert_eq!(a.to_vec::<f32>().unwrap(), vec![1.0; 3]);
    assert_eq!((a.version(), steps[0].item_f64().unwrap()), (0, 0.0));
    assert_eq!(m[0].to_vec::<f32>().unwrap(), vec![0.0; 3]);
}

#[test]
fn strided_and_aliased_tensors_take_the_copy_path() {
    // A parameter viewing every other element of a buffer, and a gradient in the same storage.
    let base = Tensor::from_vec(vec![1.0f64, 10.0, 2.0, 20.0, 3.0, 30.0], &[6]).unwrap();
    let p = base.view_with_layout(Layout { shape: vec![3], strides: vec![2], offset: 0 });
    let g = base.view_with_layout(Layout { shape: vec![3], strides: vec![2], offset: 1 });
    let h = SgdHyper { lr: 0.1, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false, maximize: false };
    let mut bufs = vec![None];
    sgd_step(std::slice::from_ref(&p), std::slice::from_ref(&g), &mut bufs, &h).unwrap();
    let got = base.to_vec::<f64>().unwrap();
    let want = [1.0 - 0.1 * 10.0, 10.0, 2.0 - 0.1 * 20.0, 20.0, 3.0 - 0.1 * 30.0, 30.0];
    assert!(got.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12), "{got:?}");
    assert_eq!(bufs[0].as_ref().unwrap().to_vec::<f64>().unwrap(), vec![10.0, 20.0, 30.0]);
    assert_eq!(base.version(), 1, "views share the version counter");
}
