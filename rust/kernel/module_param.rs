// SPDX-License-Identifier: GPL-2.0

//! Module parameters for loadable modules.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)
//!
//! [`module_param!`](crate::module_param) declares a parameter the way `module_param_named()`
//! and `MODULE_PARM_DESC()` do in C: a `struct kernel_param` in the `__param` section (which
//! `load_module` parses from the `insmod` command line before the module's `init` runs) and
//! `parm=`/`parmtype=` strings in `.modinfo` (which `modinfo` prints). Parameters are read-only
//! in sysfs (`/sys/module/NAME/parameters/`), so the value `init` validated is the value the
//! module keeps.
//!
//! Modules normally declare their parameters in [`module!`](crate::prelude::module)'s `params`
//! key, which expands to one [`module_param!`](crate::module_param) each.

use crate::bindings;
use core::cell::UnsafeCell;

/// Types a parameter can have, with the kernel's parser for them.
///
/// # Safety
///
/// `OPS` must parse into and print from a value of type `Self`.
pub unsafe trait ParamType: Copy + Send + Sync + 'static {
    /// The `parmtype=` name shown by `modinfo`.
    const TYPE_NAME: &'static str;
    /// The kernel's `param_ops_*` for the type.
    const OPS: *const bindings::kernel_param_ops;
}

// SAFETY: `param_ops_uint` parses and prints an `unsigned int`.
unsafe impl ParamType for u32 {
    const TYPE_NAME: &'static str = "uint";
    const OPS: *const bindings::kernel_param_ops = &raw const bindings::param_ops_uint;
}

// SAFETY: `param_ops_bool` parses and prints a `bool`.
unsafe impl ParamType for bool {
    const TYPE_NAME: &'static str = "bool";
    const OPS: *const bindings::kernel_param_ops = &raw const bindings::param_ops_bool;
}

/// The storage of one parameter, named and read as upstream's (v6.15 and later):
/// `module_parameters::NAME.value()`.
///
/// # Invariants
///
/// The kernel writes the value only while loading the module (before `init`): the parameter is
/// registered read-only in sysfs.
#[repr(transparent)]
pub struct ModuleParamAccess<T: ParamType> {
    data: UnsafeCell<T>,
}

// SAFETY: after load the value is only read (type invariant).
unsafe impl<T: ParamType> Sync for ModuleParamAccess<T> {}

impl<T: ParamType> ModuleParamAccess<T> {
    /// Creates the storage with the default value.
    pub const fn new(default: T) -> Self {
        Self {
            data: UnsafeCell::new(default),
        }
    }

    /// The value given at load time, or the default.
    pub fn value(&self) -> &T {
        // SAFETY: the kernel wrote the value, if at all, before the module's code could run and
        // never writes it again (type invariant): it is only read while the reference lives.
        unsafe { &*self.data.get() }
    }

    /// The storage, for the `struct kernel_param` the kernel parses the command line into.
    #[doc(hidden)]
    pub const fn as_void_ptr(&'static self) -> *mut crate::ffi::c_void {
        self.data.get().cast()
    }
}

/// A `struct kernel_param`, placed in the `__param` section by [`module_param!`].
#[doc(hidden)]
#[repr(transparent)]
pub struct KernelParam(bindings::kernel_param);

// SAFETY: the kernel only reads the description (and the storage through its own locking).
unsafe impl Sync for KernelParam {}

impl KernelParam {
    #[doc(hidden)]
    pub const fn new(
        name: &'static crate::str::CStr,
        ops: *const bindings::kernel_param_ops,
        arg: *mut crate::ffi::c_void,
    ) -> Self {
        Self(bindings::kernel_param {
            name: name.as_char_ptr(),
            mod_: core::ptr::null_mut(),
            ops,
            perm: 0o444,
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 { arg },
        })
    }
}

/// Copies `s` into a NUL-terminated array, for `.modinfo` strings.
#[doc(hidden)]
pub const fn modinfo<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut a = [0u8; N];
    let mut i = 0;
    while i < b.len() && i < N - 1 {
        a[i] = b[i];
        i += 1;
    }
    a
}

/// Declares a module parameter.
///
/// ```ignore
/// kernel::module_param!(GC_THRESH: u32 = 16384, "gc_thresh", "Most cached entries per namespace");
///
/// let v = *GC_THRESH.value();
/// ```
#[macro_export]
macro_rules! module_param {
    ($vis:vis $var:ident : $t:ty = $default:expr, $name:literal, $desc:literal) => {
        $vis static $var: $crate::module_param::ModuleParamAccess<$t> =
            $crate::module_param::ModuleParamAccess::new($default);
        const _: () = {
            #[link_section = "__param"]
            #[used(compiler)]
            static PARAM: $crate::module_param::KernelParam =
                $crate::module_param::KernelParam::new(
                    $crate::c_str!($name),
                    <$t as $crate::module_param::ParamType>::OPS,
                    $var.as_void_ptr(),
                );
            const PARM: &str = ::core::concat!("parm=", $name, ":", $desc);
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static MODINFO_PARM: [u8; PARM.len() + 1] = $crate::module_param::modinfo(PARM);
            const TYPE: &str = <$t as $crate::module_param::ParamType>::TYPE_NAME;
            const PARMTYPE_LEN: usize = "parmtype=".len() + $name.len() + 1 + TYPE.len() + 1;
            const fn parmtype() -> [u8; PARMTYPE_LEN] {
                let mut a = [0u8; PARMTYPE_LEN];
                let parts: [&[u8]; 4] = [b"parmtype=", $name.as_bytes(), b":", TYPE.as_bytes()];
                let (mut i, mut p) = (0, 0);
                while p < parts.len() {
                    let mut j = 0;
                    while j < parts[p].len() {
                        a[i] = parts[p][j];
                        i += 1;
                        j += 1;
                    }
                    p += 1;
                }
                a
            }
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static MODINFO_PARMTYPE: [u8; PARMTYPE_LEN] = parmtype();
        };
    };
}
