// SPDX-License-Identifier: GPL-2.0

//! Per-namespace `/proc/net/stat/` files.
//!
//! C headers: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h),
//! [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use super::namespace::{Net, PernetData};
use crate::{bindings, error::code::ENOMEM, prelude::*, str::CStr, sync::rcu};
use core::{fmt, marker::PhantomData};

/// A `seq_file` being filled by a `show` callback; implements [`fmt::Write`].
pub struct SeqFile<'a> {
    m: *mut bindings::seq_file,
    _p: PhantomData<&'a mut bindings::seq_file>,
}

impl fmt::Write for SeqFile<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `m` is the seq_file of the running `show` call; `s` is valid for its length.
        // Overflow is handled by seq_file itself (it retries with a larger buffer).
        unsafe { bindings::seq_write(self.m, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// Contents of a per-namespace statistics file.
pub trait StatShow: PernetData {
    /// Writes the file for this namespace's state, in an RCU read-side critical section (the
    /// state is found with [`PernetData::of`]): it must not sleep.
    fn show(&self, out: &mut SeqFile<'_>) -> fmt::Result;
}

/// A file `/proc/net/stat/NAME` in one namespace (`proc_create_net_single`).
///
/// # Invariants
///
/// The entry exists in `net`'s `/proc/net/stat` from construction until drop.
pub struct StatFile<T: StatShow> {
    net: *const bindings::net,
    name: &'static CStr,
    _p: PhantomData<T>,
}

// SAFETY: the object only names a proc entry; procfs synchronises itself.
unsafe impl<T: StatShow> Send for StatFile<T> {}
// SAFETY: as above.
unsafe impl<T: StatShow> Sync for StatFile<T> {}

impl<T: StatShow> StatFile<T> {
    /// Creates `/proc/net/stat/<name>` in `net`, showing `T::show` of the namespace's state.
    pub fn new(net: &Net, name: &'static CStr) -> Result<Self> {
        // SAFETY: `name` is static; the parent directory lives as long as the namespace;
        // `show_callback` finds its state through the namespace the file is opened in.
        let pde = unsafe {
            bindings::proc_create_net_single(
                name.as_char_ptr(),
                0o444,
                net.proc_net_stat(),
                Some(Self::show_callback),
                core::ptr::null_mut(),
            )
        };
        if pde.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: the entry was created above.
        Ok(Self {
            net: net.as_ptr(),
            name,
            _p: PhantomData,
        })
    }

    /// # Safety
    ///
    /// `m` must be a `seq_file` opened by `single_open_net` for a file of a `StatFile<T>`.
    unsafe extern "C" fn show_callback(
        m: *mut bindings::seq_file,
        _v: *mut crate::ffi::c_void,
    ) -> crate::ffi::c_int {
        // SAFETY: `single_open_net` stores the namespace (with a reference) in `private`.
        let net = unsafe { Net::from_raw((*m).private.cast()) };
        let rcu = rcu::Guard::new();
        if let Some(state) = T::of(net, &rcu) {
            let mut out = SeqFile { m, _p: PhantomData };
            let _ = state.show(&mut out);
        }
        drop(rcu);
        0
    }
}

impl<T: StatShow> Drop for StatFile<T> {
    fn drop(&mut self) {
        // SAFETY: the entry exists (type invariant); removal waits for open readers' calls.
        unsafe { bindings::remove_proc_entry(self.name.as_char_ptr(), (*self.net).proc_net_stat) };
    }
}
