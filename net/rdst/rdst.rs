// SPDX-License-Identifier: GPL-2.0

//! rdst: an IPv4 input route cache with its own `dst_ops` and slab.
//!
//! For each namespace, a `NF_INET_PRE_ROUTING` hook looks packets up in a per-flow cache of the
//! kernel's own input routing decisions and attaches the cached entry without a reference, so
//! that `ip_rcv_finish_core` skips its route lookup. On a miss the kernel's `ip_route_input_noref`
//! decides, and what the key can reproduce is copied into an entry of rdst's own. See
//! Documentation/networking/rdst.rst.

// `try_pin_init!` of the namespace's cache expands one level per field.
#![recursion_limit = "256"]

use kernel::{
    c_str,
    net::{
        device::{Event, NetDevice, Notifier, NotifierHandler, Rtnl},
        dst_ops::{self, Entry},
        ip_rcv_route,
        namespace::{PernetData, PernetId, Subsys},
    },
    prelude::*,
    sync::Arc,
};

mod cache;
mod stats;

use cache::{CacheHook, NetCache, RouteOps};

module! {
    type: Rdst,
    name: "rdst",
    author: "rdst developers",
    description: "IPv4 input route cache with its own dst_ops and slab",
    license: "GPL",
    params: {
        gc_thresh: u32 {
            default: 16384,
            description: "Most entries cached per network namespace (dst_ops.gc_thresh), 16..4194304",
        },
        buckets: u32 {
            default: 0,
            description: "Hash chains per namespace, a power of two up to 4194304; 0 = gc_thresh / 2",
        },
        cache_after: u32 {
            default: 2,
            description: "Misses a flow needs before its route is cached: 1, or 2 so that single-packet flows (a flood) allocate nothing",
        },
        idle_timeout_ms: u32 {
            default: 30_000,
            description: "Entries unused for this long are evicted first, 100..3600000 ms",
        },
        direct_hook: bool {
            default: true,
            description: "Look packets up from ip_rcv_finish_core's route hook (Y) rather than a PRE_ROUTING netfilter hook (N)",
        },
    },
}

/// Limits every namespace's cache is built with.
pub(crate) struct Params {
    /// Most entries a namespace caches (`dst_ops.gc_thresh`).
    pub(crate) gc_thresh: u32,
    /// Hash chains per namespace.
    pub(crate) buckets: u32,
    /// Entries unused for this long (jiffies) are the first evicted.
    pub(crate) idle_jiffies: u64,
    /// Misses a flow needs before its route is cached (1 or 2).
    pub(crate) cache_after: u32,
    /// Packets are looked up from the kernel's input route hook, not from netfilter.
    pub(crate) direct_hook: bool,
}

impl Params {
    /// Validates the module parameters: a bad value fails `insmod` with `EINVAL`.
    fn from_module_params() -> Result<Self> {
        let gc_thresh = *module_parameters::gc_thresh.value();
        if !(16..=1 << 22).contains(&gc_thresh) {
            pr_err!("gc_thresh={gc_thresh} is outside 16..4194304\n");
            return Err(EINVAL);
        }
        let buckets = match *module_parameters::buckets.value() {
            0 => (gc_thresh / 2).next_power_of_two(),
            b if b.is_power_of_two() && b <= 1 << 22 => b,
            b => {
                pr_err!("buckets={b} is not a power of two up to 4194304\n");
                return Err(EINVAL);
            }
        };
        let idle = *module_parameters::idle_timeout_ms.value();
        if !(100..=3_600_000).contains(&idle) {
            pr_err!("idle_timeout_ms={idle} is outside 100..3600000\n");
            return Err(EINVAL);
        }
        let cache_after = *module_parameters::cache_after.value();
        if !(1..=2).contains(&cache_after) {
            pr_err!("cache_after={cache_after} is neither 1 nor 2\n");
            return Err(EINVAL);
        }
        Ok(Self {
            direct_hook: *module_parameters::direct_hook.value(),
            cache_after,
            gc_thresh,
            buckets,
            idle_jiffies: kernel::time::msecs_to_jiffies(idle) as u64,
        })
    }
}

/// What every namespace's cache is built from.
pub(crate) struct Shared {
    pub(crate) slab: Arc<kernel::kmem_cache::KmemCache<Entry<RouteOps>>>,
    pub(crate) params: Params,
}

static NET_ID: PernetId<NetCache> = PernetId::new();

struct DeviceEvents;

impl NotifierHandler for DeviceEvents {
    fn event(event: Event, dev: &NetDevice, rtnl: &Rtnl) {
        // Under RTNL the cache is found until its namespace's exit, later than packets find
        // it: a dying namespace unregisters its devices in between, and their references
        // come back from here.
        if let Some(cache) = NetCache::of_rtnl(dev.net(), rtnl) {
            cache.device_event(event, dev);
        }
    }
}

/// The module: the netdevice notifier and the per-namespace subsystem, in place.
#[pin_data(PinnedDrop)]
struct Rdst {
    // Dropped in this order: no more packets from the input route hook, no more device
    // events, then every namespace's cache. (Any order is sound: the hook finds a cache only
    // while it is built, and a cache's exit takes RTNL before the notifier's events lose it.)
    /// With `direct_hook`, the kernel's input route hook; otherwise each namespace's cache has
    /// a `PRE_ROUTING` hook.
    direct: Option<ip_rcv_route::Registration<CacheHook>>,
    #[pin]
    notifier: Notifier<DeviceEvents>,
    #[pin]
    subsys: Subsys<NetCache>,
}

impl kernel::InPlaceModule for Rdst {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Rdst {
            subsys <- Subsys::<NetCache>::register(Shared {
                params: Params::from_module_params()?,
                slab: dst_ops::new_slab::<RouteOps>(c_str!("rdst_cache"))?,
            }),
            notifier <- Notifier::<DeviceEvents>::register(),
            // Last: the caches it finds are built.
            direct: if subsys.shared().params.direct_hook {
                Some(ip_rcv_route::Registration::register().inspect_err(|e| {
                    pr_err!("the input route hook is taken ({e:?}): load with direct_hook=N\n")
                })?)
            } else {
                None
            },
        }? Error)
        .pin_chain(|rdst| {
            let p = &rdst.subsys.shared().params;
            pr_info!(
                "loaded: gc_thresh={} buckets={} cache_after={} per namespace, {}\n",
                p.gc_thresh,
                p.buckets,
                p.cache_after,
                if p.direct_hook {
                    "input route hook"
                } else {
                    "PRE_ROUTING hook"
                }
            );
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for Rdst {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("unloading\n");
    }
}
