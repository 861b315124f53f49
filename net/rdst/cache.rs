// SPDX-License-Identifier: GPL-2.0

//! One namespace's cache: the hook, the table, the entries' `dst_ops` and the policy that
//! bounds them.

use crate::stats::{idx, Decline, Stats};
use crate::{Shared, NET_ID};
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use kernel::{
    c_str,
    net::{
        device::{Event, NetDevice},
        dst::{obsolete, Dst, NorefDst},
        dst_ops::{DstOps, Entry, Registration, Table, TableWriter},
        dst_trace::{self, Flow},
        ip_rcv_route::RouteInput,
        namespace::{NetInit, Periodic, PernetData, PernetId, PernetPeriodic},
        netfilter::{self, Hook, Ipv4Hook, Verdict},
        proc::{StatFile, StatShow},
        route::{self, rtcf, rtn},
        skbuff::{ipskb, SkBuff},
    },
    prelude::*,
    seq_file::SeqFile,
    siphash,
    str::CStr,
    sync::rcu,
    time,
    types::ARef,
};

/// Longest hash chain kept: a longer one loses its oldest entry on insert.
const MAX_CHAIN: usize = 8;
/// Chains the collector looks at per run for idle entries, at least.
const GC_SWEEP_CHAINS: usize = 64;
/// How often idle entries are swept and leaks looked for without cache pressure.
const EXPIRE_PERIOD_MS: u32 = 1000;
fn expire_period() -> time::Jiffies {
    time::msecs_to_jiffies(EXPIRE_PERIOD_MS)
}

/// Retired entries still referenced after this long are reported as suspected leaks.
const LEAK_AGE_MS: u32 = 60_000;

/// Everything the kernel's input route decision depends on: the flow the tracepoints report,
/// plus the mark and DSCP.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlowKey {
    flow: Flow,
    mark: u32,
    dscp: u8,
}

impl FlowKey {
    /// SipHash-1-3 over two words: a flood that finds collisions gets a chain of `MAX_CHAIN`
    /// at most. The DSCP (six bits) is folded into the top of the interface index, whose values
    /// stay far below 2^26: at worst two keys share a hash, and lookups compare whole keys.
    fn hash(&self, key: &siphash::Key) -> u64 {
        let iif_dscp = self.flow.iif as u32 ^ u32::from(self.dscp) << 24;
        key.hash_2u64_fast(
            u64::from(self.flow.daddr) | u64::from(self.flow.saddr) << 32,
            u64::from(iif_dscp) | u64::from(self.mark) << 32,
        )
    }
}

/// What the hit path read before the kernel's lookup: an entry made from the lookup is marked
/// with these, so that a change racing with the miss leaves it stale, never wrong.
#[derive(Clone, Copy)]
struct Seen {
    genid: i32,
    fnhe_seq: i32,
    dev_gen: u32,
    /// The flow's entry was found stale: an active flow, cached again at once.
    was_cached: bool,
}

/// What an entry carries besides the route.
pub(crate) struct CachedFlow {
    key: FlowKey,
    /// The device event generation the entry was made under.
    dev_gen: u32,
    /// The namespace's count of next-hop exception changes, read before the lookup the entry
    /// was made from: an exception recorded since (a learned PMTU, an accepted redirect)
    /// applies to the destination's next packet, and need not show on the route the entry
    /// holds. A lookup that ran `find_exception` before the exception was inserted caches a
    /// route nothing marks; and when a route cache flush has reset an exception, the route
    /// bound to it next carries none of it and is cached, until `fill_route_from_fnhe`
    /// rewrites that route in place as the exception is updated, marking nothing either.
    fnhe_seq: i32,
    /// `IPCB` flags the kernel's routing set, re-applied on every hit.
    ipcb: u16,
    /// The kernel's own route the entry was copied from (the nexthop's cached input route),
    /// held: the kernel marks it obsolete whenever its decision for the next hop's flows
    /// changes without a generation bump (a redirect or PMTU exception created, the nexthop
    /// freed), and the entry is valid only while it is not, as `rt_cache_valid` reads it, and
    /// while the nexthop still keeps it (a replaced route is never marked again).
    kernel_route: ARef<Dst>,
}

/// The `dst_ops` of rdst's entries: IPv4's behaviour, plus rdst's collector.
pub(crate) struct RouteOps;

#[vtable]
impl DstOps for RouteOps {
    type Data = CachedFlow;

    fn gc(reg: &Registration<Self>, rcu: &rcu::Guard) {
        if let Some(cache) = NetCache::of(reg.net(), rcu) {
            cache.collect();
        }
    }
}

/// The cache of one namespace.
#[pin_data(PinnedDrop)]
pub(crate) struct NetCache {
    // When the cache is dropped, packets, the periodic job and readers of the file no longer
    // find it (`PernetData::of`: the namespace's `pre_exit` and a grace period came first);
    // the fields go in this order so that none of them runs for nothing meanwhile.
    #[pin]
    expire: Periodic<NetCache>,
    #[pin]
    hook: netfilter::Registration<CacheHook>,
    #[pin]
    stat: StatFile<NetCache>,
    #[pin]
    table: Table<RouteOps>,
    #[pin]
    dst: Registration<RouteOps>,
    stats: Stats,
    key: siphash::Key,
    dev_gen: AtomicU32,
    gc_cursor: AtomicUsize,
    last_leak_warning: AtomicUsize,
    gc_thresh: usize,
    idle_jiffies: u64,
    /// Chains swept per periodic run: the whole table once per idle timeout.
    expire_chains: usize,
    /// Tags of flows that missed once and are not cached yet, one slot per chain; empty when
    /// every miss is cached (`cache_after=1`).
    first_misses: KVVec<AtomicU32>,
}

impl PernetData for NetCache {
    type Shared = Shared;
    const ID: &'static PernetId<Self> = &NET_ID;

    fn init<'a>(net: &'a NetInit<'a>, shared: &'a Shared) -> impl PinInit<Self, Error> + 'a {
        let p = &shared.params;
        try_pin_init!(Self {
            stats: Stats::new()?,
            key: siphash::Key::new_random(),
            dev_gen: AtomicU32::new(0),
            gc_cursor: AtomicUsize::new(0),
            last_leak_warning: AtomicUsize::new(0),
            gc_thresh: p.gc_thresh as usize,
            idle_jiffies: p.idle_jiffies,
            expire_chains: GC_SWEEP_CHAINS.max(
                (u64::from(p.buckets) * expire_period() as u64 / p.idle_jiffies.max(1)) as usize
            ),
            first_misses: KVVec::from_fn(
                if p.cache_after > 1 { p.buckets as usize } else { 0 },
                |_| AtomicU32::new(0),
                GFP_KERNEL,
            )?,
            dst <- Registration::new(net, shared.slab.clone(), p.gc_thresh),
            table <- Table::new(p.buckets as usize),
            stat <- StatFile::new(net, c_str!("rdst")),
            // Packets find this state only once `init` has returned (`PernetData::of`). With
            // `direct_hook` the module's input route hook finds it instead.
            hook <- netfilter::Registration::new_if(
                !p.direct_hook,
                net,
                Ipv4Hook::PreRouting,
                netfilter::priority::LAST,
            ),
            // After everything it uses.
            expire <- Periodic::new(net, expire_period()),
        }? Error)
    }
}

#[pinned_drop]
impl PinnedDrop for NetCache {
    fn drop(self: Pin<&mut Self>) {
        // Hand the entries to the garbage list, so that a device still unregistering finds
        // them there. Hooks may still be registered, but none has the cache (see `expire`);
        // the fields then go in order: hook, file, table, and the registration, which waits
        // for the entries' holders.
        self.flush();
    }
}

impl PernetPeriodic for NetCache {
    fn periodic(&self, _rcu: &rcu::Guard) {
        self.expire();
    }
}

impl StatShow for NetCache {
    fn show(&self, m: &SeqFile) {
        let cached = self.table.lock().len() as u64;
        let entries = self.dst.entries().max(0) as u64;
        let garbage = self.dst.garbage().len() as u64;
        let age = self.dst.garbage().oldest_age().unwrap_or(0);
        // Reading the counters is also when a leak gets noticed without cache pressure.
        self.warn_leaks();
        self.stats.show(
            m,
            [
                ("entries", entries),
                ("cached", cached),
                ("garbage", garbage),
                ("garbage_age_ms", u64::from(time::jiffies_to_msecs(age))),
            ],
        )
    }
}

pub(crate) struct CacheHook;

impl Hook for CacheHook {
    type Net = NetCache;

    fn hook(cache: &NetCache, skb: &mut SkBuff, rcu: &rcu::Guard) -> Verdict {
        cache.input(skb, rcu);
        Verdict::Accept
    }
}

impl RouteInput for CacheHook {
    type Net = NetCache;

    fn route(cache: &NetCache, skb: &mut SkBuff, rcu: &rcu::Guard) {
        cache.input(skb, rcu);
    }
}

impl NetCache {
    /// The hook: serve the packet from the cache, or let the kernel route it and cache what
    /// can be cached. Not inlined, so that kprobes and bpftrace find it as `*rdst*input*`.
    #[inline(never)]
    fn input(&self, skb: &mut SkBuff, rcu: &rcu::Guard) {
        let iph = skb.ipv4_header();
        let dev = skb.dev();
        let flow = Flow {
            daddr: iph.daddr,
            saddr: iph.saddr,
            iif: dev.ifindex(),
        };
        if let Err(why) = Self::servable(skb) {
            self.decline(&flow, why);
            return;
        }
        let net = self.dst.net();
        if net.fib4_rules_need_l4() {
            self.decline(&flow, Decline::RulesL4);
            return;
        }
        let key = FlowKey {
            flow,
            mark: skb.mark(),
            dscp: iph.dscp(),
        };
        let hash = key.hash(&self.key);
        // FIB and rule changes bump the route generation, and so does every write that changes
        // an IPv4 device setting (patch `ipv4: devinet: flush routes on every devconf change`):
        // the generation covers the devices' routing settings, which a hit need not read.
        let genid = net.rt_genid_ipv4();
        let fnhe_seq = net.fnhe_seq_ipv4();
        let dev_gen = self.dev_gen.load(Ordering::Acquire);

        let mut stale: Option<&NorefDst> = None;
        if let Some(e) = self.table.lookup(hash, rcu, |e| e.data().key == key) {
            let f = e.data();
            if e.genid() == genid
                && f.fnhe_seq == fnhe_seq
                && f.dev_gen == dev_gen
                && e.dst().obsolete() == obsolete::FORCE_CHK
                && f.kernel_route.obsolete() == obsolete::FORCE_CHK
                && !f.kernel_route.on_uncached_list()
            {
                skb.set_dst_noref(e.dst(), rcu);
                skb.set_ipcb_flags(f.ipcb);
                e.dst().touch(time::jiffies());
                self.stats.inc(idx::HITS);
                dst_trace::hit(e.dst(), &flow);
                return;
            }
            self.stats.inc(idx::STALE);
            let mut w = self.table.lock();
            if let Some(old) = w.remove(e) {
                self.retire(old, c_str!("stale"));
            }
            stale = Some(e.dst());
        }
        self.stats.inc(idx::MISSES);
        dst_trace::miss(stale, &flow);
        let seen = Seen {
            genid,
            fnhe_seq,
            dev_gen,
            was_cached: stale.is_some(),
        };
        self.miss(skb, key, iph.tos, hash, seen, rcu)
    }

    /// The miss path: the kernel routes the packet; the decision is cached if the key can
    /// reproduce it.
    #[inline(never)]
    fn miss(
        &self,
        skb: &mut SkBuff,
        key: FlowKey,
        tos: u8,
        hash: u64,
        seen: Seen,
        rcu: &rcu::Guard,
    ) {
        let Seen {
            genid,
            fnhe_seq,
            dev_gen,
            ..
        } = seen;
        let net = self.dst.net();
        let flow = &key.flow;
        let before = skb.ipcb_flags();
        let rt = match route::input_noref(skb, flow.daddr, flow.saddr, tos, rcu) {
            Ok(rt) => rt,
            Err(_) => {
                // Not dropped here: the kernel routes the packet itself. Received in a list
                // (`ip_list_rcv_finish`), a packet with the destination and TOS of the one
                // before it takes that one's forwarded route without `fib_validate_source`
                // (`ip_route_use_hint`), so a source rp_filter refuses can still be forwarded;
                // otherwise the kernel's own lookup fails again and the packet is dropped with
                // the kernel's reason and counters.
                self.decline(flow, Decline::RouteError);
                return;
            }
        };
        let added = skb.ipcb_flags() & !before;
        // The packet keeps the kernel's own route; the entry serves the flow's next packets.
        let why = if rt.flags() & (rtcf::LOCAL | rtcf::BROADCAST | rtcf::MULTICAST) != 0
            || rt.rt_type() != rtn::UNICAST
            || !rt.is_input()
        {
            Some(Decline::Local)
        } else if added & ipskb::MULTIPATH != 0 {
            Some(Decline::Multipath)
        } else if rt.has_lwtstate() {
            Some(Decline::Lwtunnel)
        } else if rt.has_metrics() {
            Some(Decline::Metrics)
        } else if rt.pmtu() != 0 || rt.expires() != 0 || rt.flags() & rtcf::REDIRECTED != 0 {
            Some(Decline::Exception)
        } else if !rt.is_kept_by_nexthop() {
            Some(Decline::Uncached)
        } else if net.rt_genid_ipv4() != genid
            || net.fnhe_seq_ipv4() != fnhe_seq
            || self.dev_gen.load(Ordering::Acquire) != dev_gen
        {
            Some(Decline::Race)
        } else {
            None
        };
        let first = || !seen.was_cached && self.first_miss(hash);
        if let Some(why) = why.or_else(|| first().then_some(Decline::FirstMiss)) {
            self.decline(flow, why);
            return;
        }
        // A route already released by the kernel (its nexthop freed under us) is stale.
        let Some(kernel_route) = rt.dst().hold_safe(rcu) else {
            self.decline(flow, Decline::Race);
            return;
        };
        let cached = CachedFlow {
            key,
            dev_gen,
            fnhe_seq,
            ipcb: added & (ipskb::DOREDIRECT | ipskb::NOPOLICY),
            kernel_route,
        };
        match self.dst.alloc_from(rt, genid, cached, rcu) {
            Ok(entry) => self.insert(entry, hash, flow),
            Err(_) => self.stats.inc(idx::ALLOC_FAILURES),
        }
    }

    /// Admission control: whether this is the flow's first miss, remembered so that its next
    /// one is cached. A slot holds one flow's tag; a colliding flow takes it over, which at
    /// worst delays caching, never changes a decision.
    fn first_miss(&self, hash: u64) -> bool {
        let Some(slot) = self
            .first_misses
            .get((hash >> 32) as usize & self.first_misses.len().wrapping_sub(1))
        else {
            return false;
        };
        let tag = hash as u32 | 1;
        if slot.load(Ordering::Relaxed) == tag {
            slot.store(0, Ordering::Relaxed);
            return false;
        }
        slot.store(tag, Ordering::Relaxed);
        true
    }

    fn decline(&self, flow: &Flow, why: Decline) {
        self.stats.decline(why);
        dst_trace::decline(flow, why.name());
    }

    /// Hands an entry removed from the table to the garbage list, saying why.
    fn retire(&self, entry: ARef<Entry<RouteOps>>, reason: &CStr) {
        let age = time::jiffies().wrapping_sub(entry.born());
        dst_trace::evict(entry.dst(), reason, time::jiffies_to_msecs(age));
        Entry::retire(entry);
    }

    /// Packets whose route the key cannot reproduce, or that are not rdst's to route.
    fn servable(skb: &SkBuff) -> core::result::Result<(), Decline> {
        // br_netfilter runs the frames a bridge forwards through the IPv4 hooks: the bridge
        // decides their fate, routing never sees them (a failed lookup must not drop them).
        if skb.is_bridged_prerouting() {
            return Err(Decline::Bridged);
        }
        // Tunnel metadata rides on a (metadata) dst: looked at first, to be counted as such.
        if skb.has_tunnel_info() {
            return Err(Decline::Tunnel);
        }
        if skb.dst().is_some() {
            return Err(Decline::HasDst);
        }
        if skb.has_sock() {
            return Err(Decline::Socket);
        }
        if skb.ipv4_header().has_options() {
            return Err(Decline::Options);
        }
        if skb.dev().is_l3mdev() {
            return Err(Decline::L3mdev);
        }
        Ok(())
    }

    fn insert(&self, entry: ARef<Entry<RouteOps>>, hash: u64, flow: &Flow) {
        let mut w = self.table.lock();
        // Another CPU may have cached the same flow meanwhile: keep the first.
        let key = entry.data().key;
        if w.bucket_entries(hash)
            .any(|e| e.hash() == hash && e.data().key == key)
        {
            return;
        }
        if w.bucket_entries(hash).count() >= MAX_CHAIN {
            // The least recently used of the chain makes room.
            if let Some(victim) = w.remove_min_in_chain(hash, |e| e.dst().lastuse()) {
                self.retire(victim, c_str!("chain"));
                self.stats.inc(idx::CHAIN_EVICTIONS);
            }
        }
        while w.len() >= self.gc_thresh {
            let Some(oldest) = w.pop_oldest() else { break };
            self.retire(oldest, c_str!("thresh"));
            self.stats.inc(idx::GC_EVICTIONS);
        }
        // A fresh entry is in no table: the insertion cannot fail.
        dst_trace::insert(entry.dst(), flow);
        if w.insert(entry, hash).is_ok() {
            self.stats.inc(idx::INSERTS);
        }
    }

    /// `dst_ops.gc`: evict idle entries first, then the oldest, until the cache is back under
    /// seven eighths of `gc_thresh`.
    #[inline(never)]
    fn collect(&self) {
        self.stats.inc(idx::GC_RUNS);
        let target = self.gc_thresh - self.gc_thresh / 8;
        let mut w = self.table.lock();
        let mut evicted = self.sweep_idle(&mut w, GC_SWEEP_CHAINS);
        while w.len() > target {
            let Some(oldest) = w.pop_oldest() else { break };
            self.retire(oldest, c_str!("oldest"));
            evicted += 1;
        }
        let cached = w.len();
        drop(w);
        self.stats.add(idx::GC_EVICTIONS, evicted);
        dst_trace::gc(cached, evicted, self.dst.garbage().len());
        self.warn_leaks();
    }

    /// The periodic run: idle entries go without waiting for cache pressure, and leaks are
    /// noticed on an idle router.
    fn expire(&self) {
        let mut w = self.table.lock();
        let evicted = self.sweep_idle(&mut w, self.expire_chains);
        drop(w);
        self.stats.add(idx::GC_EVICTIONS, evicted);
        self.warn_leaks();
    }

    /// Retires the idle entries of the next `chains` chains; returns how many.
    fn sweep_idle(&self, w: &mut TableWriter<'_, RouteOps>, chains: usize) -> usize {
        let now = time::jiffies();
        let idle = self.idle_jiffies;
        let mut evicted = 0;
        let start = self.gc_cursor.load(Ordering::Relaxed);
        let next = w.sweep(
            start,
            chains,
            |e| now.wrapping_sub(e.dst().lastuse()) as u64 > idle,
            |e| {
                evicted += 1;
                self.retire(e, c_str!("idle"));
            },
        );
        self.gc_cursor.store(next, Ordering::Relaxed);
        evicted
    }

    /// Retires every cached entry (device events, namespace exit).
    fn flush(&self) {
        let mut w = self.table.lock();
        w.clear(|e| self.retire(e, c_str!("flush")));
    }

    /// Reports garbage entries retired long ago and still held, once per minute at most (and
    /// each listed entry to tracers, see `rdst_garbage`).
    fn warn_leaks(&self) {
        self.dst.garbage().trace();
        let limit = time::msecs_to_jiffies(LEAK_AGE_MS);
        let Some(age) = self.dst.garbage().oldest_age() else {
            return;
        };
        let now = time::jiffies();
        let last = self.last_leak_warning.load(Ordering::Relaxed);
        if age > limit
            && now.wrapping_sub(last) > limit
            && self
                .last_leak_warning
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.stats.inc(idx::LEAK_WARNINGS);
            pr_warn!(
                "{} retired entries still referenced, oldest for {} ms\n",
                self.dst.garbage().len(),
                time::jiffies_to_msecs(age)
            );
        }
    }

    /// The netdevice notifier: any change of a device can change routing decisions; an
    /// unregistering device must get its references back at once.
    pub(crate) fn device_event(&self, event: Event, dev: &NetDevice) {
        match event {
            Event::Up
            | Event::Down
            | Event::Unregister
            | Event::ChangeMtu
            | Event::Change
            | Event::ChangeUpper => {}
            Event::Other(_) => return,
        }
        self.dev_gen.fetch_add(1, Ordering::AcqRel);
        self.flush();
        self.stats.inc(idx::INVALIDATIONS);
        self.warn_leaks();
        if event == Event::Unregister {
            let n = self.dst.garbage().dev_put(dev);
            self.stats.add(idx::DEV_PUTS, n);
        }
    }
}
