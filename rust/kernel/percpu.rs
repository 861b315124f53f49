// SPDX-License-Identifier: GPL-2.0

//! Per-CPU event counters.
//!
//! C header: [`include/linux/percpu.h`](srctree/include/linux/percpu.h)

use crate::{bindings, error::code::ENOMEM, prelude::*};
use core::ptr::NonNull;

/// `N` per-CPU `unsigned long` counters, incremented without atomics or locks on the local CPU
/// (`this_cpu_add`) and summed over all possible CPUs when read.
///
/// # Invariants
///
/// `base` points to a live per-CPU allocation of `N` `unsigned long`s owned by this object.
///
/// # Examples
///
/// ```
/// use kernel::percpu::Counters;
///
/// let c = Counters::<2>::new()?;
/// c.add(1, 3);
/// c.inc(1);
/// assert_eq!(c.sum(0), 0);
/// assert_eq!(c.sum(1), 4);
/// # Ok::<(), Error>(())
/// ```
pub struct Counters<const N: usize> {
    base: NonNull<crate::ffi::c_ulong>,
}

// SAFETY: per-CPU counters are updated with `this_cpu_add` (safe against preemption and
// interrupts) and read with `READ_ONCE`; sharing them between threads is their purpose.
unsafe impl<const N: usize> Send for Counters<N> {}
// SAFETY: as above.
unsafe impl<const N: usize> Sync for Counters<N> {}

impl<const N: usize> Counters<N> {
    /// Allocates `N` zeroed counters on every possible CPU.
    pub fn new() -> Result<Self> {
        // SAFETY: `alloc_percpu_ulongs` has no preconditions; it may sleep, which callers of a
        // constructor taking no GFP flags expect.
        let base = unsafe { bindings::alloc_percpu_ulongs(N) };
        // INVARIANT: a non-null return is an owned allocation of `N` counters.
        Ok(Self {
            base: NonNull::new(base).ok_or(ENOMEM)?,
        })
    }

    /// Adds `v` to counter `idx` of the local CPU.
    #[inline]
    pub fn add(&self, idx: usize, v: usize) {
        if idx >= N {
            return;
        }
        // `this_cpu_add` on x86-64: one `add` relative to the per-CPU segment base, which the
        // kernel keeps at this CPU's `__per_cpu_offset` (so a per-CPU pointer plus the base is
        // this CPU's copy); one instruction, hence safe against preemption and interrupts.
        #[cfg(all(CONFIG_SMP, target_arch = "x86_64"))]
        // SAFETY: `base` is a live per-CPU allocation of `N` counters (type invariant) and
        // `idx` is in bounds, so `base + idx` relative to any CPU's base is that CPU's counter.
        unsafe {
            core::arch::asm!(
                "add qword ptr gs:[{counter}], {v}",
                // Not `add`: a per-CPU pointer is an offset, not an address of this address space.
                counter = in(reg) self.base.as_ptr().wrapping_add(idx),
                v = in(reg) v,
                options(nostack),
            )
        };
        #[cfg(not(all(CONFIG_SMP, target_arch = "x86_64")))]
        // SAFETY: `base` is live (type invariant) and `idx` is in bounds.
        unsafe {
            bindings::this_cpu_add_ulong(self.base.as_ptr(), idx, v as _)
        };
    }

    /// Increments counter `idx` of the local CPU.
    #[inline]
    pub fn inc(&self, idx: usize) {
        self.add(idx, 1)
    }

    /// Reads counter `idx` of `cpu`.
    pub fn get(&self, cpu: PossibleCpu, idx: usize) -> u64 {
        if idx >= N {
            return 0;
        }
        // SAFETY: `base` is live, `idx` is in bounds and `cpu` is possible (`PossibleCpu`'s
        // invariant), so it has a per-CPU area.
        unsafe { bindings::per_cpu_ulong(self.base.as_ptr(), idx, cpu.as_u32()) as u64 }
    }

    /// Sums counter `idx` over every possible CPU.
    pub fn sum(&self, idx: usize) -> u64 {
        possible_cpus().map(|cpu| self.get(cpu, idx)).sum()
    }
}

impl<const N: usize> Drop for Counters<N> {
    fn drop(&mut self) {
        // SAFETY: `base` came from `__alloc_percpu` and is freed exactly once, here.
        unsafe { bindings::free_percpu(self.base.as_ptr().cast()) };
    }
}

/// The number of a possible CPU (in `cpu_possible_mask`): one that has per-CPU areas.
///
/// Like upstream's `kernel::cpu::CpuId`, but for `per_cpu_ptr` the bound is the possible mask,
/// not `nr_cpu_ids` (the mask may have holes below it).
///
/// # Invariants
///
/// The number is set in `cpu_possible_mask`, which does not change after boot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PossibleCpu(u32);

impl PossibleCpu {
    /// `cpu`, if it is possible.
    ///
    /// # Examples
    ///
    /// ```
    /// use kernel::percpu::{possible_cpus, PossibleCpu};
    ///
    /// let first = possible_cpus().next().unwrap();
    /// assert_eq!(PossibleCpu::new(first.as_u32()), Some(first));
    /// assert_eq!(PossibleCpu::new(u32::MAX), None);
    /// ```
    pub fn new(cpu: u32) -> Option<Self> {
        // SAFETY: `cpu_possible_mask` is readable from any context; any number may be tested.
        // INVARIANT: checked here.
        unsafe { bindings::cpu_is_possible(cpu) }.then_some(Self(cpu))
    }

    /// The CPU's number.
    pub fn as_u32(self) -> u32 {
        self.0
    }
}

/// Iterates over the possible CPUs (`for_each_possible_cpu`).
pub fn possible_cpus() -> impl Iterator<Item = PossibleCpu> {
    let mut cpu: i32 = -1;
    core::iter::from_fn(move || {
        // SAFETY: `cpumask_next_possible` accepts any CPU number from -1 upwards.
        let next = unsafe { bindings::cpumask_next_possible(cpu) };
        // SAFETY: reading `nr_cpu_ids`, which is set once during boot.
        if next >= unsafe { bindings::nr_cpu_ids } {
            return None;
        }
        cpu = next as i32;
        // INVARIANT: `cpumask_next_possible` returns a possible CPU below `nr_cpu_ids`.
        Some(PossibleCpu(next))
    })
}
