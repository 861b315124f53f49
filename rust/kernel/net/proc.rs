// SPDX-License-Identifier: GPL-2.0

//! Per-namespace `/proc/net/stat/` files.
//!
//! C headers: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h),
//! [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use super::namespace::{Net, NetInit, PernetData};
use crate::{bindings, error::code::ENOMEM, prelude::*, seq_file::SeqFile, str::CStr, sync::rcu};
use core::marker::{PhantomData, PhantomPinned};

/// Contents of a per-namespace statistics file.
pub trait StatShow: PernetData {
    /// Writes the file for this namespace's state (with [`seq_print!`](crate::seq_print)), in
    /// an RCU read-side critical section (the state is found with [`PernetData::of`]): it must
    /// not sleep.
    fn show(&self, m: &SeqFile);
}

/// A file `/proc/net/stat/NAME` in one namespace (`proc_create_net_single`).
///
/// # Invariants
///
/// The entry exists in `net`'s `/proc/net/stat` from construction until drop. The file lies
/// in `net`'s state of some [`PernetData`] type ([`NetInit`]), which is dropped before `net`
/// (and its `/proc/net/stat`) goes away; it is pinned there.
#[pin_data(PinnedDrop)]
pub struct StatFile<T: StatShow> {
    net: *const bindings::net,
    name: &'static CStr,
    _p: PhantomData<T>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the object only names a proc entry; procfs synchronises itself.
unsafe impl<T: StatShow> Send for StatFile<T> {}
// SAFETY: as above.
unsafe impl<T: StatShow> Sync for StatFile<T> {}

impl<T: StatShow> StatFile<T> {
    /// Creates `/proc/net/stat/<name>` in `net`, showing `T::show` of the namespace's state.
    ///
    /// Fails with `EINVAL` unless built as a field of `net`'s state ([`NetInit`]).
    pub fn new<'a>(net: &'a NetInit<'a>, name: &'static CStr) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(&this in Self {
            net: {
                net.holds(this.as_ptr())?;
                // SAFETY: `name` is static; the parent directory lives as long as the
                // namespace, which outlives the file (a field of its state, checked above);
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
                net.as_ptr()
            },
            name,
            _p: PhantomData,
            _pin: PhantomPinned,
        }? Error)
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
            // SAFETY: `m` is the `seq_file` of this `show` call, which only this thread writes
            // until the call returns.
            state.show(unsafe { SeqFile::from_raw(m) });
        }
        rcu.unlock();
        0
    }
}

#[pinned_drop]
impl<T: StatShow> PinnedDrop for StatFile<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: the entry exists (type invariant); removal waits for open readers' calls.
        unsafe { bindings::remove_proc_entry(self.name.as_char_ptr(), (*self.net).proc_net_stat) };
    }
}
