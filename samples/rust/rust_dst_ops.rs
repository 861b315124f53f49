// SPDX-License-Identifier: GPL-2.0

//! Sample of the `dst_ops`, slab, table and garbage-list abstractions: for every IPv4 packet the
//! kernel routes to be forwarded, copies the decision into an entry of the sample's own
//! `dst_ops` and slab (`rust_dst_ops` in `/proc/slabinfo`), keeps one entry per destination
//! bucket and retires the entry it replaces. Packets keep the kernel's own route: the sample
//! only exercises the entries' lifecycle. Unloading says how many entries were allocated and
//! how many the `destroy` callback saw go; they are equal.
//!
//! ```text
//! # insmod rust_dst_ops.ko
//! # ...forward some traffic...; grep rust_dst_ops /proc/slabinfo
//! rust_dst_ops          16     24    320   12    1 : tunables ...
//! # rmmod rust_dst_ops; dmesg | tail -1
//! rust_dst_ops: 40 entries allocated, 40 destroyed
//! ```

use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::{
    c_str,
    kmem_cache::KmemCache,
    net::{
        dst_ops::{self, DstOps, Entry, NorefEntry, Registration, Table},
        namespace::{NetInit, PernetData, PernetId, Subsys},
        netfilter::{self, priority, Hook, Ipv4Hook, Verdict},
        route::{self, rtcf, rtn},
        skbuff::SkBuff,
    },
    prelude::*,
    sync::{rcu, Arc},
};

module! {
    type: RustDstOps,
    name: "rust_dst_ops",
    author: "rdst developers",
    description: "Copies forwarding decisions into entries of its own dst_ops and slab (sample)",
    license: "GPL",
}

/// Buckets of each namespace's table; a bucket holds one entry.
const BUCKETS: usize = 16;

static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static DESTROYED: AtomicUsize = AtomicUsize::new(0);

/// Entries carry the destination they were made for.
struct SampleOps;

#[vtable]
impl DstOps for SampleOps {
    type Data = u32;

    fn destroy(_entry: &NorefEntry<Self>) {
        DESTROYED.fetch_add(1, Ordering::Relaxed);
    }
}

static ID: PernetId<NetRoutes> = PernetId::new();

/// One namespace's hook, table and `dst_ops`.
#[pin_data(PinnedDrop)]
struct NetRoutes {
    // Dropped first: no more packets; then the table; the ops wait for the entries.
    #[pin]
    hook: netfilter::Registration<CopyHook>,
    #[pin]
    table: Table<SampleOps>,
    #[pin]
    dst: Registration<SampleOps>,
}

impl PernetData for NetRoutes {
    type Shared = Arc<KmemCache<Entry<SampleOps>>>;
    const ID: &'static PernetId<Self> = &ID;

    fn init<'a>(net: &'a NetInit<'a>, slab: &'a Self::Shared) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(Self {
            dst <- Registration::new(net, slab.clone(), 1024),
            table <- Table::new(BUCKETS),
            hook <- netfilter::Registration::new(net, Ipv4Hook::PreRouting, priority::LAST),
        }? Error)
    }
}

#[pinned_drop]
impl PinnedDrop for NetRoutes {
    fn drop(self: Pin<&mut Self>) {
        // Cached entries go through the garbage list like replaced ones.
        self.table.lock().clear(Entry::retire);
    }
}

struct CopyHook;

impl Hook for CopyHook {
    type Net = NetRoutes;

    fn hook(net: &NetRoutes, skb: &mut SkBuff, rcu: &rcu::Guard) -> Verdict {
        if skb.dst().is_some() {
            return Verdict::Accept;
        }
        let iph = skb.ipv4_header();
        let genid = net.dst.net().rt_genid_ipv4();
        // The kernel's own decision; the packet keeps it. A failed lookup is left to the
        // kernel, which repeats it (as rdst does).
        let Ok(rt) = route::input_noref(skb, iph.daddr, iph.saddr, iph.tos, rcu) else {
            return Verdict::Accept;
        };
        if rt.rt_type() != rtn::UNICAST
            || !rt.is_input()
            || rt.flags() & (rtcf::LOCAL | rtcf::BROADCAST | rtcf::MULTICAST) != 0
        {
            return Verdict::Accept;
        }
        // Routes an entry cannot reproduce (lwtunnel state, own metrics) are refused.
        let Ok(entry) = net.dst.alloc_from(rt, genid, iph.daddr, rcu) else {
            return Verdict::Accept;
        };
        ALLOCATED.fetch_add(1, Ordering::Relaxed);
        let hash = u64::from(iph.daddr);
        let mut table = net.table.lock();
        if let Some(old) = table.remove_min_in_chain(hash, |e| e.born()) {
            Entry::retire(old);
        }
        // A fresh entry is in no table: this cannot fail.
        let _ = table.insert(entry, hash);
        Verdict::Accept
    }
}

struct RustDstOps {
    subsys: Option<Pin<KBox<Subsys<NetRoutes>>>>,
}

impl kernel::Module for RustDstOps {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let slab = dst_ops::new_slab::<SampleOps>(c_str!("rust_dst_ops"))?;
        let subsys = KBox::pin_init(Subsys::<NetRoutes>::register(slab), GFP_KERNEL)?;
        pr_info!("copying forwarding decisions in every namespace\n");
        Ok(Self {
            subsys: Some(subsys),
        })
    }
}

impl Drop for RustDstOps {
    fn drop(&mut self) {
        // Every namespace's exit waits for its entries; the slab goes with the last of them.
        drop(self.subsys.take());
        pr_info!(
            "{} entries allocated, {} destroyed\n",
            ALLOCATED.load(Ordering::Relaxed),
            DESTROYED.load(Ordering::Relaxed)
        );
    }
}
