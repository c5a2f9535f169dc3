//! A record decoded by a type of the object's BTF (`struct event`), as `btf::value` decodes
//! map values.

use btf::value::{decode, Value, ValueError};
use btf::{Btf, BtfError, Kind, TypeId};

use super::layout::{replay, Layout, Visit};

/// Why a record could not be decoded as the type asked for.
#[derive(Debug, thiserror::Error)]
pub enum EventTypeError {
    /// The object has no BTF to look the type up in.
    #[error("the object has no BTF to find type {name} in")]
    NoBtf {
        /// The type asked for.
        name: String,
    },
    /// No struct, union or typedef of that name in the object's BTF.
    #[error("no struct, union or typedef {name} in the object's BTF")]
    NotFound {
        /// The type asked for.
        name: String,
    },
    /// The type's size cannot be computed.
    #[error("type {name}: no size")]
    Size {
        /// The type.
        name: String,
        /// Why.
        #[source]
        source: BtfError,
    },
    /// A record is shorter than the type.
    #[error("a {len}-byte record is shorter than {name} ({size} bytes)")]
    Short {
        /// The type.
        name: String,
        /// Its size.
        size: usize,
        /// The record's length.
        len: usize,
    },
    /// The bytes could not be decoded.
    #[error("decoding a record as {name}")]
    Decode {
        /// The type.
        name: String,
        /// Why.
        #[source]
        source: ValueError,
    },
}

/// A type records are decoded as, compiled once ([`EventType::visit`] reads a record with no
/// BTF lookup and no allocation).
#[derive(Debug, Clone)]
pub struct EventType<'b> {
    btf: &'b Btf,
    id: TypeId,
    name: String,
    size: usize,
    layout: Option<Layout>,
}

impl<'b> EventType<'b> {
    /// Finds `name` (`event`, or `struct event`) among the structs, unions and typedefs of
    /// `btf`, the object's BTF.
    pub fn find(btf: Option<&'b Btf>, name: &str) -> Result<EventType<'b>, EventTypeError> {
        let btf = btf.ok_or_else(|| EventTypeError::NoBtf { name: name.to_owned() })?;
        let bare = name.strip_prefix("struct ").or_else(|| name.strip_prefix("union ")).unwrap_or(name).trim();
        let id = [Kind::Struct, Kind::Union, Kind::Typedef]
            .into_iter()
            .find_map(|k| btf.find_by_name_kind(bare, k))
            .ok_or_else(|| EventTypeError::NotFound { name: name.to_owned() })?;
        let size = btf.size_of(id).map_err(|source| EventTypeError::Size { name: name.to_owned(), source })? as usize;
        let layout = Layout::compile(btf, id, size);
        Ok(EventType { btf, id, name: bare.to_owned(), size, layout })
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its size: records must be at least this long (perf samples are padded, so longer).
    pub fn size(&self) -> usize {
        self.size
    }

    /// Decodes the first [`Self::size`] bytes of `data` into a tree of values.
    pub fn decode(&self, data: &[u8]) -> Result<Value, EventTypeError> {
        let data = self.record(data)?;
        decode(self.btf, self.id, data).map_err(|source| EventTypeError::Decode { name: self.name.clone(), source })
    }

    /// Hands the fields of the first [`Self::size`] bytes of `data` to `v`, in the order and
    /// with the values [`Self::decode`] gives, without building them: a compiled layout reads
    /// them straight from the bytes (a type that did not compile is decoded and replayed).
    pub fn visit(&self, data: &[u8], v: &mut impl Visit) -> Result<(), EventTypeError> {
        let data = self.record(data)?;
        match &self.layout {
            Some(l) => l.walk(data, v),
            None => replay(&self.decode(data)?, v),
        }
        Ok(())
    }

    /// Whether records are read by a compiled layout ([`Self::visit`] builds no values).
    pub fn is_compiled(&self) -> bool {
        self.layout.is_some()
    }

    /// The member names of each struct and union the compiled layout visits, outermost first
    /// (`None` without one): a caller that keys members by name can check them once.
    pub fn member_names(&self) -> Option<Vec<Vec<&str>>> {
        self.layout.as_ref().map(Layout::member_names)
    }

    /// The record's first [`Self::size`] bytes, or why there are not that many.
    fn record<'d>(&self, data: &'d [u8]) -> Result<&'d [u8], EventTypeError> {
        data.get(..self.size).ok_or_else(|| EventTypeError::Short {
            name: self.name.clone(),
            size: self.size,
            len: data.len(),
        })
    }
}
