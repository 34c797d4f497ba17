/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A no-op dp_tcp_icmp_frag_needed() (dp/ip4.h) for the programs that link the net layer without
 * TCP and define their own dp_tcp_input(): skiff-net-test, skiff-bench-net, fuzz_net_input. Path
 * MTU discovery is TCP's; there is no TCP to tell.
 */
#include <stdint.h>

#include <dp/ip4.h>

void
dp_tcp_icmp_frag_needed(struct dp_tcp *t, uint32_t local_ip, uint16_t local_port, uint32_t remote_ip,
			uint16_t remote_port, uint32_t seq, uint16_t mtu)
{
	(void)t;
	(void)local_ip;
	(void)local_port;
	(void)remote_ip;
	(void)remote_port;
	(void)seq;
	(void)mtu;
}
