// SPDX-License-Identifier: GPL-2.0

//! Sequence files (`seq_file`), the text a `show` callback writes for a read of a file.
//!
//! The API is upstream's (v6.13 and later): a [`SeqFile`] borrowed for the callback, written
//! with [`seq_print!`], which formats through `seq_printf`'s `%pA`. seq_file handles overflow
//! itself (it calls `show` again with a larger buffer), so writing cannot fail.
//!
//! C header: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use crate::{bindings, c_str, types::Opaque};
use core::marker::PhantomData;

/// A `struct seq_file` being filled by its `show` callback.
///
/// # Invariants
///
/// A `&SeqFile` refers to a `seq_file` that only the current thread writes while the reference
/// lives (the running `show` call's).
#[repr(transparent)]
pub struct SeqFile {
    inner: Opaque<bindings::seq_file>,
    _not_send: PhantomData<*mut ()>,
}

impl SeqFile {
    /// Borrows the `seq_file` at `ptr` for `'a`.
    ///
    /// # Safety
    ///
    /// For all of `'a`, `ptr` points to a valid `struct seq_file` that no other thread
    /// accesses (for example, the one a `show` callback was called with, for the call).
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a SeqFile {
        // INVARIANT: the caller guarantees validity and exclusivity for `'a`.
        // SAFETY: `SeqFile` is a transparent wrapper of `Opaque<seq_file>`, which has the
        // layout of `struct seq_file`; the caller guarantees the rest.
        unsafe { &*ptr.cast() }
    }

    /// Writes `args`; used by [`seq_print!`].
    #[inline]
    pub fn call_printf(&self, args: core::fmt::Arguments<'_>) {
        // SAFETY: the `seq_file` is valid and ours for the borrow (type invariant); `%pA`
        // takes a pointer to `fmt::Arguments`, which `vsnprintf` formats through
        // `rust_fmt_argument` before this call returns.
        unsafe {
            bindings::seq_printf(
                self.inner.get(),
                c_str!("%pA").as_char_ptr(),
                core::ptr::from_ref(&args).cast::<crate::ffi::c_void>(),
            );
        }
    }
}

/// Writes to a [`SeqFile`] with Rust's formatting syntax.
///
/// # Examples
///
/// ```
/// use kernel::{seq_file::SeqFile, seq_print};
///
/// fn show(m: &SeqFile, packets: u64) {
///     seq_print!(m, "packets {packets}\n");
/// }
/// ```
#[macro_export]
macro_rules! seq_print {
    ($m:expr, $($arg:tt)+) => (
        $m.call_printf(format_args!($($arg)+))
    );
}
pub use seq_print;
