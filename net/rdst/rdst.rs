// SPDX-License-Identifier: GPL-2.0

//! rdst: an IPv4 input route cache (placeholder until the module lands).

use kernel::prelude::*;

module! {
    type: Rdst,
    name: "rdst",
    author: "rdst developers",
    description: "IPv4 input route cache with its own dst_ops and slab",
    license: "GPL",
}

struct Rdst;

impl kernel::Module for Rdst {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(Rdst)
    }
}
