// SPDX-License-Identifier: GPL-2.0
//! A noref dst (a packet's, a route's, an entry's) cannot become a counted reference except
//! through `hold_safe`, which fails for an entry already released.
// expect: the trait bound `NorefDst: AlwaysRefCounted` is not satisfied

#![allow(missing_docs)]

use kernel::net::{dst::NorefDst, skbuff::SkBuff};
use kernel::types::ARef;

pub fn keep(skb: &SkBuff) -> Option<ARef<NorefDst>> {
    skb.dst().map(ARef::from)
}
