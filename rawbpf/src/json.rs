//! JSON output helpers over `serde_json` (built with `preserve_order`, so keys print in the
//! order the code lists them, like the text output).

pub use serde_json::Value as Json;

/// An object from `(key, value)` pairs, keys in the given order.
pub fn obj<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
    Json::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

/// `null` for `None`.
pub fn opt<T: Into<Json>>(v: Option<T>) -> Json {
    v.map_or(Json::Null, Into::into)
}
