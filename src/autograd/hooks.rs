//! Hooks: user functions the engine calls during backward. Tensor hooks may replace the gradient
//! flowing into a tensor; post-accumulate hooks see a leaf after its `.grad` changed; node hooks see
//! a node's gradients before and after it runs. The core stores them as plain closures, so Python
//! callables (wrapped by the bindings) and Rust closures are alike.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::tensor::{shape_str, Tensor};

/// A tensor hook: gets the incoming gradient, may return a replacement.
pub type TensorHook = Arc<dyn Fn(&Tensor) -> Result<Option<Tensor>> + Send + Sync>;
/// Called with the leaf itself after its `.grad` was accumulated.
pub type PostAccumulateHook = Arc<dyn Fn(&Tensor) -> Result<()> + Send + Sync>;
/// A node pre-hook: gets the node's incoming gradients, may return replacements.
pub type NodePreHook = Arc<dyn Fn(&[Option<Tensor>]) -> Result<Option<Vec<Option<Tensor>>>> + Send + Sync>;
/// A node hook: gets the gradients the node produced and the ones it received, may replace the former.
pub type NodePostHook = Arc<dyn Fn(&[Option<Tensor>], &[Option<Tensor>]) -> Result<Option<Vec<Option<Tensor>>>> + Send + Sync>;

/// A registered hook with the handle id that removes it and the name used in error messages.
#[derive(Clone)]
pub struct Registered<H> {
    /// Removal key.
    pub id: u64,
    /// The function's name (`<lambda>`), for "hook '...' has changed ..." messages.
    pub name: String,
    /// The hook.
    pub hook: H,
}

static NEXT_HOOK_ID: AtomicU64 = AtomicU64::new(1);

impl<H> Registered<H> {
    /// Wraps `hook` with a fresh id.
    pub fn new(name: impl Into<String>, hook: H) -> Self {
        Registered { id: NEXT_HOOK_ID.fetch_add(1, Ordering::Relaxed), name: name.into(), hook }
    }
}

/// Runs tensor hooks in registration order on `grad`, checking that none changes its size or dtype.
pub fn run_tensor_hooks(hooks: &[Registered<TensorHook>], grad: Tensor) -> Result<Tensor> {
    let mut grad = grad;
    for h in hooks {
        if let Some(new) = (h.hook)(&grad)? {
            if new.shape() != grad.shape() {
                return Err(Error::runtime(format!("hook '{}' has changed the size of value", h.name)));
            }
            if new.dtype() != grad.dtype() {
                return Err(Error::runtime(format!(
                    "hook '{}' has changed the type of value (was {} got {})",
                    h.name,
                    grad.dtype().legacy_type_name(),
                    new.dtype().legacy_type_name()
                )));
            }
            grad = new;
        }
    }
    Ok(grad)
}

/// Checks a node hook's replacement list against what it replaces.
pub fn check_replacement(name: &str, old: &[Option<Tensor>], new: Vec<Option<Tensor>>) -> Result<Vec<Option<Tensor>>> {
    if new.len() != old.len() {
        return Err(Error::runtime(format!(
            "hook '{name}' has returned an incorrect number of values (got {}, but expected {})",
            new.len(),
            old.len()
        )));
    }
    for (o, n) in old.iter().zip(&new) {
        if let (Some(o), Some(n)) = (o, n) {
            if o.shape() != n.shape() {
                return Err(Error::runtime(format!(
                    "hook '{name}' has changed the size of value: expected {} but got {}",
                    shape_str(&o.shape()),
                    shape_str(&n.shape())
                )));
            }
        }
    }
    Ok(new)
}
