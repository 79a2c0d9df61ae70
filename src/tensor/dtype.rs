//! Element types and PyTorch's type-promotion rules.

/// The element type of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// `bool`
    Bool,
    /// `uint8` (what RNG states are made of)
    U8,
    /// `int32`
    I32,
    /// `int64` (PyTorch's default integer type)
    I64,
    /// `float32` (the default floating type)
    F32,
    /// `float64`
    F64,
}

/// How an operand takes part in type promotion (PyTorch's `ResultTypeState`): tensors with
/// dimensions outrank 0-d tensors, which outrank Python numbers ("wrapped numbers"). A lower rank
/// only changes the result when it belongs to a higher category (bool < integer < floating).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PromotionRank {
    /// A Python number wrapped as a 0-d tensor.
    Wrapped,
    /// A 0-d tensor.
    ZeroDim,
    /// A tensor with at least one dimension.
    Dimensioned,
}

static DEFAULT_FLOAT_IS_F64: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

impl DType {
    /// The default floating type (`float32` unless `set_default_float` changed it): the dtype of
    /// Python floats and of float factories without `dtype=`. Process-wide, as PyTorch's.
    pub fn default_float() -> DType {
        if DEFAULT_FLOAT_IS_F64.load(std::sync::atomic::Ordering::Relaxed) {
            DType::F64
        } else {
            DType::F32
        }
    }

    /// Sets the default floating type (`float32` or `float64`; the caller checks).
    pub fn set_default_float(dtype: DType) {
        DEFAULT_FLOAT_IS_F64.store(dtype == DType::F64, std::sync::atomic::Ordering::Relaxed);
    }

    /// The name PyTorch prints after `torch.` (`float32`, `int64`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// The legacy type name used in autograd error messages (`rustgrad.FloatTensor`).
    pub fn legacy_type_name(self) -> &'static str {
        match self {
            DType::Bool => "rustgrad.BoolTensor",
            DType::U8 => "rustgrad.ByteTensor",
            DType::I32 => "rustgrad.IntTensor",
            DType::I64 => "rustgrad.LongTensor",
            DType::F32 => "rustgrad.FloatTensor",
            DType::F64 => "rustgrad.DoubleTensor",
        }
    }

    /// The C++ scalar-type name PyTorch uses in some messages (`Float`, `Long`).
    pub fn scalar_type_name(self) -> &'static str {
        match self {
            DType::Bool => "Bool",
            DType::U8 => "Byte",
            DType::I32 => "Int",
            DType::I64 => "Long",
            DType::F32 => "Float",
            DType::F64 => "Double",
        }
    }

    /// The C++ element type name PyTorch shows in some messages (`float`, `long int`).
    pub fn cpp_type_name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "unsigned char",
            DType::I32 => "int",
            DType::I64 => "long int",
            DType::F32 => "float",
            DType::F64 => "double",
        }
    }

    /// True for float32 and float64.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }

    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            DType::Bool | DType::U8 => 1,
            DType::I64 | DType::F64 => 8,
            DType::I32 | DType::F32 => 4,
        }
    }

    /// True for the integer types (not bool).
    pub fn is_integral(self) -> bool {
        matches!(self, DType::U8 | DType::I32 | DType::I64)
    }

    /// Every dtype, in promotion order.
    pub const ALL: [DType; 6] = [DType::Bool, DType::U8, DType::I32, DType::I64, DType::F32, DType::F64];

    /// The smallest type both promote to (PyTorch's `promoteTypes`). Without int8/int16 and
    /// complex types PyTorch's table restricted to these six is a chain:
    /// bool < uint8 < int32 < int64 < float32 < float64.
    pub fn promote(self, other: DType) -> DType {
        let rank = |d: DType| DType::ALL.iter().position(|&x| x == d).expect("listed");
        if rank(self) >= rank(other) {
            self
        } else {
            other
        }
    }

    /// The result type of an op over operands of the given types and ranks.
    pub fn result_type(operands: &[(DType, PromotionRank)]) -> DType {
        let mut by_rank: [Option<DType>; 3] = [None; 3];
        for &(dtype, rank) in operands {
            // A wrapped Python float counts as the default float type, not float64.
            let dtype = if rank == PromotionRank::Wrapped && dtype.is_float() { DType::default_float() } else { dtype };
            let slot = &mut by_rank[rank as usize];
            *slot = Some(slot.map_or(dtype, |d| d.promote(dtype)));
        }
        let [wrapped, zero_dim, dimensioned] = by_rank;
        combine_categories(dimensioned, combine_categories(zero_dim, wrapped))
            .expect("result_type needs at least one operand")
    }
}

/// PyTorch's `combine_categories`: keep the higher-ranked type unless the lower-ranked one is of a
/// higher category (an int tensor times a Python float gives the default float type).
fn combine_categories(higher: Option<DType>, lower: Option<DType>) -> Option<DType> {
    match (higher, lower) {
        (None, l) => l,
        (h, None) => h,
        (Some(h), Some(l)) => {
            if h.is_float() {
                Some(h)
            } else if h == DType::Bool || l.is_float() {
                Some(h.promote(l))
            } else {
                Some(h)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DType::*;
    use super::PromotionRank::*;
    use super::*;

    #[test]
    fn wrapped_float_with_int_tensor_gives_default_float() {
        assert_eq!(DType::result_type(&[(I64, Dimensioned), (F64, Wrapped)]), F32);
    }

    #[test]
    fn zero_dim_double_does_not_upcast_a_float_tensor() {
        assert_eq!(DType::result_type(&[(F32, Dimensioned), (F64, ZeroDim)]), F32);
        assert_eq!(DType::result_type(&[(I64, Dimensioned), (F64, ZeroDim)]), F64);
    }

    #[test]
    fn dimensioned_tensors_promote_normally() {
        assert_eq!(DType::result_type(&[(F32, Dimensioned), (F64, Dimensioned)]), F64);
        assert_eq!(DType::result_type(&[(Bool, Dimensioned), (I64, Wrapped)]), I64);
        assert_eq!(DType::result_type(&[(I64, Dimensioned), (I64, Wrapped)]), I64);
        assert_eq!(DType::result_type(&[(F64, Wrapped), (F64, Wrapped)]), F32);
    }

    #[test]
    fn narrow_integers_promote_as_in_pytorch() {
        // torch.promote_types over {bool, uint8, int32, int64, float32, float64}
        assert_eq!(U8.promote(Bool), U8);
        assert_eq!(U8.promote(I32), I32);
        assert_eq!(I32.promote(I64), I64);
        assert_eq!(I32.promote(F32), F32);
        assert_eq!(U8.promote(F64), F64);
        // a Python int does not widen an int32 / uint8 tensor; a Python float gives float32
        assert_eq!(DType::result_type(&[(I32, Dimensioned), (I64, Wrapped)]), I32);
        assert_eq!(DType::result_type(&[(U8, Dimensioned), (I64, Wrapped)]), U8);
        assert_eq!(DType::result_type(&[(I32, Dimensioned), (F64, Wrapped)]), F32);
        // a 0-d int64 tensor does not widen an int32 tensor, a dimensioned one does
        assert_eq!(DType::result_type(&[(I32, Dimensioned), (I64, ZeroDim)]), I32);
        assert_eq!(DType::result_type(&[(I32, Dimensioned), (I64, Dimensioned)]), I64);
        // a bool tensor takes the category of a 0-d int32 tensor
        assert_eq!(DType::result_type(&[(Bool, Dimensioned), (I32, ZeroDim)]), I32);
        assert_eq!(DType::result_type(&[(U8, Dimensioned), (I32, ZeroDim)]), U8);
    }
}
