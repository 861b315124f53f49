// SPDX-License-Identifier: GPL-2.0

//! Static keys: a branch that costs a no-op until the key is enabled.
//!
//! C header: [`include/linux/jump_label.h`](srctree/include/linux/jump_label.h)
//!
//! The shape of upstream's `kernel::jump_label` (merged after 6.12): on x86-64 with
//! `CONFIG_JUMP_LABEL`, [`static_branch_unlikely!`] emits the five-byte no-op and the
//! `__jump_table` entry that `arch_static_branch` in `arch/x86/include/asm/jump_label.h` emits,
//! so the kernel patches the no-op into a jump when the key is enabled (for a module, at load
//! and on every change, as for C code); elsewhere it reads the key's count.

/// Whether the static key `$field` of the C object `$key` (of type `$keytyp`) is enabled,
/// optimised for "not enabled" (`static_branch_unlikely`).
///
/// `$key` must be an `extern` static the kernel defines (it is named by symbol in the jump
/// table). Expands to an `unsafe` expression: the caller states that the key is a static key.
///
/// # Examples
///
/// ```
/// use kernel::{bindings, static_branch_unlikely};
///
/// #[allow(improper_ctypes)] // Only the address and the key are used.
/// extern "C" {
///     static __tracepoint_rdst_hit: bindings::tracepoint;
/// }
///
/// // SAFETY: a tracepoint's `key` is a static key, always valid to test.
/// let on = unsafe { static_branch_unlikely!(__tracepoint_rdst_hit, bindings::tracepoint, key) };
/// // The branch agrees with the key's count (`static_key_count`), which nothing enables here.
/// // SAFETY: reads an atomic of a live static object.
/// let count = unsafe { (&raw const __tracepoint_rdst_hit.key.enabled.counter).read_volatile() };
/// assert_eq!(on, count > 0);
/// ```
#[macro_export]
macro_rules! static_branch_unlikely {
    ($key:path, $keytyp:ty, $field:ident) => {{
        #[cfg(all(CONFIG_JUMP_LABEL, target_arch = "x86_64"))]
        let enabled = 'branch: {
            // As `arch_static_branch(key, false)` without `CONFIG_HAVE_JUMP_LABEL_HACK`:
            // `BYTES_NOP5`, then a relative `struct jump_entry { code, target, key | branch }`.
            ::core::arch::asm!(
                "1: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00",
                ".pushsection __jump_table, \"aw\"",
                ".balign 8",
                ".long 1b - .",
                ".long {l_yes} - .",
                ".quad {key} + {off} - .",
                ".popsection",
                key = sym $key,
                off = const ::core::mem::offset_of!($keytyp, $field),
                l_yes = label { break 'branch true; },
                options(att_syntax, nostack, preserves_flags),
            );
            false
        };
        #[cfg(not(all(CONFIG_JUMP_LABEL, target_arch = "x86_64")))]
        // `static_key_count`: an atomic read of the key's enable count.
        let enabled = (&raw const (*(&raw const $key.$field).cast::<$crate::bindings::static_key>())
            .enabled
            .counter)
            .read_volatile()
            > 0;
        enabled
    }};
}
