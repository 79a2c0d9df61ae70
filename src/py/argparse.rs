//! PyTorch's argument-parser errors (torch/csrc/utils/python_arg_parser.cpp and
//! invalid_arguments.cpp), for the error path of bindings: when a binding cannot use its arguments,
//! `refine` asks the parser what PyTorch raises for them (`view(): argument 'size' ...`, `sum()
//! received an invalid combination of arguments - got (str), but expected one of: ...`) instead of
//! letting PyO3's extraction text through. Signatures are PyTorch's, in its native format
//! (`sum(IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)`); only the failure
//! path parses them, successful calls never come here.

use std::collections::HashMap;
use std::sync::OnceLock;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

use super::dtype::PyDType;
use super::invalid_args::format_invalid_args;
use super::signatures::SIGNATURES;
use super::generator::PyGenerator;
use super::tensor::PyTensor;

#[derive(Clone, Copy, PartialEq, Debug)]
enum Ty {
    Tensor,
    Scalar,
    Int,
    Double,
    Bool,
    IntList,
    ScalarType,
    Device,
    Generator,
    Layout,
    MemoryFormat,
    Str,
    TensorList,
    Object,
}

impl Ty {
    fn parse(s: &str) -> Ty {
        match s {
            "Tensor" => Ty::Tensor,
            "Scalar" => Ty::Scalar,
            "int64_t" | "SymInt" => Ty::Int,
            "double" => Ty::Double,
            "bool" => Ty::Bool,
            "IntArrayRef" | "SymIntArrayRef" => Ty::IntList,
            "ScalarType" => Ty::ScalarType,
            "Device" => Ty::Device,
            "Generator" => Ty::Generator,
            "Layout" => Ty::Layout,
            "MemoryFormat" => Ty::MemoryFormat,
            "c10::string_view" | "std::string" => Ty::Str,
            "TensorList" => Ty::TensorList,
            "PyObject*" => Ty::Object,
            other => panic!("unknown parameter type {other}"),
        }
    }

    /// `FunctionParameter::type_name` (with `torch.` spelled `rustgrad.`).
    fn name(self) -> &'static str {
        match self {
            Ty::Tensor => "Tensor",
            Ty::Scalar => "Number",
            Ty::Int => "int",
            Ty::Double => "float",
            Ty::Bool => "bool",
            Ty::IntList => "tuple of ints",
            Ty::ScalarType => "rustgrad.dtype",
            Ty::Device => "rustgrad.device",
            Ty::Generator => "rustgrad.Generator",
            Ty::Layout => "rustgrad.layout",
            Ty::MemoryFormat => "rustgrad.memory_format",
            Ty::Str => "str",
            Ty::TensorList => "tuple of Tensors",
            Ty::Object => "object",
        }
    }
}

struct Param {
    ty: Ty,
    size: usize,
    name: String,
    default: Option<String>,
    allow_none: bool,
    keyword_only: bool,
}

impl Param {
    fn new(fmt: &str, keyword_only: bool) -> Param {
        let space = fmt.find(' ').expect("parameter has a type and a name");
        let (mut ty, rest) = (&fmt[..space], &fmt[space + 1..]);
        let mut allow_none = false;
        if let Some(q) = ty.find('?') {
            allow_none = true;
            ty = &ty[..q];
        }
        let mut size = 0;
        if let Some(b) = ty.find('[') {
            size = ty[b + 1..ty.len() - 1].parse().expect("list size");
            ty = &ty[..b];
        }
        let (name, default) = match rest.find('=') {
            Some(eq) => (rest[..eq].to_string(), Some(rest[eq + 1..].to_string())),
            None => (rest.to_string(), None),
        };
        let ty = Ty::parse(ty);
        // PyTorch takes None for an int list with a default (`roll(1, None)`, `amax(None)`)
        if default.as_deref() == Some("None") || (ty == Ty::IntList && default.is_some()) {
            allow_none = true;
        }
        Param { ty, size, name, default, allow_none, keyword_only }
    }

    fn optional(&self) -> bool {
        self.default.is_some()
    }
}

struct Signature {
    name: String,
    params: Vec<Param>,
    hidden: bool,
    /// A deprecated overload (`|deprecated`): matched with PyTorch's warning, never listed.
    deprecated: bool,
    min_args: usize,
    max_pos_args: usize,
}

impl Signature {
    fn new(fmt: &str) -> Signature {
        let open = fmt.find('(').expect("signature has parameters");
        let close = fmt.rfind(')').expect("signature closes");
        let name = fmt[..open].to_string();
        let mut params = Vec::new();
        let mut keyword_only = false;
        let inner = &fmt[open + 1..close];
        if !inner.is_empty() {
            for p in inner.split(", ") {
                if p == "*" {
                    keyword_only = true;
                } else {
                    params.push(Param::new(p, keyword_only));
                }
            }
        }
        let deprecated = &fmt[close + 1..] == "|deprecated";
        let hidden = deprecated || &fmt[close + 1..] == "|hidden";
        let min_args = params.iter().filter(|p| !p.optional()).count();
        let max_pos_args = params.iter().filter(|p| !p.keyword_only).count();
        Signature { name, params, hidden, deprecated, min_args, max_pos_args }
    }

    fn max_args(&self) -> usize {
        self.params.len()
    }

    /// `FunctionSignature::toString` as PyTorch 2.13 prints it (with defaults).
    fn printed(&self) -> String {
        let mut s = String::from("(");
        let mut keyword_already = false;
        for (i, p) in self.params.iter().enumerate() {
            if i != 0 {
                s += ", ";
            }
            if p.keyword_only && !keyword_already {
                s += "*, ";
                keyword_already = true;
            }
            s += p.ty.name();
            s += " ";
            s += &p.name;
            if let Some(d) = &p.default {
                s += " = ";
                s += d;
            }
        }
        s + ")"
    }
}

pub(super) fn tp_name(obj: &Bound<'_, PyAny>) -> String {
    // CPython's tp_name: the qualified name for rustgrad's C-level types ('rustgrad.dtype').
    let ty = obj.get_type();
    let name = ty.name().map(|n| n.to_string()).unwrap_or_else(|_| "object".into());
    if ty.is(obj.py().get_type::<PyDType>()) || ty.is(obj.py().get_type::<PyGenerator>()) {
        return format!("rustgrad.{name}");
    }
    name
}

fn check_long(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>()
}

fn check_double(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>()
}

/// `THPUtils_checkIndex`: an int, or anything with `__index__`, but not a bool.
fn check_index(obj: &Bound<'_, PyAny>) -> bool {
    if obj.is_instance_of::<PyBool>() {
        return false;
    }
    if check_long(obj) {
        return true;
    }
    // SAFETY: `obj` is a valid object; the result is owned and released by `from_owned_ptr_or_opt`.
    let index = unsafe { Bound::from_owned_ptr_or_opt(obj.py(), pyo3::ffi::PyNumber_Index(obj.as_ptr())) };
    if index.is_none() {
        let _ = PyErr::take(obj.py());
    }
    index.is_some()
}

fn tensor_of(obj: &Bound<'_, PyAny>) -> Option<crate::tensor::Tensor> {
    obj.cast::<PyTensor>().ok().map(|t| t.get().inner.clone())
}

pub(super) fn is_sequence(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyTuple>() || obj.is_instance_of::<PyList>()
}

pub(super) fn items<'py>(obj: &Bound<'py, PyAny>) -> Vec<Bound<'py, PyAny>> {
    obj.try_iter().map(|it| it.filter_map(|x| x.ok()).collect()).unwrap_or_default()
}

/// `is_int_list`: an empty sequence, or one whose first element is an index; a bare int when the
/// list has a fixed size.
fn is_int_list(obj: &Bound<'_, PyAny>, size: usize) -> bool {
    if is_sequence(obj) {
        return items(obj).first().is_none_or(check_index);
    }
    size > 0 && check_long(obj)
}

/// A sequence whose first element is not an int (PyTorch's `failed_idx` 0).
fn bad_first_element<'py>(obj: &Bound<'py, PyAny>) -> Option<Bound<'py, PyAny>> {
    if !is_sequence(obj) {
        return None;
    }
    items(obj).into_iter().next().filter(|first| !check_index(first))
}

fn type_object_is_scalar_type(obj: &Bound<'_, PyAny>) -> bool {
    let py = obj.py();
    obj.cast::<PyType>().is_ok_and(|t| {
        t.is(py.get_type::<PyFloat>()) || t.is(py.get_type::<PyInt>()) || t.is(py.get_type::<PyBool>()) || t.is(py.get_type::<PyComplex>())
    })
}

/// `FunctionParameter::check`; `Err` for the TensorList refusal PyTorch raises while matching.
fn check(p: &Param, obj: &Bound<'_, PyAny>, argnum: usize, numbers_as_tensors: bool) -> PyResult<bool> {
    let scalar_tensor = |obj: &Bound<'_, PyAny>| tensor_of(obj).is_some_and(|t| !t.requires_grad() && t.dim() == 0);
    Ok(match p.ty {
        Ty::Tensor => tensor_of(obj).is_some() || (numbers_as_tensors && (check_double(obj) || obj.is_instance_of::<PyComplex>())),
        Ty::Scalar | Ty::Double => check_double(obj) || obj.is_instance_of::<PyComplex>() && p.ty == Ty::Scalar || scalar_tensor(obj),
        Ty::Int => {
            check_long(obj)
                || tensor_of(obj).is_some_and(|t| t.dtype().is_integral() && !t.requires_grad() && t.dim() == 0)
        }
        Ty::Bool => obj.is_instance_of::<PyBool>(),
        Ty::IntList => is_int_list(obj, p.size),
        Ty::ScalarType => obj.cast::<PyDType>().is_ok() || type_object_is_scalar_type(obj),
        Ty::Device => check_long(obj) || obj.is_instance_of::<PyString>() || tp_name(obj) == "device",
        Ty::Generator => obj.cast::<PyGenerator>().is_ok(),
        Ty::Layout => tp_name(obj) == "layout",
        Ty::MemoryFormat => tp_name(obj) == "memory_format",
        Ty::Str => obj.is_instance_of::<PyString>(),
        Ty::Object => true,
        Ty::TensorList => {
            if !is_sequence(obj) {
                return Ok(false);
            }
            for (i, item) in items(obj).iter().enumerate() {
                if tensor_of(item).is_none() {
                    return Err(PyTypeError::new_err(format!(
                        "expected Tensor as element {i} in argument {argnum}, but got {}",
                        tp_name(item)
                    )));
                }
            }
            true
        }
    })
}

/// What `FunctionSignature::parse` found.
enum Parsed<'py> {
    /// The arguments fit: the object bound to each parameter (`None`: absent or None).
    Match(Vec<Option<Bound<'py, PyAny>>>),
    NoMatch,
}

fn extra_args(sig: &Signature, nargs: usize) -> PyErr {
    if sig.min_args != sig.max_pos_args {
        return PyTypeError::new_err(format!(
            "{}() takes from {} to {} positional arguments but {nargs} were given",
            sig.name, sig.min_args, sig.max_pos_args
        ));
    }
    PyTypeError::new_err(format!(
        "{}() takes {} positional argument{} but {nargs} {} given",
        sig.name,
        sig.max_pos_args,
        if sig.max_pos_args == 1 { "" } else { "s" },
        if nargs == 1 { "was" } else { "were" }
    ))
}

fn missing_args(sig: &Signature, idx: usize) -> PyErr {
    let missing: Vec<String> = sig.params[idx..].iter().filter(|p| !p.optional()).map(|p| format!("\"{}\"", p.name)).collect();
    // PyTorch's own plural test is inverted ("1 required positional arguments").
    PyTypeError::new_err(format!(
        "{}() missing {} required positional argument{}: {}",
        sig.name,
        missing.len(),
        if missing.len() == 1 { "s" } else { "" },
        missing.join(", ")
    ))
}

fn extra_kwargs(sig: &Signature, kwargs: &Bound<'_, PyDict>, nargs: usize) -> PyErr {
    for (key, _) in kwargs.iter() {
        let key = key.to_string();
        match sig.params.iter().position(|p| p.name == key) {
            None => return PyTypeError::new_err(format!("{}() got an unexpected keyword argument '{key}'", sig.name)),
            Some(i) if i < nargs => {
                return PyTypeError::new_err(format!("{}() got multiple values for argument '{key}'", sig.name))
            }
            Some(_) => {}
        }
    }
    PyTypeError::new_err("invalid keyword arguments")
}

/// PyTorch lets numbers stand for tensors in the arithmetic functions.
fn numbers_as_tensors(name: &str) -> bool {
    // python_arg_parser.cpp's should_allow_numbers_as_tensors
    const NAMES: &[&str] = &[
        "add", "add_", "div", "div_", "divide", "divide_", "mul", "mul_", "multiply", "multiply_", "sub", "sub_",
        "subtract", "subtract_", "true_divide", "true_divide_", "to", "copy_", "floor_divide", "floor_divide_",
    ];
    NAMES.contains(&name)
}

fn parse<'py>(
    sig: &Signature,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    raise: bool,
) -> PyResult<Parsed<'py>> {
    let nargs = args.len();
    let mut remaining_kwargs = kwargs.map_or(0, |k| k.len());
    let mut arg_pos = 0;
    let varargs_intlist = sig.max_pos_args == 1 && sig.params[0].ty == Ty::IntList;
    if nargs > sig.max_pos_args && !varargs_intlist {
        return if raise { Err(extra_args(sig, nargs)) } else { Ok(Parsed::NoMatch) };
    }
    let numbers = numbers_as_tensors(&sig.name);
    let mut bound = Vec::with_capacity(sig.params.len());
    for (i, p) in sig.params.iter().enumerate() {
        let mut is_kwd = false;
        let obj = if arg_pos < nargs {
            if p.keyword_only {
                return if raise { Err(extra_args(sig, nargs)) } else { Ok(Parsed::NoMatch) };
            }
            Some(args.get_item(arg_pos)?)
        } else {
            is_kwd = true;
            match kwargs {
                Some(k) => k.get_item(&p.name)?,
                None => None,
            }
        };
        let varargs_eligible = varargs_intlist && arg_pos == 0 && !is_kwd;
        let given_by_keyword = is_kwd && obj.is_some();
        match obj {
            None if p.optional() => bound.push(None),
            Some(o) if o.is_none() && p.allow_none => bound.push(None),
            None => return if raise { Err(missing_args(sig, i)) } else { Ok(Parsed::NoMatch) },
            Some(o) => {
                if check(p, &o, i, numbers)? {
                    bound.push(Some(o));
                } else if varargs_eligible && is_int_list(args.as_any(), p.size) {
                    // every positional argument is the list: `view(2, 3)` is `view((2, 3))`
                    bound.push(Some(args.clone().into_any()));
                    arg_pos = nargs;
                    continue;
                } else if raise {
                    let first = if p.ty == Ty::IntList && !is_kwd { bad_first_element(&o) } else { None };
                    let msg = if let Some(first) = first {
                        format!(
                            "{}(): argument '{}' (position {}) must be {}, but found element of type {} at pos 0",
                            sig.name,
                            p.name,
                            arg_pos + 1,
                            p.ty.name(),
                            tp_name(&first)
                        )
                    } else if is_kwd {
                        format!("{}(): argument '{}' must be {}, not {}", sig.name, p.name, p.ty.name(), tp_name(&o))
                    } else {
                        format!(
                            "{}(): argument '{}' (position {}) must be {}, not {}",
                            sig.name,
                            p.name,
                            arg_pos + 1,
                            p.ty.name(),
                            tp_name(&o)
                        )
                    };
                    return Err(PyTypeError::new_err(msg));
                } else {
                    return Ok(Parsed::NoMatch);
                }
            }
        }
        if !is_kwd {
            arg_pos += 1;
        } else if given_by_keyword {
            remaining_kwargs -= 1;
        }
    }
    if remaining_kwargs > 0 {
        return if raise { Err(extra_kwargs(sig, kwargs.expect("kwargs remain"), nargs)) } else { Ok(Parsed::NoMatch) };
    }
    Ok(Parsed::Match(bound))
}

/// After a match, PyTorch unpacks int lists element by element (`view(2, 'a')`).
fn unpack_error(sig: &Signature, bound: &[Option<Bound<'_, PyAny>>]) -> Option<PyErr> {
    for (p, obj) in sig.params.iter().zip(bound) {
        let Some(obj) = obj else { continue };
        if p.ty != Ty::IntList || !is_sequence(obj) {
            continue;
        }
        for (i, item) in items(obj).iter().enumerate() {
            if !check_index(item) {
                return Some(PyTypeError::new_err(format!(
                    "{}(): argument '{}' failed to unpack the object at pos {} with error \"type must be tuple of ints,but got {}\"",
                    sig.name,
                    p.name,
                    i + 1,
                    tp_name(item)
                )));
            }
        }
    }
    None
}

/// A PyTorch function's overloads.
pub struct Parser {
    sigs: Vec<Signature>,
}

impl Parser {
    fn new(fmts: &[&str]) -> Parser {
        Parser { sigs: fmts.iter().map(|f| Signature::new(f)).collect() }
    }

    /// PyTorch's TypeError for these arguments, or `None` when its parser takes them.
    pub fn error(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> Option<PyErr> {
        self.try_error(args, kwargs).unwrap_or_else(Some)
    }

    fn try_error(&self, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<PyErr>> {
        let kwargs = kwargs.filter(|k| !k.is_empty());
        if self.sigs.len() == 1 {
            return Ok(match parse(&self.sigs[0], args, kwargs, true) {
                Err(e) => Some(e),
                Ok(Parsed::Match(b)) => unpack_error(&self.sigs[0], &b),
                Ok(Parsed::NoMatch) => None,
            });
        }
        for sig in &self.sigs {
            if let Parsed::Match(b) = parse(sig, args, kwargs, false)? {
                return Ok(unpack_error(sig, &b));
            }
        }
        // print_error: one plausible overload raises its own message
        let n = args.len() + kwargs.map_or(0, |k| k.len());
        let plausible: Vec<&Signature> =
            self.sigs.iter().filter(|s| n >= s.min_args && n <= s.max_args() && !s.hidden).collect();
        if let [only] = plausible[..] {
            if let Err(e) = parse(only, args, kwargs, true) {
                return Ok(Some(e));
            }
        }
        let options: Vec<String> = self.sigs.iter().filter(|s| !s.hidden).map(Signature::printed).collect();
        let positional: Vec<Bound<'_, PyAny>> = args.iter().collect();
        // PyTorch collects the keywords into a std::unordered_map, whose iteration order for a few
        // keys is the reverse of insertion.
        let keywords: Vec<(String, Bound<'_, PyAny>)> =
            kwargs.map(|k| k.iter().map(|(a, b)| (a.to_string(), b)).collect::<Vec<_>>()).unwrap_or_default().into_iter().rev().collect();
        Ok(Some(PyTypeError::new_err(format_invalid_args(&self.sigs[0].name, &options, &positional, &keywords))))
    }
}

/// The overloads registered under `key` (`"Tensor.view"`, `"zeros"`), if any.
fn find_parser(key: &str) -> Option<&'static Parser> {
    static PARSERS: OnceLock<HashMap<&'static str, Parser>> = OnceLock::new();
    PARSERS.get_or_init(|| SIGNATURES.iter().map(|(k, fmts)| (*k, Parser::new(fmts))).collect()).get(key)
}

/// The overloads registered under `key`; every binding that asks has registered its signatures.
pub fn parser(key: &str) -> &'static Parser {
    find_parser(key).unwrap_or_else(|| panic!("no signatures for {key}"))
}

/// The error of a binding that could not use its arguments: PyTorch's parser error when its
/// parser refuses them, else `err` (a value error of the op itself).
pub fn refine(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>, err: PyErr) -> PyErr {
    parser(key).error(args, kwargs).unwrap_or(err)
}

/// Like [`refine`] for a binding whose arguments PyO3 already split: the positional ones and the
/// keyword ones that were given (`None` entries are left out).
pub fn refine_kw(key: &str, args: &Bound<'_, PyTuple>, kw: &[(&str, Option<&Bound<'_, PyAny>>)], err: PyErr) -> PyErr {
    let py = args.py();
    let dict = PyDict::new(py);
    for (k, v) in kw {
        if let Some(v) = v {
            if dict.set_item(*k, v).is_err() {
                return err;
            }
        }
    }
    refine(key, args, Some(&dict), err)
}

/// The arguments of a call bound to the parameters of the overload they match.
pub struct Args<'py> {
    sig: &'static Signature,
    values: Vec<Option<Bound<'py, PyAny>>>,
}

impl<'py> Args<'py> {
    /// The object given for parameter `name` (`None`: absent or None).
    pub fn get(&self, name: &str) -> Option<&Bound<'py, PyAny>> {
        let i = self.sig.params.iter().position(|p| p.name == name)?;
        self.values[i].as_ref()
    }

    /// The ints of an int-list parameter (a bare int for a sized list; the checks already passed).
    pub fn ints(&self, name: &str) -> PyResult<Option<Vec<i64>>> {
        match self.get(name) {
            None => Ok(None),
            Some(o) if is_sequence(o) => Ok(Some(o.extract()?)),
            Some(o) => Ok(Some(vec![o.extract()?])),
        }
    }

    /// A bool parameter, `default` when absent.
    pub fn flag(&self, name: &str, default: bool) -> PyResult<bool> {
        self.get(name).map_or(Ok(default), |o| o.extract())
    }
}

impl Parser {
    /// Binds the arguments to the first overload they match, or fails with PyTorch's error.
    pub fn bind<'py>(&'static self, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Args<'py>> {
        let kwargs = kwargs.filter(|k| !k.is_empty());
        for sig in &self.sigs {
            if let Parsed::Match(values) = parse(sig, args, kwargs, true).or_else(|e| if self.sigs.len() == 1 { Err(e) } else { Ok(Parsed::NoMatch) })? {
                if let Some(e) = unpack_error(sig, &values) {
                    return Err(e);
                }
                if sig.deprecated {
                    self.warn_deprecated(args.py(), sig)?;
                }
                return Ok(Args { sig, values });
            }
        }
        Err(self.error(args, kwargs).unwrap_or_else(|| PyTypeError::new_err("invalid arguments")))
    }
}

impl Parser {
    /// PyTorch's warning for a call matching a deprecated overload: one `TORCH_WARN_ONCE` in its
    /// parser, so only the first such call of the process warns, whichever overload it used.
    fn warn_deprecated(&self, py: Python<'_>, sig: &Signature) -> PyResult<()> {
        static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        let mut msg = format!("This overload of {0} is deprecated:\n\t{0}{1}", sig.name, sig.printed());
        let others: Vec<String> = self.sigs.iter().filter(|s| !s.hidden).map(|s| format!("\n\t{}{}", s.name, s.printed())).collect();
        if !others.is_empty() {
            msg += "\nConsider using one of the following signatures instead:";
            msg += &others.concat();
        }
        super::tensor::user_warning(py, &msg)
    }
}

/// [`Parser::bind`] with the overloads registered under `key`.
pub fn bind<'py>(key: &str, args: &Bound<'py, PyTuple>, kwargs: Option<&Bound<'py, PyDict>>) -> PyResult<Args<'py>> {
    parser(key).bind(args, kwargs)
}

/// The arguments of a method whose parameters are all ints (`unsqueeze(dim)`, `chunk(chunks,
/// dim=0)`), defaults filled in; PyTorch's parser error when they are not ints.
pub fn all_ints(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<i64>> {
    let parser = parser(key);
    let sig = &parser.sigs[0];
    let default = |p: &Param| p.default.as_deref().and_then(|d| d.parse::<i64>().ok());
    if kwargs.is_none_or(|k| k.is_empty()) && args.len() >= sig.min_args && args.len() <= sig.max_pos_args {
        let given: Option<Vec<i64>> = args.iter().map(|a| int_arg(&a)).collect();
        if let Some(mut values) = given {
            values.extend(sig.params[values.len()..].iter().filter_map(default));
            if values.len() == sig.params.len() {
                return Ok(values);
            }
        }
    }
    let bound = parser.bind(args, kwargs)?;
    bound
        .sig
        .params
        .iter()
        .zip(&bound.values)
        .map(|(p, v)| match v {
            Some(v) => v.extract::<i64>(),
            None => default(p).ok_or_else(|| PyTypeError::new_err(format!("{}() missing argument '{}'", sig.name, p.name))),
        })
        .collect()
}

/// An int argument as PyTorch's parser takes it (not a bool).
pub fn int_arg(obj: &Bound<'_, PyAny>) -> Option<i64> {
    if obj.is_instance_of::<PyBool>() {
        return None;
    }
    obj.extract().ok()
}

/// A bool argument (`None`: the default).
pub fn bool_arg(obj: Option<&Bound<'_, PyAny>>, default: bool) -> PyResult<bool> {
    match obj {
        None => Ok(default),
        Some(o) if o.is_none() => Ok(default),
        Some(o) => o.cast::<PyBool>().map(|b| b.is_true()).map_err(|_| PyTypeError::new_err("expected bool")),
    }
}

/// `_core._arg_error(key, args, kwargs)`: the exception PyTorch's parser raises for a call of
/// the function registered under `key`, or None (for the Python-level function forms).
#[pyfunction]
#[pyo3(signature = (key, args, kwargs=None))]
pub fn _arg_error(py: Python<'_>, key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Py<PyAny>>> {
    let parser = find_parser(key).ok_or_else(|| unregistered(key))?;
    Ok(parser.error(args, kwargs).map(|e| e.into_value(py).into_any()))
}

/// A Python-level caller naming a function without registered signatures gets a KeyError, not a
/// panic.
fn unregistered(key: &str) -> PyErr {
    pyo3::exceptions::PyKeyError::new_err(format!("no signatures for {key}"))
}

/// `_core._arg_bind(key, args, kwargs)`: checks a call of the function registered under `key` as
/// PyTorch's parser does, raising its error, with its warning when a deprecated overload matches
/// (for the Python-level function forms).
#[pyfunction]
#[pyo3(signature = (key, args, kwargs=None))]
pub fn _arg_bind(key: &str, args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    find_parser(key).ok_or_else(|| unregistered(key))?.bind(args, kwargs).map(|_| ())
}

/// The objects of a call in its common spellings, without the parser: parameter `i` gets the
/// `i`-th positional argument (at most `max_pos` of them) or the keyword `names[i]`. `None` (ask
/// the parser) for an explicit None, an unknown or repeated keyword, or too many positional
/// arguments, so an odd call always reaches PyTorch's checks.
pub fn slots<'py, const N: usize>(
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    names: [&str; N],
    max_pos: usize,
) -> Option<[Option<Bound<'py, PyAny>>; N]> {
    if args.len() > max_pos.min(N) {
        return None;
    }
    let mut out: [Option<Bound<'py, PyAny>>; N] = std::array::from_fn(|_| None);
    for (slot, arg) in out.iter_mut().zip(args.iter()) {
        if arg.is_none() {
            return None;
        }
        *slot = Some(arg);
    }
    if let Some(kwargs) = kwargs {
        for (key, value) in kwargs.iter() {
            let key = key.cast::<PyString>().ok()?;
            let key = key.to_str().ok()?;
            let i = names.iter().position(|n| *n == key)?;
            if out[i].is_some() || value.is_none() {
                return None;
            }
            out[i] = Some(value);
        }
    }
    Some(out)
}

/// A Python int (not a bool), for the fast paths.
pub fn plain_int(obj: &Bound<'_, PyAny>) -> Option<i64> {
    if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() { obj.extract().ok() } else { None }
}

/// A Python bool, for the fast paths.
pub fn plain_bool(obj: &Bound<'_, PyAny>) -> Option<bool> {
    obj.cast::<PyBool>().ok().map(|b| b.is_true())
}

/// `(dim, keepdim)` given as plain Python ints / bools, positionally or by name (`None`: ask the
/// parser).
pub fn dim_keepdim_fast(args: &Bound<'_, PyTuple>, kwargs: Option<&Bound<'_, PyDict>>) -> Option<(Option<i64>, bool)> {
    slots(args, kwargs, ["dim", "keepdim"], 2).and_then(|[dim, keepdim]| match (dim, keepdim) {
        (None, None) => Some((None, false)),
        (Some(d), None) => Some((Some(plain_int(&d)?), false)),
        (Some(d), Some(k)) => Some((Some(plain_int(&d)?), plain_bool(&k)?)),
        (None, Some(_)) => None,
    })
}

/// `(dim, keepdim)` of the reductions with overloads `()` and `(int dim, bool keepdim=False)`
/// (plus keyword-only `extra` parameters, returned as given): the fast path, or the parser's
/// binding under `key` (its error when it refuses the arguments).
pub fn dim_keepdim<'py, const E: usize>(
    key: &str,
    args: &Bound<'py, PyTuple>,
    kwargs: Option<&Bound<'py, PyDict>>,
    extra: [&str; E],
) -> PyResult<(Option<i64>, bool, [Option<Bound<'py, PyAny>>; E])> {
    if let Some((dim, keepdim)) = dim_keepdim_fast(args, kwargs) {
        return Ok((dim, keepdim, std::array::from_fn(|_| None)));
    }
    let bound = bind(key, args, kwargs)?;
    let dim = bound.get("dim").map(|d| d.extract::<i64>()).transpose()?;
    Ok((dim, bound.flag("keepdim", false)?, extra.map(|name| bound.get(name).cloned())))
}

/// An optional argument that tells an explicit `None` (`Some(None object)`) from an absent one
/// (`None`), which PyO3's `Option` arguments do not.
pub struct Given<'py>(pub Option<Bound<'py, PyAny>>);

impl<'a, 'py> FromPyObject<'a, 'py> for Given<'py> {
    type Error = PyErr;

    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(Given(Some(obj.to_owned())))
    }
}

/// The optional `dim` of size()/stride(): an int (or None); PyTorch's parser error for anything
/// else or for extra positional arguments (taken as positional).
pub fn optional_dim(key: &str, dim: Option<&Bound<'_, PyAny>>, rest: &Bound<'_, PyTuple>) -> PyResult<Option<i64>> {
    if rest.is_empty() {
        match dim {
            None => return Ok(None),
            Some(d) => {
                if let Some(i) = plain_int(d) {
                    return Ok(Some(i));
                }
            }
        }
    }
    let py = rest.py();
    let mut given: Vec<Bound<'_, PyAny>> = vec![dim.cloned().unwrap_or_else(|| py.None().into_bound(py))];
    given.extend(rest.iter());
    let args = PyTuple::new(py, given)?;
    let bound = bind(key, &args, None)?;
    bound.get("dim").map(|d| d.extract::<i64>()).transpose()
}
