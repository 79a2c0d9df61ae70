//! Training without Python: fit `y = 3x - 2` with a one-feature linear model, Adam and a
//! hand-written step decay of the learning rate.
//!
//! Run with `cargo run --release --example rust_training`.

use rustgrad::autograd::backward;
use rustgrad::optim::{Adam, AdamOptions, Optimizer};
use rustgrad::{ops, Result, Tensor};

fn main() -> Result<()> {
    // Data: 64 points on the line, with a little deterministic noise.
    let xs: Vec<f32> = (0..64).map(|i| i as f32 / 32.0 - 1.0).collect();
    let ys: Vec<f32> = xs.iter().enumerate().map(|(i, x)| 3.0 * x - 2.0 + 0.01 * ((i * 7 % 5) as f32 - 2.0)).collect();
    let x = Tensor::from_vec(xs, &[64])?;
    let y = Tensor::from_vec(ys, &[64])?;

    // Parameters: leaves that require grad.
    let w = Tensor::from_vec(vec![0.0f32], &[1])?.with_requires_grad(true)?;
    let b = Tensor::from_vec(vec![0.0f32], &[1])?.with_requires_grad(true)?;
    let mut opt = Adam::new(vec![w.clone(), b.clone()], AdamOptions { lr: 0.1, ..Default::default() })?;

    for epoch in 0..600 {
        opt.zero_grad()?;
        let pred = ops::add(&ops::mul(&x, &w)?, &b)?;
        let err = ops::sub(&pred, &y)?;
        let loss = ops::mean(&ops::mul(&err, &err)?)?;
        backward(&[loss.clone()], vec![None], None, false, None)?;
        opt.step()?;
        // StepLR(step_size=200, gamma=0.1), by hand.
        if (epoch + 1) % 200 == 0 {
            for group in opt.param_groups_mut() {
                group.options.lr *= 0.1;
            }
        }
        if epoch % 100 == 0 || epoch == 599 {
            println!("epoch {epoch:3}  loss {:.6}  w {:.4}  b {:.4}", loss.item_f64()?, w.item_f64()?, b.item_f64()?);
        }
    }
    let (w, b) = (w.item_f64()?, b.item_f64()?);
    assert!((w - 3.0).abs() < 1e-2 && (b + 2.0).abs() < 1e-2, "did not converge: w={w} b={b}");
    println!("fitted y = {w:.3}x {b:+.3}");
    Ok(())
}
