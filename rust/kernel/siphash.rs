// SPDX-License-Identifier: GPL-2.0

//! SipHash, the kernel's keyed hash for tables that untrusted input can fill.
//!
//! C header: [`include/linux/siphash.h`](srctree/include/linux/siphash.h)
//!
//! Computed here rather than by calling `lib/siphash.c`: a table lookup hashes on every packet,
//! and the rounds are a few dozen register operations, cheaper inline than a call.

use crate::bindings;

/// A random 128-bit SipHash key.
///
/// # Examples
///
/// ```
/// use kernel::{bindings, siphash::Key};
///
/// let k = Key::new_random();
/// assert_eq!(k.hash_3u64(1, 2, 3), k.hash_3u64(1, 2, 3));
/// assert_ne!(k.hash_3u64(1, 2, 3), k.hash_3u64(1, 2, 4));
/// // The same functions as the kernel's `siphash_2u64` and `siphash_3u64`.
/// for (a, b, c) in [(0, 0, 0), (1, 2, 3), (u64::MAX, 1 << 63, 0x0123_4567_89ab_cdef)] {
///     // SAFETY: the key is valid for the calls.
///     assert_eq!(k.hash_2u64(a, b), unsafe { bindings::siphash_2u64(a, b, k.as_raw()) });
///     // SAFETY: as above.
///     assert_eq!(k.hash_3u64(a, b, c), unsafe { bindings::siphash_3u64(a, b, c, k.as_raw()) });
/// }
/// // The fast variant has the rounds of `hsiphash` on 64-bit machines: another function.
/// assert_ne!(k.hash_2u64_fast(1, 2), k.hash_2u64(1, 2));
/// assert_eq!(k.hash_2u64_fast(1, 2), k.hash_2u64_fast(1, 2));
/// assert_ne!(k.hash_2u64_fast(1, 2), k.hash_2u64_fast(1, 3));
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

    /// The key as C functions take it.
    pub fn as_raw(&self) -> *const bindings::siphash_key_t {
        &self.0
    }

    /// Hashes two 64-bit words with SipHash-2-4 (`siphash_2u64`).
    #[inline]
    pub fn hash_2u64(&self, a: u64, b: u64) -> u64 {
        self.sip::<2, 4, 2>([a, b])
    }

    /// Hashes three 64-bit words with SipHash-2-4 (`siphash_3u64`).
    #[inline]
    pub fn hash_3u64(&self, a: u64, b: u64, c: u64) -> u64 {
        self.sip::<2, 4, 3>([a, b, c])
    }

    /// Hashes two 64-bit words with SipHash-1-3, the rounds the kernel's `hsiphash` uses on
    /// 64-bit machines: for hash tables whose chains are bounded anyway, where an attacker who
    /// finds collisions gains a longer chain, not a wrong answer.
    #[inline]
    pub fn hash_2u64_fast(&self, a: u64, b: u64) -> u64 {
        self.sip::<1, 3, 2>([a, b])
    }

    /// SipHash with `C` compression and `D` finalisation rounds over `N` words, as
    /// `lib/siphash.c` computes it (the last block is the length in bytes, shifted to the top).
    #[inline(always)]
    fn sip<const C: usize, const D: usize, const N: usize>(&self, words: [u64; N]) -> u64 {
        let [k0, k1] = self.0.key;
        let mut v = [
            k0 ^ 0x736f6d6570736575,
            k1 ^ 0x646f72616e646f6d,
            k0 ^ 0x6c7967656e657261,
            k1 ^ 0x7465646279746573,
        ];
        let mut compress = |m: u64| {
            v[3] ^= m;
            for _ in 0..C {
                round(&mut v);
            }
            v[0] ^= m;
        };
        for m in words {
            compress(m);
        }
        // The last block: the length in bytes in the top byte, no tail.
        compress(((8 * N) as u64) << 56);
        v[2] ^= 0xff;
        for _ in 0..D {
            round(&mut v);
        }
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }
}

/// `SIPROUND`.
#[inline(always)]
fn round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}
