// SPDX-License-Identifier: GPL-2.0
//! A hook cannot be registered from a namespace borrowed for a moment (a packet's, say) and
//! kept in a box of its own, past the namespace: a registration is built from the `NetInit`
//! of a namespace's state, as one of its fields.
// expect: expected `&NetInit<'_>`, found `&Net`

#![allow(missing_docs)]

use kernel::net::{
    namespace::Net,
    netfilter::{Hook, Ipv4Hook, Registration},
};
use kernel::prelude::*;

pub fn keep_past_namespace<H: Hook>(net: &Net) -> Result<Pin<KBox<Registration<H>>>> {
    KBox::pin_init(
        Registration::<H>::new(net, Ipv4Hook::PreRouting, 0),
        GFP_KERNEL,
    )
}
