//! The support code every generated skeleton carries: the `Pod` trait (values read from and
//! written to a map's bytes, safely) and typed views of maps. Emitted verbatim into the module,
//! so a skeleton needs nothing but the `loader` crate.

/// The text of the support code.
pub const SUPPORT: &str = r#"
/// A value with a fixed size in the kernel's byte layout.
pub trait Pod: Sized {
    /// Its size in bytes.
    const SIZE: usize;
    /// Reads it from the first `SIZE` bytes of `b`.
    fn read(b: &[u8]) -> Self;
    /// Writes it to the first `SIZE` bytes of `b`.
    fn write(&self, b: &mut [u8]);
}

macro_rules! pod_scalar {
    ($($t:ty),*) => {$(
        impl Pod for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..Self::SIZE]);
                <$t>::from_ne_bytes(a)
            }
            fn write(&self, b: &mut [u8]) {
                b[..Self::SIZE].copy_from_slice(&self.to_ne_bytes());
            }
        }
    )*};
}
pod_scalar!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128, f32, f64);

impl<T: Pod, const N: usize> Pod for [T; N] {
    const SIZE: usize = T::SIZE * N;
    fn read(b: &[u8]) -> Self {
        std::array::from_fn(|i| T::read(&b[i * T::SIZE..]))
    }
    fn write(&self, b: &mut [u8]) {
        for (i, v) in self.iter().enumerate() {
            v.write(&mut b[i * T::SIZE..]);
        }
    }
}

fn to_bytes<T: Pod>(v: &T) -> Vec<u8> {
    let mut b = vec![0u8; T::SIZE];
    v.write(&mut b);
    b
}

/// A map whose keys are `K` and values `V`.
pub struct TypedMap<'a, K, V> {
    map: &'a LoadedMap,
    types: std::marker::PhantomData<(K, V)>,
}

impl<'a, K: Pod, V: Pod> TypedMap<'a, K, V> {
    fn new(map: &'a LoadedMap) -> Self {
        TypedMap { map, types: std::marker::PhantomData }
    }

    /// The map itself.
    pub fn raw(&self) -> &'a LoadedMap {
        self.map
    }

    /// The value at `key`.
    pub fn lookup(&self, key: &K) -> Result<Option<V>, SysError> {
        let mut v = vec![0u8; V::SIZE];
        Ok(self.map.lookup(&to_bytes(key), &mut v)?.then(|| V::read(&v)))
    }

    /// Writes `value` at `key`.
    pub fn update(&self, key: &K, value: &V, how: Update) -> Result<(), SysError> {
        self.map.update(&to_bytes(key), &to_bytes(value), how)
    }

    /// Deletes `key`; `false` when it was not there.
    pub fn delete(&self, key: &K) -> Result<bool, SysError> {
        self.map.delete(&to_bytes(key))
    }

    /// Every key, in the kernel's iteration order.
    pub fn keys(&self) -> Result<Vec<K>, SysError> {
        let (mut keys, mut at, mut next) = (Vec::new(), None::<Vec<u8>>, vec![0u8; K::SIZE]);
        while self.map.next_key(at.as_deref(), &mut next)? {
            keys.push(K::read(&next));
            at = Some(next.clone());
        }
        Ok(keys)
    }
}
"#;
