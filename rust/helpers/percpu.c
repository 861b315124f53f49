// SPDX-License-Identifier: GPL-2.0

#include <linux/percpu.h>

unsigned long __percpu *rust_helper_alloc_percpu_ulongs(size_t n)
{
	return __alloc_percpu(n * sizeof(unsigned long), __alignof__(unsigned long));
}

void rust_helper_this_cpu_add_ulong(unsigned long __percpu *base, size_t idx,
				    unsigned long v)
{
	this_cpu_add(base[idx], v);
}

unsigned long rust_helper_per_cpu_ulong(unsigned long __percpu *base, size_t idx,
					unsigned int cpu)
{
	return READ_ONCE(*per_cpu_ptr(&base[idx], cpu));
}

unsigned int rust_helper_cpumask_next_possible(int n)
{
	return cpumask_next(n, cpu_possible_mask);
}

bool rust_helper_cpu_is_possible(unsigned int cpu)
{
	return cpu < nr_cpu_ids && cpu_possible(cpu);
}
