//! PyTorch's argument-parser signatures (native format, copied from PyTorch's generated bindings)
//! for the bindings whose bad-argument errors `argparse.rs` reproduces.

/// PyTorch's overloads, under `Tensor.<method>` for methods and the bare name for functions.
pub(super) const SIGNATURES: &[(&str, &[&str])] = &[
    ("Tensor.view", &["view(ScalarType dtype)", "view(SymIntArrayRef size)"]),
    ("Tensor.reshape", &["reshape(SymIntArrayRef shape)"]),
    ("reshape", &["reshape(Tensor input, SymIntArrayRef shape)"]),
    ("Tensor.permute", &["permute(IntArrayRef dims)"]),
    ("permute", &["permute(Tensor input, IntArrayRef dims)"]),
    ("Tensor.expand", &["expand(SymIntArrayRef size, *, bool implicit=False)"]),
    ("Tensor.pow", &["pow(Tensor exponent)", "pow(Scalar exponent)"]),
    ("Tensor.pow_", &["pow_(Tensor exponent)", "pow_(Scalar exponent)"]),
    (
        "pow",
        &[
            "pow(Tensor input, Tensor exponent, *, Tensor out=None)",
            "pow(Scalar self, Tensor exponent, *, Tensor out=None)",
            "pow(Tensor input, Scalar exponent, *, Tensor out=None)",
        ],
    ),
    ("Tensor.max", &["max()", "max(Tensor other)", "max(int64_t dim, bool keepdim=False)"]),
    ("Tensor.min", &["min()", "min(Tensor other)", "min(int64_t dim, bool keepdim=False)"]),
    (
        "max",
        &[
            "max(Tensor input, *, Tensor out=None)",
            "max(Tensor input, Tensor other, *, Tensor out=None)",
            "max(Tensor input, int64_t dim, bool keepdim=False, *, TensorList out=None)",
        ],
    ),
    (
        "min",
        &[
            "min(Tensor input, *, Tensor out=None)",
            "min(Tensor input, Tensor other, *, Tensor out=None)",
            "min(Tensor input, int64_t dim, bool keepdim=False, *, TensorList out=None)",
        ],
    ),
    ("Tensor.median", &["median()", "median(int64_t dim, bool keepdim=False)"]),
    ("median", &["median(Tensor input)", "median(Tensor input, int64_t dim, bool keepdim=False, *, TensorList out=None)"]),
    ("Tensor.prod", &["prod(*, ScalarType? dtype=None)", "prod(int64_t dim, bool keepdim=False, *, ScalarType? dtype=None)"]),
    (
        "prod",
        &[
            "prod(Tensor input, *, ScalarType? dtype=None)",
            "prod(Tensor input, int64_t dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
        ],
    ),
    ("Tensor.squeeze", &["squeeze()", "squeeze(int64_t dim)", "squeeze(IntArrayRef dim)"]),
    ("squeeze", &["squeeze(Tensor input)", "squeeze(Tensor input, int64_t dim)", "squeeze(Tensor input, IntArrayRef dim)"]),
    ("Tensor.contiguous", &["contiguous(*, MemoryFormat memory_format=contiguous_format)"]),
    (
        "rsub",
        &["rsub(Tensor input, Tensor other, *, Scalar alpha=1)", "rsub(Tensor input, Scalar other, Scalar alpha=1)"],
    ),
    (
        "Tensor.var",
        &[
            "var(IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False)",
            "var(IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)",
            "var(bool unbiased=True)",
        ],
    ),
    (
        "Tensor.std",
        &[
            "std(IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False)",
            "std(IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)",
            "std(bool unbiased=True)",
        ],
    ),
    (
        "var",
        &[
            "var(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False, *, Tensor out=None)",
            "var(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False, Tensor out=None)",
            "var(Tensor input, bool unbiased=True)",
        ],
    ),
    (
        "std",
        &[
            "std(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False, *, Tensor out=None)",
            "std(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False, Tensor out=None)",
            "std(Tensor input, bool unbiased=True)",
        ],
    ),
    (
        "where",
        &[
            "where(Tensor condition)",
            "where(Tensor condition, Tensor input, Tensor other, *, Tensor out=None)",
            "where(Tensor condition, Scalar self, Tensor other)",
            "where(Tensor condition, Tensor input, Scalar other)",
            "where(Tensor condition, Scalar self, Scalar other)",
        ],
    ),
    ("einsum", &["einsum(c10::string_view equation, TensorList tensors, *, IntArrayRef? path=None)"]),
    (
        "arange",
        &[
            "arange(Scalar end, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
            "arange(Scalar start, Scalar end, *, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
            "arange(Scalar start, Scalar end, Scalar step=1, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
        ],
    ),
    ("full_like", &["full_like(Tensor input, Scalar fill_value, *, MemoryFormat? memory_format=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)"]),
    ("Tensor.normal_", &["normal_(double mean=0, double std=1, *, Generator? generator=None)"]),
    ("Tensor.uniform_", &["uniform_(double from=0, double to=1, *, Generator? generator=None)"]),
    ("Tensor.size", &["size(int64_t? dim=None)"]),
    ("Tensor.stride", &["stride(int64_t? dim=None)"]),
    ("Tensor.narrow", &["narrow(int64_t dim, Tensor start, SymInt length)", "narrow(int64_t dim, SymInt start, SymInt length)"]),
    (
        "narrow",
        &["narrow(Tensor input, int64_t dim, Tensor start, SymInt length)", "narrow(Tensor input, int64_t dim, SymInt start, SymInt length)"],
    ),
    ("Tensor.gather", &["gather(int64_t dim, Tensor index, *, bool sparse_grad=False)"]),
    ("gather", &["gather(Tensor input, int64_t dim, Tensor index, *, bool sparse_grad=False, Tensor out=None)"]),
    ("Tensor.index_select", &["index_select(int64_t dim, Tensor index)"]),
    ("index_select", &["index_select(Tensor input, int64_t dim, Tensor index, *, Tensor out=None)"]),
    ("Tensor.repeat", &["repeat(SymIntArrayRef repeats)"]),
    ("Tensor.flip", &["flip(IntArrayRef dims)"]),
    ("flip", &["flip(Tensor input, IntArrayRef dims)"]),
    ("Tensor.roll", &["roll(SymIntArrayRef[1] shifts, IntArrayRef[1] dims=[])"]),
    ("roll", &["roll(Tensor input, SymIntArrayRef[1] shifts, IntArrayRef[1] dims=[])"]),
    ("Tensor.transpose", &["transpose(int64_t dim0, int64_t dim1)"]),
    ("Tensor.swapaxes", &["swapaxes(int64_t axis0, int64_t axis1)"]),
    ("Tensor.unsqueeze", &["unsqueeze(int64_t dim)"]),
    ("Tensor.clamp", &["clamp(Tensor? min=None, Tensor? max=None)", "clamp(Scalar? min=None, Scalar? max=None)"]),
    ("Tensor.clamp_", &["clamp_(Tensor? min=None, Tensor? max=None)", "clamp_(Scalar? min=None, Scalar? max=None)"]),
    ("Tensor.clip", &["clip(Tensor? min=None, Tensor? max=None)", "clip(Scalar? min=None, Scalar? max=None)"]),
    ("Tensor.clip_", &["clip_(Tensor? min=None, Tensor? max=None)", "clip_(Scalar? min=None, Scalar? max=None)"]),
    ("clamp", &["clamp(Tensor input, Tensor? min=None, Tensor? max=None, *, Tensor out=None)", "clamp(Tensor input, Scalar? min=None, Scalar? max=None, *, Tensor out=None)"]),
    ("clamp_", &["clamp_(Tensor input, Tensor? min=None, Tensor? max=None)", "clamp_(Tensor input, Scalar? min=None, Scalar? max=None)"]),
    ("clip", &["clip(Tensor input, Tensor? min=None, Tensor? max=None, *, Tensor out=None)", "clip(Tensor input, Scalar? min=None, Scalar? max=None, *, Tensor out=None)"]),
    ("clip_", &["clip_(Tensor input, Tensor? min=None, Tensor? max=None)", "clip_(Tensor input, Scalar? min=None, Scalar? max=None)"]),
    ("Tensor.select", &["select(int64_t dim, SymInt index)"]),
    ("Tensor.chunk", &["chunk(int64_t chunks, int64_t dim=0)"]),
    ("Tensor.unbind", &["unbind(int64_t dim=0)"]),
    ("Tensor.flatten", &["flatten(int64_t start_dim=0, int64_t end_dim=-1)"]),
    ("transpose", &["transpose(Tensor input, int64_t dim0, int64_t dim1)"]),
    ("Tensor.count_nonzero", &["count_nonzero(int64_t? dim=None)", "count_nonzero(IntArrayRef dim)"]),
    ("count_nonzero", &["count_nonzero(Tensor input, int64_t? dim=None)", "count_nonzero(Tensor input, IntArrayRef dim)"]),
    ("Tensor.lerp", &["lerp(Tensor end, Tensor weight)", "lerp(Tensor end, Scalar weight)"]),
    ("lerp", &["lerp(Tensor input, Tensor end, Tensor weight, *, Tensor out=None)", "lerp(Tensor input, Tensor end, Scalar weight, *, Tensor out=None)"]),
    ("Tensor.sum", &["sum(*, ScalarType? dtype=None)", "sum(IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)"]),
    (
        "sum",
        &[
            "sum(Tensor input, *, ScalarType? dtype=None)",
            "sum(Tensor input, IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
        ],
    ),
    ("Tensor.mean", &["mean(*, ScalarType? dtype=None)", "mean(IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None)"]),
    (
        "mean",
        &[
            "mean(Tensor input, *, ScalarType? dtype=None, Tensor out=None)",
            "mean(Tensor input, IntArrayRef[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor out=None)",
        ],
    ),
    (
        "Tensor.to",
        &[
            "to(Device? device=None, ScalarType? dtype=None, bool non_blocking=False, bool copy=False, *, MemoryFormat? memory_format=None)",
            "to(ScalarType dtype, bool non_blocking=False, bool copy=False, *, MemoryFormat? memory_format=None)",
            "to(Tensor tensor, bool non_blocking=False, bool copy=False, *, MemoryFormat? memory_format=None)",
        ],
    ),
    ("zeros", &["zeros(SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)"]),
    ("ones", &["ones(SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)"]),
    ("empty", &["empty(SymIntArrayRef size, *, MemoryFormat? memory_format=None, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)"]),
    ("full", &["full(SymIntArrayRef size, Scalar fill_value, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)"]),
    (
        "randn",
        &[
            "randn(SymIntArrayRef size, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
            "randn(SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
        ],
    ),
    (
        "rand",
        &[
            "rand(SymIntArrayRef size, *, Generator? generator, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
            "rand(SymIntArrayRef size, *, Tensor out=None, ScalarType? dtype=None, Layout? layout=None, Device? device=None, bool? pin_memory=False, bool? requires_grad=False)",
        ],
    ),
    // deprecated overloads: matched (with PyTorch's one-time warning) but never listed
    ("Tensor.add", &["add(Tensor other, *, Scalar alpha=1)", "add(Scalar alpha, Tensor other)|deprecated"]),
    ("Tensor.add_", &["add_(Tensor other, *, Scalar alpha=1)", "add_(Scalar alpha, Tensor other)|deprecated"]),
    ("Tensor.sub", &["sub(Tensor other, *, Scalar alpha=1)", "sub(Scalar alpha, Tensor other)|deprecated"]),
    ("Tensor.sub_", &["sub_(Tensor other, *, Scalar alpha=1)", "sub_(Scalar alpha, Tensor other)|deprecated"]),
    (
        "add",
        &["add(Tensor input, Tensor other, *, Scalar alpha=1, Tensor out=None)", "add(Tensor input, Scalar alpha, Tensor other, *, Tensor out=None)|deprecated"],
    ),
    (
        "sub",
        &["sub(Tensor input, Tensor other, *, Scalar alpha=1, Tensor out=None)", "sub(Tensor input, Scalar alpha, Tensor other, *, Tensor out=None)|deprecated"],
    ),
    ("Tensor.cpu", &["cpu(*, MemoryFormat? memory_format=None)"]),
    (
        "Tensor.cuda",
        &[
            "cuda(Device? device=None, bool non_blocking=False, *, MemoryFormat? memory_format=None)",
            "cuda(Device? device=None, bool async=False, *, MemoryFormat? memory_format=None)|deprecated",
        ],
    ),
    ("Tensor.nan_to_num", &["nan_to_num(double? nan=None, double? posinf=None, double? neginf=None)"]),
    ("Tensor.nan_to_num_", &["nan_to_num_(double? nan=None, double? posinf=None, double? neginf=None)"]),
    ("nan_to_num", &["nan_to_num(Tensor input, double? nan=None, double? posinf=None, double? neginf=None, *, Tensor out=None)"]),
    ("nan_to_num_", &["nan_to_num_(Tensor input, double? nan=None, double? posinf=None, double? neginf=None)"]),
    ("Tensor.logit", &["logit(double? eps=None)"]),
    ("logit", &["logit(Tensor input, double? eps=None, *, Tensor out=None)"]),
    ("Tensor.histc", &["histc(int64_t bins=100, Scalar min=0, Scalar max=0)"]),
    ("histc", &["histc(Tensor input, int64_t bins=100, Scalar min=0, Scalar max=0, *, Tensor out=None)"]),
    ("celu", &["celu(Tensor input, Scalar alpha=1.0)"]),
    ("celu_", &["celu_(Tensor input, Scalar alpha=1.0)"]),
    ("hardshrink", &["hardshrink(Tensor input, Scalar lambd=0.5, *, Tensor out=None)"]),
    ("group_norm", &["group_norm(Tensor input, int64_t num_groups, Tensor? weight=None, Tensor? bias=None, double eps=1e-05, bool cudnn_enabled=True)"]),
    (
        "var_mean",
        &[
            "var_mean(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False)",
            "var_mean(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)",
            "var_mean(Tensor input, bool unbiased=True)",
        ],
    ),
    (
        "std_mean",
        &[
            "std_mean(Tensor input, IntArrayRef[1]? dim, bool unbiased=True, bool keepdim=False)",
            "std_mean(Tensor input, IntArrayRef[1]? dim=None, *, Scalar? correction=None, bool keepdim=False)",
            "std_mean(Tensor input, bool unbiased=True)",
        ],
    ),
    (
        "searchsorted",
        &[
            "searchsorted(Tensor sorted_sequence, Tensor input, *, bool out_int32=False, bool right=False, c10::string_view? side=None, Tensor? sorter=None, Tensor out=None)",
            "searchsorted(Tensor sorted_sequence, Scalar self, *, bool out_int32=False, bool right=False, c10::string_view? side=None, Tensor? sorter=None, Tensor out=None)",
        ],
    ),
    ("_unique2", &["_unique2(Tensor input, bool sorted=True, bool return_inverse=False, bool return_counts=False)"]),
    ("unique_dim", &["unique_dim(Tensor input, int64_t dim, bool sorted=True, bool return_inverse=False, bool return_counts=False)"]),
    ("Tensor.clamp_min", &["clamp_min(Tensor min)", "clamp_min(Scalar min)"]),
    ("Tensor.clamp_min_", &["clamp_min_(Tensor min)", "clamp_min_(Scalar min)"]),
];
