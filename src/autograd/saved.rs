//! Tensors saved for backward: they remember the version they were saved at, and a node's saved
//! set can be released after backward (then any use raises PyTorch's "second time" error).
//!
//! Saved-tensor hooks (PyTorch's `torch.autograd.graph.saved_tensors_hooks`): while a pair of
//! hooks is pushed on this thread, every tensor an op saves is handed to the pack hook when the op
//! is recorded, and the node keeps only what the hook returned (the tensor itself is no longer
//! held, so its memory can be freed); the unpack hook turns that back into a tensor when backward
//! reads it. Activation checkpointing is built on this. As in PyTorch, a packed tensor is not
//! checked for in-place modification (the hooks own it), and the unpacked value is re-attached to
//! the original's history: its grad_fn, or the leaf's AccumulateGrad node.

use std::cell::RefCell;
use std::sync::Arc;

use parking_lot::Mutex;

use super::grad_mode::{is_anomaly_enabled, GradModeGuard};
use super::arena::{NodeRef, WeakNodeRef};
use crate::error::{Error, Result};
use crate::tensor::{shape_str, Tensor};

const FREED_MESSAGE: &str = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward.";

const PACK_MODIFIED_MESSAGE: &str = "A saved tensor pack hook is modifying its input in place. Tensors provided as input to pack hook cannot be modified by in-place operations as this can lead to unexpected side-effects. Please open an issue if you need to perform in-place operations on the input to a pack hook.";

/// A pair of saved-tensor hooks: `pack` is called when an op saves a tensor.
pub trait SavedTensorHooks: Send + Sync {
    /// Turns a tensor being saved into what the node keeps instead.
    fn pack(&self, tensor: &Tensor) -> Result<Arc<dyn PackedTensor>>;
}

/// What a pack hook returned; `unpack` (the unpack hook) gives the tensor back during backward.
pub trait PackedTensor: Send + Sync {
    /// The saved value (called on every access, as PyTorch calls the unpack hook).
    fn unpack(&self) -> Result<Tensor>;
}

thread_local! {
    /// The pushed hook pairs of this thread; only the innermost one applies.
    static HOOKS: RefCell<Vec<Arc<dyn SavedTensorHooks>>> = const { RefCell::new(Vec::new()) };
}

/// Pushes a pair of hooks (entering `saved_tensors_hooks`).
pub fn push_saved_tensors_hooks(hooks: Arc<dyn SavedTensorHooks>) {
    HOOKS.with(|h| h.borrow_mut().push(hooks));
}

/// Pops the innermost pair (leaving `saved_tensors_hooks`); false when none was pushed.
pub fn pop_saved_tensors_hooks() -> bool {
    HOOKS.with(|h| h.borrow_mut().pop().is_some())
}

fn current_hooks() -> Option<Arc<dyn SavedTensorHooks>> {
    HOOKS.with(|h| h.borrow().last().cloned())
}

/// How an unpacked input is re-attached to the graph (the original tensor is not kept).
#[derive(Clone)]
enum InputHistory {
    /// A non-leaf: its grad_fn and output number.
    NonLeaf(NodeRef, usize),
    /// A leaf that requires grad: its AccumulateGrad node (weak, as PyTorch's grad_accumulator).
    Leaf(WeakNodeRef),
    /// Does not require grad.
    None,
}

/// Where a saved tensor's value lives.
#[derive(Clone)]
enum SavedData {
    /// An input: the tensor itself (with its history, so double backward can flow through it).
    /// An output: an alias without history, re-attached on unpack (holding the output itself
    /// would make a cycle node -> output -> node).
    Direct(Tensor),
    /// Handed to a pack hook; `source_id` identifies the saved tensor (for in-place retargeting).
    Packed { packed: Arc<dyn PackedTensor>, source_id: usize, history: InputHistory },
    /// Nothing was saved (an optional operand that was absent or not needed).
    Undefined,
}

/// One saved tensor.
#[derive(Clone)]
pub struct SavedTensor {
    data: SavedData,
    saved_version: u64,
    output_nr: Option<usize>,
    /// PyTorch's name for it (`self`, `other`, `result`...): the node exposes it to Python as
    /// `_saved_<name>`. Empty for unnamed (custom Functions' tensors).
    name: &'static str,
    /// Part of a saved tensor list (`_saved_indices` is a tuple).
    in_list: bool,
}

impl SavedTensor {
    /// Saves an input of the op.
    pub fn input(tensor: &Tensor) -> Self {
        SavedTensor { data: SavedData::Direct(tensor.clone()), saved_version: tensor.version(), output_nr: None, name: "", in_list: false }
    }

    /// Saves output `output_nr` of the op itself.
    pub fn output(tensor: &Tensor, output_nr: usize) -> Self {
        SavedTensor { data: SavedData::Direct(tensor.detach()), saved_version: tensor.version(), output_nr: Some(output_nr), name: "", in_list: false }
    }

    /// An optional operand the op did not save (PyTorch's undefined `SavedVariable`): unpacks as
    /// `None`, reads as `None` from Python under its name.
    pub fn undefined(name: &'static str) -> Self {
        SavedTensor { data: SavedData::Undefined, saved_version: 0, output_nr: None, name, in_list: false }
    }

    /// Saves input `tensor` if there is one, else an undefined entry, under `name`.
    pub fn maybe(name: &'static str, tensor: Option<&Tensor>) -> Self {
        match tensor {
            Some(t) => SavedTensor::input(t).named(name),
            None => SavedTensor::undefined(name),
        }
    }

    /// Gives the saved tensor PyTorch's name (`_saved_<name>` on the node).
    pub fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }

    /// Names it as one element of the saved list `name` (read back as a tuple).
    pub fn list_item(mut self, name: &'static str) -> Self {
        self.name = name;
        self.in_list = true;
        self
    }

    fn is_undefined(&self) -> bool {
        matches!(self.data, SavedData::Undefined)
    }

    /// Hands a directly held tensor to `hooks` (with grad mode off, as PyTorch); the node then
    /// keeps only the packed value.
    /// `output` is the op's output itself for a saved output (the hook sees it, with its grad_fn,
    /// as in PyTorch), else `None`.
    fn pack_with(&mut self, hooks: &dyn SavedTensorHooks, output: Option<&Tensor>) -> Result<()> {
        let SavedData::Direct(saved) = &self.data else { return Ok(()) };
        let tensor = output.unwrap_or(saved);
        let history = match self.output_nr {
            Some(_) => InputHistory::None, // re-attached to the saving node on unpack
            None => match (tensor.grad_fn()?, tensor.requires_grad()) {
                (Some(f), _) => InputHistory::NonLeaf(f, tensor.output_nr()),
                (None, true) => InputHistory::Leaf(tensor.gradient_edge()?.map(|e| NodeRef::downgrade(&e.node)).unwrap_or_default()),
                (None, false) => InputHistory::None,
            },
        };
        let version = tensor.version();
        let packed = {
            let _no_grad = GradModeGuard::new(false);
            hooks.pack(tensor)?
        };
        if tensor.version() != version {
            return Err(Error::runtime(PACK_MODIFIED_MESSAGE));
        }
        self.data = SavedData::Packed { packed, source_id: tensor.id(), history };
        Ok(())
    }

    /// The saved tensor, checked against in-place modification since it was saved.
    pub fn unpack(&self, node: &NodeRef) -> Result<Tensor> {
        let tensor = match &self.data {
            SavedData::Direct(t) => t,
            SavedData::Packed { packed, history, .. } => return self.unpack_packed(node, packed.as_ref(), history),
            SavedData::Undefined => return Err(Error::runtime("undefined saved tensor")),
        };
        let current = tensor.version();
        if current != self.saved_version {
            return Err(self.modified_error(node, tensor, current));
        }
        match self.output_nr {
            None => Ok(tensor.clone()),
            Some(nr) => {
                let t = tensor.alias();
                t.set_grad_fn(node.clone(), nr);
                Ok(t)
            }
        }
    }

    /// Calls the unpack hook and gives its result the original's place in the graph (a new
    /// tensor object over the returned data, as PyTorch's `make_variable`).
    fn unpack_packed(&self, node: &NodeRef, packed: &dyn PackedTensor, history: &InputHistory) -> Result<Tensor> {
        let t = packed.unpack()?.alias();
        match (self.output_nr, history) {
            (Some(nr), _) => t.set_grad_fn(node.clone(), nr),
            (None, InputHistory::NonLeaf(f, nr)) => t.set_grad_fn(f.clone(), *nr),
            (None, InputHistory::Leaf(acc)) => {
                let mut meta = t.autograd_meta();
                meta.requires_grad = true;
                meta.grad_accumulator = acc.clone();
            }
            (None, InputHistory::None) => {}
        }
        Ok(t)
    }

    fn modified_error(&self, node: &NodeRef, tensor: &Tensor, current: u64) -> Error {
        // Name the node that produced the tensor now: for an input that is its current grad_fn
        // (the in-place op that changed it), for an output the saving node itself.
        let producer = match self.output_nr {
            Some(nr) => Some((node.name().into_owned(), nr)),
            None => tensor.stored_grad_fn().map(|f| (f.name().into_owned(), tensor.output_nr())),
        };
        let which = match producer {
            Some((name, nr)) => format!(", which is output {nr} of {},", strip_backward_suffix(&name)),
            None => String::new(),
        };
        let hint = if is_anomaly_enabled() {
            "Hint: the backtrace further above shows the operation that failed to compute its gradient. The variable in question was changed in there or anywhere later. Good luck!"
        } else {
            "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with rustgrad.autograd.set_detect_anomaly(True, check_nan=False)."
        };
        Error::runtime(format!(
            "one of the variables needed for gradient computation has been modified by an inplace operation: [{} {}]{which} is at version {current}; expected version {} instead. {hint}",
            tensor.dtype().legacy_type_name(),
            shape_str(&tensor.shape()),
            self.saved_version
        ))
    }
}

/// `MulBackward0` -> `Mul`; special nodes keep PyTorch's C++ name.
fn strip_backward_suffix(name: &str) -> String {
    if name == "CopySlices" {
        return "torch::autograd::CopySlices".to_string();
    }
    match name.rfind("Backward") {
        Some(i) => name[..i].to_string(),
        None => name.to_string(),
    }
}

/// A non-tensor value an op keeps for backward, readable from Python as `_saved_<name>` (PyTorch
/// shows ints, floats, bools, strings, int tuples, or `None` for an absent optional).
#[derive(Clone, Debug, PartialEq)]
pub enum SavedValue {
    /// An absent optional argument.
    None,
    /// A flag (`keepdim`).
    Bool(bool),
    /// An int64 argument (`dim`); PyTorch shows a negative one as its unsigned 64-bit pattern
    /// (`dim=-1` reads 18446744073709551615).
    Int(i64),
    /// An integral Python-number argument (`alpha`, `exponent`), shown signed.
    ScalarInt(i64),
    /// A float (`negative_slope`).
    Float(f64),
    /// A tuple of integers (`self_sym_sizes`, `dims`).
    Ints(Vec<i64>),
    /// A string (`approximate`).
    Str(&'static str),
}

impl From<bool> for SavedValue {
    fn from(v: bool) -> Self {
        SavedValue::Bool(v)
    }
}
impl From<i64> for SavedValue {
    fn from(v: i64) -> Self {
        SavedValue::Int(v)
    }
}
impl From<usize> for SavedValue {
    fn from(v: usize) -> Self {
        SavedValue::Int(v as i64)
    }
}
impl From<f64> for SavedValue {
    fn from(v: f64) -> Self {
        SavedValue::Float(v)
    }
}
impl From<&'static str> for SavedValue {
    fn from(v: &'static str) -> Self {
        SavedValue::Str(v)
    }
}
impl From<Vec<i64>> for SavedValue {
    fn from(v: Vec<i64>) -> Self {
        SavedValue::Ints(v)
    }
}
impl From<&[usize]> for SavedValue {
    fn from(v: &[usize]) -> Self {
        SavedValue::Ints(v.iter().map(|&d| d as i64).collect())
    }
}
impl<T: Into<SavedValue>> From<Option<T>> for SavedValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SavedValue::None, Into::into)
    }
}

/// What `_saved_<name>` reads.
pub enum SavedAttr {
    /// A saved tensor (`None`: an undefined optional one).
    Tensor(Option<Tensor>),
    /// A saved tensor list (`_saved_indices`).
    Tensors(Vec<Option<Tensor>>),
    /// A saved non-tensor value.
    Value(SavedValue),
}

/// Name of one saved-tensor slot, fixed when the node is recorded (kept after release, so a
/// freed tensor still answers with PyTorch's "second time" error and an undefined one with None).
#[derive(Clone, Copy)]
struct SlotName {
    name: &'static str,
    in_list: bool,
    defined: bool,
}

/// The saved tensors of one node (an entry is `None` where the op had no need to save that
/// operand), released after a backward without `retain_graph`, and the op's saved non-tensor
/// values (`_saved_dim`...), which are never released.
pub struct SavedSet {
    tensors: Mutex<Option<Vec<Option<SavedTensor>>>>,
    names: Vec<SlotName>,
    values: Vec<(&'static str, SavedValue)>,
}

impl SavedSet {
    /// Saves `tensors`.
    pub fn new(tensors: Vec<Option<SavedTensor>>) -> Self {
        let names = tensors
            .iter()
            .map(|t| match t {
                Some(t) => SlotName { name: t.name, in_list: t.in_list, defined: !t.is_undefined() },
                None => SlotName { name: "", in_list: false, defined: false },
            })
            .collect();
        SavedSet { tensors: Mutex::new(Some(tensors)), names, values: Vec::new() }
    }

    /// Adds the op's saved non-tensor values.
    pub fn with_values(mut self, values: Vec<(&'static str, SavedValue)>) -> Self {
        self.values = values;
        self
    }

    /// True when the op saved at least one tensor slot (then a released set refuses a second
    /// backward).
    pub fn saves_tensors(&self) -> bool {
        !self.names.is_empty()
    }

    /// The names of everything saved (for `dir()`), in PyTorch's attribute spelling without the
    /// `_saved_` prefix.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.names.iter().map(|n| n.name).chain(self.values.iter().map(|v| v.0)).filter(|n| !n.is_empty()).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The value saved under `name` (`None`: nothing by that name). A saved tensor is unpacked
    /// (version-checked; an error after it was released).
    pub fn get(&self, name: &str, node: &NodeRef) -> Option<Result<SavedAttr>> {
        if let Some((_, v)) = self.values.iter().find(|(n, _)| *n == name) {
            return Some(Ok(SavedAttr::Value(v.clone())));
        }
        let slots: Vec<usize> = (0..self.names.len()).filter(|&i| self.names[i].name == name).collect();
        let first = *slots.first()?;
        let in_list = self.names[first].in_list;
        let read = || -> Result<SavedAttr> {
            let guard = self.tensors.lock();
            let mut values = Vec::with_capacity(slots.len());
            for &i in &slots {
                if !self.names[i].defined {
                    values.push(None);
                    continue;
                }
                let entries = guard.as_ref().ok_or_else(|| Error::runtime(FREED_MESSAGE))?;
                let entry = entries[i].clone().expect("a named slot holds an entry");
                values.push(Some(entry.unpack(node)?));
            }
            Ok(if in_list { SavedAttr::Tensors(values) } else { SavedAttr::Tensor(values.pop().flatten()) })
        };
        Some(read())
    }

    /// Unpacks every saved tensor, or fails if they were released or modified in place.
    pub fn unpack(&self, node: &NodeRef) -> Result<Vec<Option<Tensor>>> {
        if self.names.is_empty() {
            return Ok(Vec::new()); // only non-tensor values: nothing to free, nothing to refuse
        }
        let saved = self.tensors.lock().clone().ok_or_else(|| Error::runtime(FREED_MESSAGE))?;
        saved.iter().map(|s| s.as_ref().filter(|s| !s.is_undefined()).map(|s| s.unpack(node)).transpose()).collect()
    }

    /// True when one of the saved tensors was made in inference mode (those cannot be saved).
    pub fn holds_inference_tensor(&self) -> bool {
        self.tensors.lock().iter().flatten().flatten().any(|s| matches!(&s.data, SavedData::Direct(t) if t.is_inference()))
    }

    /// Hands every saved tensor to the innermost saved-tensor hooks of this thread, if any are
    /// pushed (called once by whoever records the node, right after saving).
    /// `outputs` are the op's outputs (saved outputs are handed over as themselves).
    pub fn apply_pack_hooks(&self, outputs: &[&Tensor]) -> Result<()> {
        let Some(hooks) = current_hooks() else { return Ok(()) };
        // Pack outside the lock: the hook is user code.
        let mut entries = self.tensors.lock().clone().unwrap_or_default();
        for entry in entries.iter_mut().flatten() {
            let output = entry.output_nr.and_then(|nr| outputs.get(nr).copied());
            entry.pack_with(hooks.as_ref(), output)?;
        }
        *self.tensors.lock() = Some(entries);
        Ok(())
    }

    /// Frees the saved tensors.
    pub fn release(&self) {
        self.tensors.lock().take();
    }

    /// Adjusts what was saved when the op's result is about to be written into `target` in place
    /// (whose version will then be `new_version`): a saved `target` input becomes `snapshot` (its
    /// old value, with its old history), and saved outputs become `target` itself. Packed outputs
    /// stay packed (their value is what `target` will hold); a packed `target` input is replaced
    /// by the snapshot, packed again by the current hooks.
    pub fn retarget_for_in_place(&self, target: &Tensor, snapshot: impl Fn() -> Result<Tensor>, new_version: u64) -> Result<()> {
        let hooks = current_hooks();
        let mut guard = self.tensors.lock();
        let Some(saved) = guard.as_mut() else { return Ok(()) };
        for entry in saved.iter_mut().flatten() {
            let is_target = match &entry.data {
                SavedData::Direct(t) => t.same(target),
                SavedData::Packed { source_id, .. } => *source_id == target.id(),
                SavedData::Undefined => continue,
            };
            match (&entry.data, entry.output_nr.is_some()) {
                (SavedData::Direct(_), true) => {
                    entry.data = SavedData::Direct(target.detach());
                    entry.saved_version = new_version;
                }
                (SavedData::Packed { .. }, true) => {}
                (data, false) if is_target => {
                    let was_packed = matches!(data, SavedData::Packed { .. });
                    *entry = SavedTensor { name: entry.name, in_list: entry.in_list, ..SavedTensor::input(&snapshot()?) };
                    if let (true, Some(h)) = (was_packed, &hooks) {
                        entry.pack_with(h.as_ref(), None)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::autograd::{grad, pop_saved_tensors_hooks, push_saved_tensors_hooks};
    use crate::ops;

    /// Packs by copying the values into a fresh tensor (so the original is not held) and counts
    /// packs and unpacks.
    struct CopyHooks {
        packs: Arc<AtomicUsize>,
        unpacks: Arc<AtomicUsize>,
    }

    struct Copied(Tensor, Arc<AtomicUsize>);

    impl SavedTensorHooks for CopyHooks {
        fn pack(&self, t: &Tensor) -> Result<Arc<dyn PackedTensor>> {
            self.packs.fetch_add(1, Ordering::SeqCst);
            let copy = Tensor::from_vec(t.to_vec::<f64>()?, &t.shape())?;
            Ok(Arc::new(Copied(copy, self.unpacks.clone())))
        }
    }

    impl PackedTensor for Copied {
        fn unpack(&self) -> Result<Tensor> {
            self.1.fetch_add(1, Ordering::SeqCst);
            Ok(self.0.clone())
        }
    }

    fn leaf(values: Vec<f64>) -> Tensor {
        Tensor::from_vec(values, &[2]).unwrap().with_requires_grad(true).unwrap()
    }

    #[test]
    fn packed_tensors_give_the_same_gradients_and_drop_the_originals() {
        let (packs, unpacks) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (x, w) = (leaf(vec![1.0, 2.0]), leaf(vec![3.0, 4.0]));
        push_saved_tensors_hooks(Arc::new(CopyHooks { packs: packs.clone(), unpacks: unpacks.clone() }));
        let h = ops::mul(&x, &w).unwrap();
        let y = ops::exp(&h).unwrap(); // saves its output
        let s = ops::sum(&y).unwrap();
        assert!(pop_saved_tensors_hooks());
        assert_eq!(packs.load(Ordering::SeqCst), 3, "mul saves x and w, exp its result");
        assert_eq!(h.handle_count(), 1, "the graph does not hold the intermediate");
        let g = grad(&[s], &[x.clone(), w.clone()], vec![None], None, false, false, false).unwrap();
        assert_eq!(unpacks.load(Ordering::SeqCst), 3);
        let e = [3.0f64.exp(), 8.0f64.exp()];
        let gx = g[0].as_ref().unwrap().to_vec::<f64>().unwrap();
        assert!((gx[0] - 3.0 * e[0]).abs() < 1e-9 && (gx[1] - 4.0 * e[1]).abs() < 1e-6);
    }

    #[test]
    fn unpacked_leaf_input_keeps_its_accumulator_for_double_backward() {
        let x = leaf(vec![1.0, 2.0]);
        let (packs, unpacks) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        push_saved_tensors_hooks(Arc::new(CopyHooks { packs, unpacks }));
        let y = ops::sum(&ops::mul(&x, &x).unwrap()).unwrap();
        pop_saved_tensors_hooks();
        let g = grad(&[y], std::slice::from_ref(&x), vec![None], None, true, false, false).unwrap();
        let g = g[0].clone().unwrap();
        assert_eq!(g.to_vec::<f64>().unwrap(), vec![2.0, 4.0]);
        let h = grad(&[ops::sum(&g).unwrap()], &[x], vec![None], None, false, false, false).unwrap();
        assert_eq!(h[0].as_ref().unwrap().to_vec::<f64>().unwrap(), vec![2.0, 2.0]);
    }

    #[test]
    fn no_hooks_means_nothing_to_pop() {
        assert!(!pop_saved_tensors_hooks());
    }
}
