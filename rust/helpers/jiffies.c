// SPDX-License-Identifier: GPL-2.0

#include <linux/jiffies.h>

unsigned long rust_helper_jiffies_read(void)
{
	return jiffies;
}
