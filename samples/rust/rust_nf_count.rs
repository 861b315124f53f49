// SPDX-License-Identifier: GPL-2.0

//! Sample of the netfilter, per-namespace, proc and per-CPU abstractions: counts the IPv4
//! packets each network namespace receives, at `NF_INET_PRE_ROUTING`, and how many of them
//! already had a dst there (early demux), in `/proc/net/stat/rust_nf_count` of the namespace.
//!
//! ```text
//! # insmod rust_nf_count.ko
//! # ping -c 3 127.0.0.1 >/dev/null; cat /proc/net/stat/rust_nf_count
//! packets with_dst
//! 00000006 00000000
//! 00000000 00000000
//! ```

use kernel::{
    c_str,
    net::{
        namespace::{NetInit, PernetData, PernetId, Subsys},
        netfilter::{self, priority, Hook, Ipv4Hook, Verdict},
        proc::{StatFile, StatShow},
        skbuff::SkBuff,
    },
    percpu,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::rcu,
};

module! {
    type: RustNfCount,
    name: "rust_nf_count",
    author: "rdst developers",
    description: "Counts IPv4 packets per network namespace at PRE_ROUTING (sample)",
    license: "GPL",
}

const PACKETS: usize = 0;
const WITH_DST: usize = 1;

static ID: PernetId<NetCounter> = PernetId::new();

/// One namespace's hook, file and counters.
#[pin_data]
struct NetCounter {
    // Dropped first: no more packets, then no more readers.
    #[pin]
    hook: netfilter::Registration<CountHook>,
    #[pin]
    stat: StatFile<NetCounter>,
    counters: percpu::Counters<2>,
}

impl PernetData for NetCounter {
    type Shared = ();
    const ID: &'static PernetId<Self> = &ID;

    fn init<'a>(net: &'a NetInit<'a>, _shared: &'a ()) -> impl PinInit<Self, Error> + 'a {
        try_pin_init!(Self {
            counters: percpu::Counters::new()?,
            stat <- StatFile::new(net, c_str!("rust_nf_count")),
            hook <- netfilter::Registration::new(net, Ipv4Hook::PreRouting, priority::FILTER),
        }? Error)
    }
}

impl StatShow for NetCounter {
    fn show(&self, m: &SeqFile) {
        seq_print!(m, "packets with_dst\n");
        for cpu in percpu::possible_cpus() {
            seq_print!(
                m,
                "{:08x} {:08x}\n",
                self.counters.get(cpu, PACKETS),
                self.counters.get(cpu, WITH_DST)
            );
        }
    }
}

struct CountHook;

impl Hook for CountHook {
    type Net = NetCounter;

    fn hook(counter: &NetCounter, skb: &mut SkBuff, _rcu: &rcu::Guard) -> Verdict {
        counter.counters.inc(PACKETS);
        if skb.dst().is_some() {
            counter.counters.inc(WITH_DST);
        }
        Verdict::Accept
    }
}

struct RustNfCount {
    _subsys: Pin<KBox<Subsys<NetCounter>>>,
}

impl kernel::Module for RustNfCount {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let subsys = KBox::pin_init(Subsys::<NetCounter>::register(()), GFP_KERNEL)?;
        pr_info!("counting IPv4 packets in every namespace\n");
        Ok(Self { _subsys: subsys })
    }
}
