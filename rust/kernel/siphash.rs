// SPDX-License-Identifier: GPL-2.0

//! SipHash, the kernel's keyed hash for tables that untrusted input can fill.
//!
//! C header: [`include/linux/siphash.h`](srctree/include/linux/siphash.h)

use crate::bindings;

/// A random 128-bit SipHash key.
///
/// # Examples
///
/// ```
/// use kernel::siphash::Key;
///
/// let k = Key::new_random();
/// assert_eq!(k.hash_3u64(1, 2, 3), k.hash_3u64(1, 2, 3));
/// ```
pub struct Key(bindings::siphash_key_t);

impl Key {
    /// Creates a key from the kernel's random number generator.
    pub fn new_random() -> Self {
        let mut key = bindings::siphash_key_t { key: [0; 2] };
        // SAFETY: `key` is valid for writes of its own size.
        unsafe {
            bindings::get_random_bytes(
                (&raw mut key).cast(),
                core::mem::size_of::<bindings::siphash_key_t>(),
            )
        };
        Self(key)
    }

    /// Hashes three 64-bit words.
    #[inline]
    pub fn hash_3u64(&self, a: u64, b: u64, c: u64) -> u64 {
        // SAFETY: `self.0` is a valid key for the duration of the call.
        unsafe { bindings::siphash_3u64(a, b, c, &self.0) }
    }
}
