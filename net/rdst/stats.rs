// SPDX-License-Identifier: GPL-2.0

//! rdst's per-namespace counters, shown in `/proc/net/stat/rdst` in the style of
//! `/proc/net/stat/rt_cache`: a header of column names, then one line per possible CPU with
//! each counter in hex. The gauges (`entries`, `cached`, `garbage`, `garbage_age_ms`) repeat on
//! every line.

use core::fmt::Write;
use kernel::{c_str, net::proc::SeqFile, percpu, prelude::*, str::CStr};

/// Why a packet was left to the kernel's own routing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decline {
    /// The packet already has a dst (early demux, another hook).
    HasDst,
    /// The packet has a socket attached.
    Socket,
    /// The header carries IP options.
    Options,
    /// Policy rules look at ports (the route may depend on more than the key).
    RulesL4,
    /// The packet carries tunnel metadata.
    Tunnel,
    /// The input device is an L3 master or its slave (VRF).
    L3mdev,
    /// Local delivery, broadcast or multicast, or an error route.
    Local,
    /// The kernel chose one of several next hops.
    Multipath,
    /// The route has lightweight tunnel state.
    Lwtunnel,
    /// The route has its own metrics.
    Metrics,
    /// The route comes from a next-hop exception (learned PMTU or redirect with expiry).
    Exception,
    /// The kernel's lookup failed: the packet was dropped as the kernel drops it.
    RouteError,
    /// Routing changed while the decision was being made.
    Race,
}

impl Decline {
    /// Every reason, in column order.
    const ALL: [Decline; 13] = [
        Self::HasDst,
        Self::Socket,
        Self::Options,
        Self::RulesL4,
        Self::Tunnel,
        Self::L3mdev,
        Self::Local,
        Self::Multipath,
        Self::Lwtunnel,
        Self::Metrics,
        Self::Exception,
        Self::RouteError,
        Self::Race,
    ];

    /// The reason's name, in the stat file (`decline_NAME`) and the `rdst_decline` event.
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            Self::HasDst => c_str!("has_dst"),
            Self::Socket => c_str!("socket"),
            Self::Options => c_str!("options"),
            Self::RulesL4 => c_str!("rules_l4"),
            Self::Tunnel => c_str!("tunnel"),
            Self::L3mdev => c_str!("l3mdev"),
            Self::Local => c_str!("local"),
            Self::Multipath => c_str!("multipath"),
            Self::Lwtunnel => c_str!("lwtunnel"),
            Self::Metrics => c_str!("metrics"),
            Self::Exception => c_str!("exception"),
            Self::RouteError => c_str!("route_error"),
            Self::Race => c_str!("race"),
        }
    }
}

/// Indices of the counters, in column order.
pub(crate) mod idx {
    pub(crate) const HITS: usize = 0;
    pub(crate) const MISSES: usize = 1;
    pub(crate) const INSERTS: usize = 2;
    pub(crate) const STALE: usize = 3;
    pub(crate) const GC_RUNS: usize = 4;
    pub(crate) const GC_EVICTIONS: usize = 5;
    pub(crate) const CHAIN_EVICTIONS: usize = 6;
    pub(crate) const INVALIDATIONS: usize = 7;
    pub(crate) const ALLOC_FAILURES: usize = 8;
    pub(crate) const DEV_PUTS: usize = 9;
    pub(crate) const LEAK_WARNINGS: usize = 10;
    /// The first decline counter; `Decline as usize` is added to it.
    pub(crate) const DECLINE: usize = 11;
}

/// Names of the counters before the declines.
const NAMES: [&str; idx::DECLINE] = [
    "hits",
    "misses",
    "inserts",
    "stale",
    "gc_runs",
    "gc_evictions",
    "chain_evictions",
    "invalidations",
    "alloc_failures",
    "dev_puts",
    "leak_warnings",
];

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
    pub(crate) fn show(
        &self,
        out: &mut SeqFile<'_>,
        gauges: [(&str, u64); 4],
    ) -> core::fmt::Result {
        for (name, _) in gauges {
            write!(out, "{name} ")?;
        }
        for name in NAMES {
            write!(out, "{name} ")?;
        }
        for why in Decline::ALL {
            write!(out, "decline_{} ", why.name())?;
        }
        writeln!(out)?;
        for cpu in percpu::possible_cpus() {
            for (_, v) in gauges {
                write!(out, "{v:08x} ")?;
            }
            for i in 0..N {
                write!(out, "{:08x} ", self.0.get(cpu, i))?;
            }
            writeln!(out)?;
        }
        Ok(())
    }
}
