//! PyTorch's "received an invalid combination of arguments" text (torch/csrc/utils/
//! invalid_arguments.cpp), for the parser errors of `argparse.rs`: the printed overloads are read
//! back as PyTorch reads them, quirks included, so the "didn't match" lines come out the same.

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::argparse::{items, tp_name};

/// One argument of a printed option as `_parseOption` reads it back (its quirks included: a
/// default makes the name "None"/"False" and the type "Tensor min =", "*" is an argument).
struct OptArg {
    name: String,
    ty: OptType,
}

enum OptType {
    Simple(String),
    Multi(&'static [&'static str]),
    Nullable(Box<OptType>),
}

impl OptType {
    fn build(name: &str, nullable: bool) -> OptType {
        let t = match name {
            "float" => OptType::Multi(&["float", "int", "long"]),
            "int" => OptType::Multi(&["int", "long"]),
            other => OptType::Simple(other.to_string()),
        };
        if nullable { OptType::Nullable(Box::new(t)) } else { t }
    }

    fn matches(&self, obj: &Bound<'_, PyAny>) -> bool {
        match self {
            OptType::Simple(n) => tp_name(obj) == *n,
            OptType::Multi(names) => names.contains(&tp_name(obj).as_str()),
            OptType::Nullable(t) => obj.is_none() || t.matches(obj),
        }
    }
}

struct OptionDesc {
    args: Vec<OptArg>,
    variadic: bool,
    printable: String,
}

fn parse_option(s: &str) -> OptionDesc {
    if s == "no arguments" {
        return OptionDesc { args: vec![], variadic: false, printable: s.into() };
    }
    let inner = &s[1..s.len() - 1];
    let mut args = Vec::new();
    for arg in inner.split(", ") {
        let mut arg = arg.to_string();
        let mut start = 0;
        if arg.starts_with('#') {
            start += 1;
        }
        let mut nullable = false;
        if arg[start..].starts_with('[') {
            nullable = true;
            start += 1;
            arg.truncate(arg.len().saturating_sub(" or None]".len()));
        }
        let (mut type_end, name_start) = match arg.rfind(' ') {
            Some(i) => (i, i + 1),
            None => (arg.len(), 0),
        };
        if arg.contains("...") {
            type_end = type_end.saturating_sub(4);
        }
        let ty = arg.get(start..type_end.max(start)).unwrap_or("").to_string();
        args.push(OptArg { name: arg[name_start..].to_string(), ty: OptType::build(&ty, nullable) });
    }
    OptionDesc { args, variadic: inner.contains("..."), printable: s.into() }
}

fn argcount_match(o: &OptionDesc, nargs: usize, nkw: usize) -> bool {
    let expected = o.args.len();
    nargs + nkw == expected || (o.variadic && nargs + nkw > expected)
}

fn describe(obj: &Bound<'_, PyAny>) -> String {
    let is_tuple = obj.is_instance_of::<PyTuple>();
    if !(is_tuple || obj.is_instance_of::<PyList>()) {
        return tp_name(obj);
    }
    let elems: Vec<String> = items(obj).iter().map(tp_name).collect();
    let mut s = format!("{} of ", tp_name(obj));
    if is_tuple {
        s += &format!("({}{})", elems.join(", "), if elems.len() == 1 { "," } else { "" });
    } else {
        s += &format!("[{}]", elems.join(", "));
    }
    s
}

fn formatted_arg_desc(o: &OptionDesc, args: &[Bound<'_, PyAny>], kwargs: &[(String, Bound<'_, PyAny>)]) -> String {
    let mut parts = String::from("(");
    for i in 0..args.len() + kwargs.len() {
        let is_kwarg = i >= args.len();
        // PyTorch looks keyword values up under the option's i-th name; a miss is skipped here.
        let obj = if is_kwarg {
            match kwargs.iter().find(|(k, _)| o.args.get(i).is_some_and(|a| &a.name == k)) {
                Some((_, v)) => v.clone(),
                None => continue,
            }
        } else {
            args[i].clone()
        };
        let matching = if i < o.args.len() {
            o.args[i].ty.matches(&obj)
        } else if o.variadic {
            o.args.last().is_some_and(|a| a.ty.matches(&obj))
        } else {
            false
        };
        let mark = if matching { "" } else { "!" };
        parts += mark;
        if is_kwarg {
            parts += &format!("{}=", o.args[i].name);
        }
        parts += &describe(&obj);
        parts += mark;
        parts += ", ";
    }
    if !args.is_empty() {
        parts.truncate(parts.len() - 2);
    }
    parts + ")"
}

fn arg_desc(args: &[Bound<'_, PyAny>], kwargs: &[(String, Bound<'_, PyAny>)]) -> String {
    let mut s = String::from("(");
    for a in args {
        s += &tp_name(a);
        s += ", ";
    }
    for (k, v) in kwargs {
        s += &format!("{k}={}, ", tp_name(v));
    }
    if !args.is_empty() {
        s.truncate(s.len() - 2);
    }
    s + ")"
}

fn try_match_kwargs(o: &OptionDesc, kwargs: &[(String, Bound<'_, PyAny>)]) -> Vec<String> {
    let start = o.args.len().saturating_sub(kwargs.len());
    kwargs.iter().filter(|(k, _)| !o.args[start..].iter().any(|a| &a.name == k)).map(|(k, _)| k.clone()).collect()
}

pub(super) fn format_invalid_args(name: &str, options: &[String], args: &[Bound<'_, PyAny>], kwargs: &[(String, Bound<'_, PyAny>)]) -> String {
    let mut msg = format!("{name}() received an invalid combination of arguments - ");
    if options.len() == 1 {
        let o = parse_option(&options[0]);
        let unmatched = if kwargs.is_empty() { vec![] } else { try_match_kwargs(&o, kwargs) };
        if !unmatched.is_empty() {
            msg += "got unrecognized keyword arguments: ";
            msg += &unmatched.join(", ");
        } else {
            msg += "got ";
            msg += &if argcount_match(&o, args.len(), kwargs.len()) { formatted_arg_desc(&o, args, kwargs) } else { arg_desc(args, kwargs) };
            msg += ", but expected ";
            msg += &o.printable;
        }
        return msg;
    }
    msg += "got ";
    msg += &arg_desc(args, kwargs);
    msg += ", but expected one of:\n";
    for s in options {
        let o = parse_option(s);
        msg += " * ";
        msg += &o.printable;
        msg += "\n";
        if argcount_match(&o, args.len(), kwargs.len()) {
            let unmatched = if kwargs.is_empty() { vec![] } else { try_match_kwargs(&o, kwargs) };
            if !unmatched.is_empty() {
                msg += "      didn't match because some of the keywords were incorrect: ";
                msg += &unmatched.join(", ");
                msg += "\n";
            } else {
                msg += "      didn't match because some of the arguments have invalid types: ";
                msg += &formatted_arg_desc(&o, args, kwargs);
                msg += "\n";
            }
        }
    }
    msg
}
