// SPDX-License-Identifier: GPL-2.0

//! Network devices and their event notifier.
//!
//! C headers: [`include/linux/netdevice.h`](srctree/include/linux/netdevice.h),
//! [`include/linux/inetdevice.h`](srctree/include/linux/inetdevice.h)

use super::namespace::Net;
use crate::{bindings, error::to_result, prelude::*, types::Opaque};
use core::marker::PhantomData;

/// A network device (`struct net_device`).
///
/// # Invariants
///
/// A `&NetDevice` is only created for a device that stays allocated for the reference's
/// lifetime.
#[repr(transparent)]
pub struct NetDevice(Opaque<bindings::net_device>);

// SAFETY: `struct net_device` is shared between CPUs by design; the accessors read fields that
// are constant while the device is registered or read them as the C code does.
unsafe impl Sync for NetDevice {}

impl NetDevice {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a device that stays allocated for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *const bindings::net_device) -> &'a Self {
        // SAFETY: transparent wrapper; validity is the caller's guarantee.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    #[inline]
    pub fn as_ptr(&self) -> *mut bindings::net_device {
        self.0.get()
    }

    /// The interface index.
    #[inline]
    pub fn ifindex(&self) -> i32 {
        // SAFETY: `ifindex` is set at registration and constant while the device is allocated.
        unsafe { (*self.as_ptr()).ifindex }
    }

    /// The namespace the device belongs to.
    pub fn net(&self) -> &Net {
        // SAFETY: a device holds a reference on its namespace while it is allocated.
        unsafe { Net::from_raw(bindings::dev_net(self.as_ptr())) }
    }

    /// Whether the device is an L3 master (VRF) or enslaved to one: its packets are routed in
    /// the master's table, which an address-keyed cache cannot see.
    #[inline]
    pub fn is_l3mdev(&self) -> bool {
        const L3MDEV: crate::ffi::c_ulong = (bindings::netdev_priv_flags_IFF_L3MDEV_MASTER
            | bindings::netdev_priv_flags_IFF_L3MDEV_SLAVE)
            as crate::ffi::c_ulong;
        // SAFETY: reads the flags of an allocated device (`netif_is_l3_master`,
        // `netif_is_l3_slave`): `priv_flags` is a bitfield in the first member of a union;
        // bindgen's raw accessor reads it without a reference.
        let flags = unsafe {
            bindings::net_device__bindgen_ty_1__bindgen_ty_1::priv_flags_raw(
                (&raw const (*self.as_ptr()).__bindgen_anon_1).cast(),
            )
        };
        flags & L3MDEV != 0
    }
}

/// Evidence that the current thread holds RTNL (`rtnl_lock`), the lock that serialises device
/// registration, configuration and netdevice notifiers.
///
/// State borrowed for the lifetime of a `&Rtnl` stays valid while RTNL is held (see
/// [`PernetData::of_rtnl`](super::namespace::PernetData::of_rtnl)).
///
/// # Invariants
///
/// While a `&Rtnl` exists, the current thread holds RTNL. It is neither `Send` nor `Sync`.
pub struct Rtnl {
    _not_send: PhantomData<*mut ()>,
}

impl Rtnl {
    /// Witnesses RTNL held by the caller's caller (a netdevice notifier, say).
    ///
    /// # Safety
    ///
    /// The current thread must hold RTNL for as long as the returned value exists.
    pub unsafe fn assume_held() -> Self {
        // INVARIANT: guaranteed by the caller.
        Self {
            _not_send: PhantomData,
        }
    }
}

/// Device events a [`Notifier`] is told about (`NETDEV_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The device came up.
    Up,
    /// The device went down.
    Down,
    /// The device is being unregistered: references to it must be given back.
    Unregister,
    /// The MTU changed.
    ChangeMtu,
    /// The carrier or another state flag changed.
    Change,
    /// The device's upper device (bond, VRF, bridge) changed.
    ChangeUpper,
    /// The device moves to another namespace or was renamed or re-addressed.
    Other(u64),
}

impl Event {
    fn from_raw(v: crate::ffi::c_ulong) -> Self {
        match v as u32 {
            bindings::netdev_cmd_NETDEV_UP => Self::Up,
            bindings::netdev_cmd_NETDEV_DOWN => Self::Down,
            bindings::netdev_cmd_NETDEV_UNREGISTER => Self::Unregister,
            bindings::netdev_cmd_NETDEV_CHANGEMTU => Self::ChangeMtu,
            bindings::netdev_cmd_NETDEV_CHANGE => Self::Change,
            bindings::netdev_cmd_NETDEV_CHANGEUPPER => Self::ChangeUpper,
            _ => Self::Other(v as u64),
        }
    }
}

/// What a netdevice notifier does with device events.
pub trait NotifierHandler: Sync + 'static {
    /// Called under RTNL (which `rtnl` witnesses) for every event of every device, in any
    /// namespace.
    fn event(event: Event, dev: &NetDevice, rtnl: &Rtnl);
}

/// A registered netdevice notifier (`register_netdevice_notifier`).
///
/// # Examples
///
/// Registration replays the registration of every existing device, the initial namespace's
/// loopback device (ifindex 1) included; unregistration replays their removal:
///
/// ```
/// use core::sync::atomic::{AtomicUsize, Ordering};
/// use kernel::net::device::{Event, NetDevice, Notifier, NotifierHandler, Rtnl};
///
/// static LOOPBACK_EVENTS: AtomicUsize = AtomicUsize::new(0);
/// static UNREGISTER_EVENTS: AtomicUsize = AtomicUsize::new(0);
///
/// struct Watch;
///
/// impl NotifierHandler for Watch {
///     fn event(event: Event, dev: &NetDevice, _rtnl: &Rtnl) {
///         if dev.ifindex() == 1 {
///             assert!(!dev.is_l3mdev());
///             LOOPBACK_EVENTS.fetch_add(1, Ordering::Relaxed);
///         }
///         if event == Event::Unregister {
///             UNREGISTER_EVENTS.fetch_add(1, Ordering::Relaxed);
///         }
///     }
/// }
///
/// let notifier = KBox::pin_init(Notifier::<Watch>::register(), GFP_KERNEL)?;
/// assert!(LOOPBACK_EVENTS.load(Ordering::Relaxed) >= 1);
/// assert_eq!(UNREGISTER_EVENTS.load(Ordering::Relaxed), 0);
/// drop(notifier);
/// assert!(UNREGISTER_EVENTS.load(Ordering::Relaxed) >= 1);
/// # Ok::<(), Error>(())
/// ```
///
/// # Invariants
///
/// `nb` is registered from construction until drop.
#[pin_data(PinnedDrop)]
pub struct Notifier<T: NotifierHandler> {
    #[pin]
    nb: Opaque<bindings::notifier_block>,
    _p: PhantomData<T>,
}

// SAFETY: the notifier chain serialises calls under RTNL; the object has no other state.
unsafe impl<T: NotifierHandler> Send for Notifier<T> {}
// SAFETY: as above.
unsafe impl<T: NotifierHandler> Sync for Notifier<T> {}

impl<T: NotifierHandler> Notifier<T> {
    /// Registers the notifier. The kernel replays `Up` for devices that are already up.
    pub fn register() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            nb <- Opaque::try_ffi_init(|slot: *mut bindings::notifier_block| {
                // SAFETY: `slot` is valid for writes; all-zero is a valid `notifier_block`.
                unsafe { slot.write(core::mem::zeroed()) };
                // SAFETY: `slot` was initialised above.
                unsafe { (*slot).notifier_call = Some(Self::callback) };
                // SAFETY: `slot` is pinned and stays registered until `drop`.
                to_result(unsafe { bindings::register_netdevice_notifier(slot) })
            }),
            _p: PhantomData,
        })
    }

    /// # Safety
    ///
    /// Called by the netdevice notifier chain only, with RTNL held and `ptr` a
    /// `netdev_notifier_info` naming a device that stays allocated during the call.
    unsafe extern "C" fn callback(
        _nb: *mut bindings::notifier_block,
        event: crate::ffi::c_ulong,
        ptr: *mut crate::ffi::c_void,
    ) -> crate::ffi::c_int {
        // SAFETY: netdevice notifiers receive a `netdev_notifier_info` naming a device that
        // stays allocated during the call.
        let dev = unsafe { NetDevice::from_raw(bindings::netdev_notifier_info_to_dev(ptr.cast())) };
        // SAFETY: the netdevice notifier chain is called with RTNL held (`ASSERT_RTNL` in
        // `call_netdevice_notifiers_info`), until the callback returns.
        let rtnl = unsafe { Rtnl::assume_held() };
        T::event(Event::from_raw(event), dev, &rtnl);
        bindings::NOTIFY_DONE as _
    }
}

#[pinned_drop]
impl<T: NotifierHandler> PinnedDrop for Notifier<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `nb` is registered (type invariant).
        unsafe { bindings::unregister_netdevice_notifier(self.nb.get()) };
    }
}
