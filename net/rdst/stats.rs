// SPDX-License-Identifier: GPL-2.0

//! rdst's per-namespace counters, shown in `/proc/net/stat/rdst` in the style of
//! `/proc/net/stat/rt_cache`: a header of column names, then one line per possible CPU with
//! each counter in hex. The gauges (`entries`, `cached`, `garbage`, `garbage_age_ms`) repeat on
//! every line.

use kernel::{c_str, percpu, prelude::*, seq_file::SeqFile, seq_print, str::CStr};

/// Declares the decline reasons once: the enum, its column order and its names.
macro_rules! declines {
    ($($(#[doc = $doc:literal])* $reason:ident => $name:literal,)*) => {
        /// Why a packet was left to the kernel's own routing.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Decline {
            $($(#[doc = $doc])* $reason,)*
        }

        impl Decline {
            /// Every reason, in column order.
            const ALL: &'static [Decline] = &[$(Self::$reason),*];

            /// The reason's name, in the stat file (`decline_NAME`) and the `rdst_decline`
            /// event.
            pub(crate) fn name(self) -> &'static CStr {
                match self {
                    $(Self::$reason => c_str!($name),)*
                }
            }
        }
    };
}

declines! {
    /// A frame the bridge forwards, passing the IPv4 hooks under br_netfilter: not routed.
    Bridged => "bridged",
    /// The packet already has a dst (early demux, another hook).
    HasDst => "has_dst",
    /// The packet has a socket attached.
    Socket => "socket",
    /// The header carries IP options.
    Options => "options",
    /// Policy rules look at ports (the route may depend on more than the key).
    RulesL4 => "rules_l4",
    /// The packet carries tunnel metadata.
    Tunnel => "tunnel",
    /// The input device is an L3 master or its slave (VRF).
    L3mdev => "l3mdev",
    /// Local delivery, broadcast or multicast, or an error route.
    Local => "local",
    /// The kernel chose one of several next hops.
    Multipath => "multipath",
    /// The route has lightweight tunnel state.
    Lwtunnel => "lwtunnel",
    /// The route has its own metrics.
    Metrics => "metrics",
    /// The route comes from a next-hop exception (learned PMTU or redirect with expiry).
    Exception => "exception",
    /// The kernel did not keep its route in the next hop for later packets (it could not
    /// cache it, or replaced it meanwhile): nothing would tell a copy that it went stale.
    Uncached => "uncached",
    /// The kernel's lookup failed: the kernel routes the packet itself (and drops it, unless
    /// the list-receive route hint forwards it).
    RouteError => "route_error",
    /// Routing changed while the decision was being made.
    Race => "race",
    /// The flow missed for the first time (`cache_after=2`): it is cached on its next miss, so
    /// a flood of single-packet flows allocates nothing.
    FirstMiss => "first_miss",
}

/// Declares the event counters once: their indices (column order) and names.
macro_rules! counters {
    ($($(#[doc = $doc:literal])* $counter:ident => $name:literal,)*) => {
        /// Indices of the counters, in column order.
        pub(crate) mod idx {
            #[allow(clippy::upper_case_acronyms, non_camel_case_types)]
            enum Index {
                $($counter,)*
                DECLINE,
            }
            $($(#[doc = $doc])* pub(crate) const $counter: usize = Index::$counter as usize;)*
            /// The first decline counter; `Decline as usize` is added to it.
            pub(crate) const DECLINE: usize = Index::DECLINE as usize;
        }

        /// Names of the counters before the declines.
        const NAMES: [&str; idx::DECLINE] = [$($name),*];
    };
}

counters! {
    /// Packets served from the cache.
    HITS => "hits",
    /// Packets not served (no entry, or a stale one).
    MISSES => "misses",
    /// Entries added.
    INSERTS => "inserts",
    /// Entries found out of date by a lookup.
    STALE => "stale",
    /// `dst_ops.gc` runs.
    GC_RUNS => "gc_runs",
    /// Entries evicted for the bound or for idleness.
    GC_EVICTIONS => "gc_evictions",
    /// Entries evicted for chain length.
    CHAIN_EVICTIONS => "chain_evictions",
    /// Device-event flushes.
    INVALIDATIONS => "invalidations",
    /// `dst_alloc` failures.
    ALLOC_FAILURES => "alloc_failures",
    /// Entries moved off an unregistering device.
    DEV_PUTS => "dev_puts",
    /// Suspected-leak reports.
    LEAK_WARNINGS => "leak_warnings",
}

pub(crate) const N: usize = idx::DECLINE + Decline::ALL.len();

/// The counters of one namespace.
pub(crate) struct Stats(percpu::Counters<N>);

impl Stats {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self(percpu::Counters::new()?))
    }

    #[inline]
    pub(crate) fn inc(&self, i: usize) {
        self.0.inc(i)
    }

    pub(crate) fn add(&self, i: usize, v: usize) {
        self.0.add(i, v)
    }

    #[inline]
    pub(crate) fn decline(&self, why: Decline) {
        self.0.inc(idx::DECLINE + why as usize)
    }

    /// Writes the stat file: gauges first, then the counters, one line per CPU.
    pub(crate) fn show(&self, m: &SeqFile, gauges: [(&str, u64); 4]) {
        for (name, _) in gauges {
            seq_print!(m, "{name} ");
        }
        for name in NAMES {
            seq_print!(m, "{name} ");
        }
        for why in Decline::ALL {
            seq_print!(m, "decline_{} ", why.name());
        }
        seq_print!(m, "\n");
        for cpu in percpu::possible_cpus() {
            for (_, v) in gauges {
                seq_print!(m, "{v:08x} ");
            }
            for i in 0..N {
                seq_print!(m, "{:08x} ", self.0.get(cpu, i));
            }
            seq_print!(m, "\n");
        }
    }
}
