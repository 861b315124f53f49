#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Differential equivalence test: rdst must not change any packet's fate.

For a seed, build a router namespace with a random configuration (routes of
several prefix lengths, gateways, blackhole/unreachable/prohibit, multipath,
policy rules on from/to/tos/fwmark/iif, rp_filter, MTUs), send a random packet
set (TTL 1/2/64, DF, sizes, TOS, martian sources) through it twice, change the
configuration at random, send it twice more, make rp_filter stricter (and
nothing else), send it twice again; then, each time after the flows were
cached, change what decides a route without a FIB change (ICMP redirects
and fragmentation-needed errors the router accepts, IPv4 device settings by
sysctl and by rtnetlink, the egress losing and regaining its carrier with
ignore_routes_with_linkdown flipped, a route cache flush and the same
errors again) and send it twice more, three or four times.
Record every packet's fate: which receiver got it with which TTL and
next-hop MAC, and which ICMP error came back to the sender.  Do it with
rdst loaded and without it: the fates must be identical.  On a mismatch, print the seed and the first packets that
differ, with the configuration.

With --fuzz, the packets are malformed and unusual instead (bad header
checksums, lengths and IHL, IP options, fragments, TTL 0 and 1, martian and
multicast addresses), sent as raw Ethernet frames so that nothing in the
sender's stack repairs them, and the router's IP and ICMP counters
(/proc/net/snmp) must be the same too, but for the redirects it sent, which
a time-based limiter paces (see `unpaced`); fuzz runs stop after the third
phase.

With --kernel-results DIR, the fates and counters without rdst are kept in
DIR for each seed, and taken from there when a later run in the same boot
asks for the same seed again (the mutants of `make check` run seeds the
differential test ran already: only their runs with rdst are new).

Usage: rdst_diff.py [--load CMD] [--unload CMD] [--fuzz] [--kernel-results DIR]
                   [--number-from N] [--label TEXT] SEED...
       rdst_diff.py --devconf DEV SETTING VALUE   (one setting by rtnetlink, for
                                                   the other suites)
       rdst_diff.py --replace-nexthop-then-send ROUTER_NS SENDER_NS ID GATEWAY DEV SRC DST COUNT
"""
import ctypes
import json
import multiprocessing
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time

ETH_P_IP = 0x0800
SO_RCVBUFFORCE = 33
ATTEMPTS = 2          # sends of each packet per phase: the first misses, the next hits
# Packets per phase, and sends between two waits for their echoes (the soak,
# tools/soak/guest-soak.sh, sends many, 32 at a time; 32 frames fit the
# capture sockets' buffers).
PACKETS = int(os.environ.get("RDST_DIFF_PACKETS", 48))
BURST = int(os.environ.get("RDST_DIFF_BURST", 1))
JOBS = 3              # seeds run side by side (the guest has two CPUs)


def sh(*cmd, check=True, stdin=None):
    r = subprocess.run(cmd, capture_output=True, text=True, input=stdin)
    if check and r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r


# --- other namespaces, with few processes ----------------------------------
#
# setns(CLONE_NEWNET) switches only the calling thread, and a socket stays in
# the namespace it was created in: one process can listen and send in every
# namespace without spawning a helper per namespace.  The thread's namespace
# is also the one /proc/sys/net and /proc/thread-self/net show, and the one
# its children start in.  A process costs 0.2 s and more under TCG on the
# debug kernel (`ip netns exec` about 1 s), so commands are batched: `ip -batch`,
# sysctl settings written from here, `nft -f`.

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


class InNs:
    """Context: the calling thread in network namespace NS (None: stay)."""

    def __init__(self, ns):
        self.ns = ns

    def __enter__(self):
        if self.ns is None:
            return self
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/var/run/netns/{self.ns}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET):
                raise OSError(ctypes.get_errno(), f"setns {self.ns}")
        finally:
            os.close(target)
        return self

    def __exit__(self, *exc):
        if self.ns is not None:
            _libc.setns(self.home, CLONE_NEWNET)
            os.close(self.home)


def sysctl(setting, check=True):
    """Write NAME=VALUE as `sysctl -w` does, in the thread's namespace."""
    name, value = setting.split("=", 1)
    try:
        with open("/proc/sys/" + name.replace(".", "/"), "w") as f:
            f.write(value)
    except OSError as e:
        if check:
            raise RuntimeError(f"sysctl {setting}: {e}") from e


def ns_run(ns, cmds, check=True):
    """Run shell-like commands (`ip ...`, `sysctl -qw K=V...`, `nft ...`) in
    NS, in order; consecutive `ip` or `nft` commands run as one batch.
    With CHECK, the first failure raises (as `set -e`); without it, every
    command is tried."""
    with InNs(ns):
        run, kind = [], None

        def flush():
            if run:
                argv = ["ip", "-batch", "-"] if kind == "ip" else ["nft", "-f", "-"]
                if kind == "ip" and not check:
                    argv.insert(1, "-force")
                sh(*argv, check=check, stdin="\n".join(run) + "\n")
                run.clear()

        for cmd in cmds:
            word, rest = cmd.split(" ", 1)
            if word != kind:
                flush()
                kind = word
            if word == "sysctl":
                for setting in rest.split()[1:]:  # after -qw
                    sysctl(setting, check)
            elif word == "devconf":              # devconf DEV SETTING VALUE
                dev, setting, value = rest.split()
                try:
                    devconf_rtnetlink(dev, setting, int(value))
                except OSError:
                    if check:
                        raise
            elif word == "icmp":                 # icmp ROUTER KIND QUOTED_DST ARG
                router, kind, dst, arg = rest.split()
                with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as s:
                    s.sendto(icmp_to_router(kind, dst, arg), (router, 0))
            elif word == "settle":               # settle DEV
                settle_carrier(rest)
            elif word in ("ip", "nft"):
                run.append(rest)
            else:
                raise ValueError(f"ns_run: {cmd!r}")
        flush()


def settle_carrier(dev, limit=60):
    """Wait until the thread's namespace has acted on DEV's last carrier
    change.  netif_carrier_on/off only queue the change for linkwatch, which
    later swaps DEV's qdisc (noop while the carrier is off) and notifies
    NETDEV_CHANGE, on which the FIB marks or clears RTNH_F_LINKDOWN on the
    routes through DEV, in that order (linkwatch_do_dev); under TCG it can
    run after the next phase has begun.  The routes' "linkdown" flags
    agreeing with the carrier therefore mean both are done."""
    end = time.monotonic() + limit
    while True:
        link = sh("ip", "-o", "link", "show", "dev", dev).stdout
        routes = sh("ip", "route", "show", "table", "all", "dev", dev).stdout
        if ("NO-CARRIER" in link) == (" linkdown" in routes):
            return
        if time.monotonic() > end:
            raise RuntimeError(f"{dev}: carrier change not applied after {limit} s: {link.strip()}")
        time.sleep(0.05)


def socket_in(ns, *args):
    """A socket created in network namespace NS."""
    with InNs(ns):
        return socket.socket(*args)


def capture_socket(ns, iface):
    s = socket_in(ns, socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    s.bind((iface, ETH_P_IP))
    s.setblocking(False)
    # Room for every echo of a burst and more: a frame the socket drops
    # would be a fate seen in one mode only.
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
    return s


def parse(frame):
    """The fields of an IPv4 frame that make up a packet's fate."""
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    rec = {"mac": frame[0:6].hex(), "ttl": ip[8], "proto": ip[9],
           "src": socket.inet_ntoa(ip[12:16]), "id": struct.unpack("!H", ip[4:6])[0]}
    if ip[9] == 1 and len(ip) >= ihl + 8 + 20:
        icmp = ip[ihl:]
        rec["icmp"] = (icmp[0], icmp[1], struct.unpack("!H", icmp[6:8])[0])
        rec["inner_id"] = struct.unpack("!H", icmp[12:14])[0]
    return rec


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4_header(src, dst, proto, payload_len, tos=0, ident=0, frag=0, ttl=64, opt=b"",
                ver_ihl=None, length=None, bad_csum=False):
    """An IPv4 header with its checksum; VER_IHL, LENGTH and BAD_CSUM make it
    malformed on purpose."""
    opt += bytes(-len(opt) % 4)
    ihl = 5 + len(opt) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl if ver_ihl is None else ver_ihl, tos,
                      4 * ihl + payload_len if length is None else length, ident, frag, ttl,
                      proto, 0, socket.inet_aton(src), socket.inet_aton(dst)) + opt
    c = csum(hdr) ^ (0x5555 if bad_csum else 0)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:]


def packet(p):
    payload = bytes(p["size"] - 28)
    udp = struct.pack("!HHHH", 4000, 9, 8 + len(payload), 0) + payload
    frag = 0x4000 if p["df"] else 0
    return ipv4_header(p["src"], p["dst"], 17, len(udp), p["tos"], p["id"], frag, p["ttl"]) + udp


def icmp_to_router(kind, quoted_dst, arg):
    """An ICMP error to the router quoting an echo reply the router sent to
    QUOTED_DST (the only quoted protocol whose errors the router acts on
    without a socket, icmp_err): a host redirect to gateway ARG, or
    fragmentation needed with next-hop MTU ARG.  Sent by one of the router's
    gateways (the raw socket fills in its address as the source)."""
    quoted = ipv4_header("198.51.100.1", quoted_dst, 1, 8) + struct.pack("!BBHHH", 0, 0, 0, 1, 1)
    if kind == "redirect":
        head = struct.pack("!BBH4s", 5, 1, 0, socket.inet_aton(arg))
    else:
        head = struct.pack("!BBHHH", 3, 4, 0, 0, int(arg))
    icmp = head + quoted
    return icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]


# enum IPV4_DEVCONF_* (include/uapi/linux/ip.h), the attribute types of
# IFLA_INET_CONF: the fields IPv4 input routing reads, with the values flipped.
DEVCONF = {"forwarding": (1, [0, 1]), "accept_redirects": (4, [0, 1]),
           "send_redirects": (6, [0, 1]), "shared_media": (7, [0, 1]),
           "rp_filter": (8, [0, 1, 2]), "accept_source_route": (9, [0, 1]),
           "log_martians": (11, [0, 1]), "medium_id": (14, [0, 1]),
           "disable_xfrm": (15, [0, 1]), "disable_policy": (16, [0, 1]),
           "accept_local": (23, [0, 1]), "src_valid_mark": (24, [0, 1]),
           "route_localnet": (26, [0, 1]), "ignore_routes_with_linkdown": (29, [0, 1]),
           "bc_forwarding": (32, [0, 1])}


def rtnl_attr(kind, payload):
    """A netlink attribute, padded to 4 bytes."""
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + bytes(-n % 4)


def rtnl_request(sock, msg_type, flags, body, what):
    """Send one rtnetlink request with NLM_F_REQUEST | NLM_F_ACK | FLAGS on SOCK
    and wait for its acknowledgement; a refusal raises OSError naming WHAT."""
    NLM_F_REQUEST, NLM_F_ACK = 1, 4
    sock.send(struct.pack("=IHHII", 16 + len(body), msg_type,
                          NLM_F_REQUEST | NLM_F_ACK | flags, 1, 0) + body)
    error = struct.unpack("=i", sock.recv(4096)[16:20])[0]
    if error:
        raise OSError(-error, what)


def devconf_rtnetlink(dev, setting, value):
    """net.ipv4.conf.DEV.SETTING = VALUE by rtnetlink (RTM_SETLINK with
    IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF, which `ip` cannot send), in the
    thread's namespace."""
    IFLA_AF_SPEC, IFLA_INET_CONF, RTM_SETLINK = 26, 1, 19

    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, socket.if_nametoindex(dev), 0, 0)
    body += rtnl_attr(IFLA_AF_SPEC, rtnl_attr(socket.AF_INET, rtnl_attr(IFLA_INET_CONF, rtnl_attr(
        DEVCONF[setting][0], struct.pack("=I", value)))))
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE) as s:
        rtnl_request(s, RTM_SETLINK, 0, body, f"RTM_SETLINK {dev} {setting}={value}")


def replace_nexthop_then_send(router, sender, nh_id, gateway, dev, src, dst, count):
    """In ROUTER, replace nexthop NH_ID by one via GATEWAY on DEV (RTM_NEWNEXTHOP
    with NLM_F_REPLACE, as `ip nexthop replace` sends it); the moment the
    kernel acknowledges it, send COUNT UDP packets SRC -> DST from SENDER.
    No process starts in between, so the packets reach the router as soon
    after the replace as they can."""
    RTM_NEWNEXTHOP, NLM_F_REPLACE = 104, 0x100
    NHA_ID, NHA_OIF, NHA_GATEWAY = 1, 5, 6

    tx = socket_in(sender, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    with InNs(router):
        body = struct.pack("=BBBBI", socket.AF_INET, 0, 3, 0, 0)  # RTPROT_BOOT, as ip
        body += rtnl_attr(NHA_ID, struct.pack("=I", nh_id))
        body += rtnl_attr(NHA_OIF, struct.pack("=I", socket.if_nametoindex(dev)))
        body += rtnl_attr(NHA_GATEWAY, socket.inet_aton(gateway))
        nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    pkts = [packet(dict(src=src, dst=dst, size=64, df=0, tos=0, ttl=64, id=i))
            for i in range(count)]
    with nl, tx:
        rtnl_request(nl, RTM_NEWNEXTHOP, NLM_F_REPLACE, body,
                     f"RTM_NEWNEXTHOP id {nh_id} via {gateway} dev {dev}")
        for p in pkts:
            tx.sendto(p, (dst, 0))


# --- the test ---------------------------------------------------------------

class Topology:
    """snd --- rtr --- r1 (198.51.100.0/25), rtr --- r2 (198.51.100.128/25)."""

    def __init__(self, tag):
        self.ns = {n: f"rdstd-{tag}-{n}" for n in ("snd", "rtr", "r1", "r2")}
        snd, rtr, r1, r2 = (self.ns[n] for n in ("snd", "rtr", "r1", "r2"))
        ns_run(None, [f"ip netns add {n}" for n in self.ns.values()])
        # Fixed MAC addresses: next hops compare across the two runs.  Every
        # neighbour an answer may go to (the sender's ten extra addresses
        # included) is a permanent entry: an ICMP error waiting for ARP under
        # TCG can miss the capture window in one run and not in the other.
        ns_run(snd, ["ip link set lo up",
                     "ip link add snd0 address 02:00:00:00:00:02 type veth peer name rtr0 "
                     f"address 02:00:00:00:00:01 netns {rtr}",
                     "ip addr add 192.0.2.2/24 dev snd0"]
               + [f"ip addr add 192.0.2.{i}/24 dev snd0" for i in range(10, 20)]
               + ["ip link set snd0 up", "ip route add default via 192.0.2.1",
                  "ip neigh replace 192.0.2.1 lladdr 02:00:00:00:00:01 dev snd0 nud permanent"])
        ns_run(rtr, ["ip link set lo up",
                     "ip link add rtr1 address 02:00:00:00:01:01 type veth peer name r0 "
                     f"address 02:00:00:00:01:02 netns {r1}",
                     "ip link add rtr2 address 02:00:00:00:02:01 type veth peer name r0 "
                     f"address 02:00:00:00:02:02 netns {r2}",
                     "ip addr add 192.0.2.1/24 dev rtr0", "ip addr add 198.51.100.1/25 dev rtr1",
                     "ip addr add 198.51.100.129/25 dev rtr2"]
               + [f"ip link set {d} up" for d in ("rtr0", "rtr1", "rtr2")]
               + [f"ip neigh replace 192.0.2.{i} lladdr 02:00:00:00:00:02 dev rtr0 nud permanent"
                  for i in [2] + list(range(10, 20))]
               + ["ip neigh replace 198.51.100.2 lladdr 02:00:00:00:01:02 dev rtr1 nud permanent",
                  "ip neigh replace 198.51.100.130 lladdr 02:00:00:00:02:02 dev rtr2 "
                  "nud permanent",
                  "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 "
                  "net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000 "
                  # A next hop resolved while rtr1 has no carrier (its
                  # probes dropped) fails after 6 probes a second apart,
                  # then answers its queued packets with host unreachable:
                  # within a phase or not, by how long the phase takes.
                  # 100 probes: it never fails while a run lasts.
                  "net.ipv4.neigh.rtr1.mcast_solicit=100 net.ipv4.neigh.rtr2.mcast_solicit=100 "
                  # Fragments never complete here: a queue that times out
                  # (30 s) within a run counts ReasmTimeout and answers
                  # time exceeded in one run and not in the other, by how
                  # long the runs take (the soak's, and a slow host's).
                  "net.ipv4.ipfrag_time=3600 net.ipv4.ipfrag_high_thresh=268435456"])
        for n, a, gw, mac in ((r1, "198.51.100.2/25", "198.51.100.1", "02:00:00:00:01:01"),
                              (r2, "198.51.100.130/25", "198.51.100.129", "02:00:00:00:02:01")):
            # Proxy ARP for 10/8 (routed to a dummy device; proxy ARP needs
            # forwarding), answering at once, resolves every next hop the router
            # may pick on the link: no fate depends on whether an ARP exchange
            # times out within the capture window.  Their ICMP errors (time
            # exceeded for what loops back through the router) cross the
            # router: unlimited, so that its counters do not depend on how
            # fast the packets came (the soak sends them in bursts).
            ns_run(n, [f"ip addr add {a} dev r0", "ip link set r0 up", "ip link set lo up",
                       "ip link add dummy0 type dummy", "ip link set dummy0 up",
                       "ip route add 10.0.0.0/8 dev dummy0", f"ip route add default via {gw}",
                       f"ip neigh replace {gw} lladdr {mac} dev r0 nud permanent",
                       "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.r0.proxy_arp=1 "
                       "net.ipv4.neigh.r0.proxy_delay=0 net.ipv4.conf.all.rp_filter=0 "
                       "net.ipv4.conf.r0.rp_filter=0 net.ipv4.icmp_ratelimit=0 "
                       "net.ipv4.icmp_msgs_per_sec=1000000 net.ipv4.icmp_msgs_burst=1000000"])
        # Redirects from the gateways are accepted (forwarding=1 cleared
        # all.accept_redirects, and with forwarding on the device's value
        # and all's must both be set), and the gateways they name have
        # neighbours (a redirect to an unresolved one only starts ARP).
        ns_run(rtr, ["sysctl -qw net.ipv4.conf.all.accept_redirects=1",
                     "ip neigh replace 198.51.100.3 lladdr 02:00:00:00:01:03 dev rtr1 nud permanent",
                     "ip neigh replace 198.51.100.131 lladdr 02:00:00:00:02:03 dev rtr2 "
                     "nud permanent"])
        # The per-peer error limiter of ip_error is global (init_net).
        sysctl("net.ipv4.route.error_cost=0")

    def destroy(self):
        ns_run(None, [f"ip netns del {n}" for n in self.ns.values()], check=False)


def random_prefix(rng):
    plen = rng.choice([8, 12, 16, 20, 24, 24, 28, 30, 32])
    addr = (10 << 24) | rng.randrange(0, 1 << 24)
    addr &= (0xffffffff << (32 - plen)) & 0xffffffff
    return socket.inet_ntoa(struct.pack("!I", addr)) + f"/{plen}", addr, plen


ACTIONS = ["via 198.51.100.2", "via 198.51.100.130", "dev rtr1", "dev rtr2",
           "blackhole", "unreachable", "prohibit",
           "nexthop via 198.51.100.2 nexthop via 198.51.100.130",
           "via 198.51.100.2 mtu 1300"]


def route_cmd(prefix, action, table=None):
    t = f" table {table}" if table else ""
    if action in ("blackhole", "unreachable", "prohibit"):
        return f"ip route replace {action} {prefix}{t}"
    return f"ip route replace {prefix}{t} {action}"


def make_config(rng):
    """Commands for the router, the prefixes packets are aimed at, and the
    router's rp_filter mode."""
    cmds, prefixes = [], []
    for _ in range(10):
        prefix, addr, plen = random_prefix(rng)
        prefixes.append((addr, plen))
        cmds.append(route_cmd(prefix, rng.choice(ACTIONS)))
    if rng.random() < 0.5:
        cmds.append("ip route replace default via 198.51.100.2")
    for table in (100, 101):
        for _ in range(3):
            prefix, addr, plen = random_prefix(rng)
            prefixes.append((addr, plen))
            cmds.append(route_cmd(prefix, rng.choice(ACTIONS), table))
    selectors = ["from 192.0.2.10/31", "from 192.0.2.16/30", "tos 0x10", "fwmark 0x1",
                 "iif rtr0 from 192.0.2.14/32", "to 10.128.0.0/9"]
    for pref, sel in enumerate(rng.sample(selectors, rng.randrange(0, 4)), start=100):
        cmds.append(f"ip rule add {sel} lookup {rng.choice([100, 101])} pref {pref}")
    rp = rng.choice([0, 0, 1, 2])
    cmds.append(f"sysctl -qw net.ipv4.conf.all.rp_filter={rp} net.ipv4.conf.rtr0.rp_filter={rp}")
    if rng.random() < 0.5:
        # An asymmetric path back to some senders: strict rp_filter rejects them.
        cmds.append("ip route replace 192.0.2.16/30 via 198.51.100.2")
    cmds.append(f"ip link set rtr1 mtu {rng.choice([1500, 1500, 1280])}")
    # Packets with DSCP CS5 get fwmark 1 before rdst's hook sees them.
    cmds += ["nft add table ip rdstd",
             "nft add chain ip rdstd pre { type filter hook prerouting priority -150; }",
             "nft add rule ip rdstd pre ip dscp cs5 meta mark set 1"]
    return cmds, prefixes, rp


def mutate(rng, prefixes):
    """Commands that change routing between the two phases."""
    cmds = []
    for _ in range(rng.randrange(1, 4)):
        addr, plen = rng.choice(prefixes)
        prefix = socket.inet_ntoa(struct.pack("!I", addr)) + f"/{plen}"
        cmds.append(rng.choice([
            route_cmd(prefix, rng.choice(ACTIONS)),
            f"ip route del {prefix}",
            "ip rule add from 192.0.2.12/30 lookup 101 pref 90",
            f"sysctl -qw net.ipv4.conf.rtr0.rp_filter={rng.choice([0, 1, 2])}",
            f"sysctl -qw net.ipv4.conf.rtr0.forwarding={rng.choice([0, 1, 1])}",
            f"ip link set rtr2 mtu {rng.choice([1280, 1500])}",
        ]))
    return cmds


def tighten_rp_filter(rng, rp):
    """The input device's reverse-path filter made stricter (off < loose <
    strict), alone between two phases: in 6.12 the kernel changed it without
    flushing its route caches (devinet_conf_proc only notified; patch 0011
    makes every changing write flush), so a cache keyed on the route
    generation alone would have kept decisions the new value refuses."""
    stricter = {0: rng.choice([1, 2]), 2: 1, 1: 1}[rp]
    return [f"sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.rtr0.rp_filter={stricter}"]


def setting(way, dev, name, value):
    """net.ipv4.conf.DEV.NAME = VALUE written by WAY (sysctl or rtnetlink)."""
    if way == "sysctl":
        return f"sysctl -qw net.ipv4.conf.{dev}.{name}={value}"
    return f"devconf {dev} {name} {value}"


def after_caching(rng, pkts):
    """What changes a decision after flows are cached, without a FIB or rule
    change: (the base configuration's extra commands, three or four more phases of
    (namespace, command) events).  Phase 4: ICMP redirects from the current
    gateways and fragmentation-needed errors the router accepts (next-hop
    exceptions: no flush, no generation bump), with ip_forward_use_pmtu 0 or
    1, one destination's route with a locked MTU; phase 5: IPv4 device
    settings input routing reads, by sysctl or by rtnetlink, and the egress
    rtr1 losing its carrier with ignore_routes_with_linkdown set or not;
    phase 6: each setting changed again the other way, the carrier back;
    with p=1/2, the route cache flushed in phase 5 and a phase 7 of the
    errors of phase 4 again."""
    dsts = sorted({p["dst"] for p in pkts if p["dst"].startswith("10.")})
    chosen = rng.sample(dsts, min(5, len(dsts)))
    base = [f"ip route replace {chosen[0]}/32 via 198.51.100.2 mtu lock 1400"] if chosen else []
    icmp = [("rtr", f"sysctl -qw net.ipv4.ip_forward_use_pmtu={rng.choice([0, 1, 1])}")]
    for d in chosen:
        if rng.random() < 0.5:
            # Only the redirect from the route's own gateway is accepted.
            icmp += [("r1", f"icmp 198.51.100.1 redirect {d} 198.51.100.3"),
                     ("r2", f"icmp 198.51.100.129 redirect {d} 198.51.100.131")]
        else:
            icmp.append(("r1", f"icmp 198.51.100.1 fragneeded {d} "
                               f"{rng.choice([1000, 1280, 1300])}"))
    flips, back = [], []
    for _ in range(rng.randrange(1, 4)):
        name = rng.choice(sorted(DEVCONF))
        values = DEVCONF[name][1]
        dev = rng.choice(["rtr0", "rtr1", "rtr2", "all"])
        # rtnetlink has no `all`.
        way = "sysctl" if dev == "all" else rng.choice(["sysctl", "rtnetlink"])
        other = "sysctl" if dev == "all" else {"sysctl": "rtnetlink", "rtnetlink": "sysctl"}[way]
        first = rng.choice(values)
        flips.append(("rtr", setting(way, dev, name, first)))
        back.append(("rtr", setting(other, dev, name, rng.choice([v for v in values
                                                                   if v != first]))))
    if rng.random() < 0.5:
        way = rng.choice(["sysctl", "rtnetlink"])
        ignore = rng.choice([0, 1])
        # The next phase starts once the router has acted on the carrier
        # (settle_carrier).  Next hops the router began to resolve while
        # the carrier was off are forgotten once it is back, so that every
        # run resolves them afresh through r1's proxy ARP, at once.
        flips += [("r1", "ip link set r0 down"), ("rtr", "settle rtr1"),
                  ("rtr", setting(way, "rtr1", "ignore_routes_with_linkdown", ignore))]
        back += [("rtr", setting(way, "rtr1", "ignore_routes_with_linkdown", 1 - ignore)),
                 ("r1", "ip link set r0 up"), ("rtr", "settle rtr1"),
                 ("rtr", "ip neigh flush dev rtr1")]
    phases = [icmp, flips, back]
    if rng.random() < 0.5 and len(icmp) > 1:
        # The route cache flushed (`ipv4_sysctl_rtcache_flush` bumps the
        # exceptions' generation too): the next packets to an exception's
        # destination get a route bound to the reset exception, with none of
        # its fields.  The same errors again, in a phase of their own (any
        # flush after them would hide what they do), then update that route
        # in place (`fill_route_from_fnhe`), marking nothing obsolete.
        flips.append(("rtr", "ip route flush cache"))
        phases.append(icmp[1:])
    return base, phases


def make_packets(rng, prefixes):
    pkts = []
    for _ in range(PACKETS):
        if rng.random() < 0.85:
            addr, plen = rng.choice(prefixes)
            addr |= rng.randrange(0, 1 << (32 - plen)) if plen < 32 else 0
            dst = socket.inet_ntoa(struct.pack("!I", addr))
        else:
            dst = socket.inet_ntoa(struct.pack("!I", rng.randrange(1 << 24, 224 << 24)))
        # (A raw socket fills in a 0.0.0.0 source: it stands for 192.0.2.2.)
        src = rng.choice(["192.0.2.2"] * 4 + [f"192.0.2.{i}" for i in range(10, 20)]
                         + ["10.99.0.1", "127.0.0.9", "0.0.0.0"])
        pkts.append({"src": src, "dst": dst, "tos": rng.choice([0, 0, 0x10, 0xa0]),
                     "ttl": rng.choice([64, 64, 64, 2, 1]), "df": rng.random() < 0.5,
                     "size": rng.choice([100, 100, 1400])})
    return pkts


OPTIONS = [b"\x94\x04\x00\x00",                      # router alert
           b"\x07\x07\x04\x00\x00\x00\x00\x01",      # record route, room for one
           b"\x44\x0c\x05\x00" + bytes(8),              # timestamp
           b"\x83\x07\x04\xc6\x33\x64\x02\x00",      # loose source route via r1
           b"\x01\x01\x01\x00",                      # NOPs
           b"\x99\x05\x00\x00\x00\x00\x00\x00",      # unknown option
           b"\x07\x02\x00\x00"]                      # record route, bad length


def make_fuzz(rng, prefixes):
    """Malformed and unusual packets: each a dict with its raw IPv4 bytes."""
    pkts = []
    for _ in range(PACKETS):
        if rng.random() < 0.7:
            addr, plen = rng.choice(prefixes)
            addr |= rng.randrange(0, 1 << (32 - plen)) if plen < 32 else 0
            dst = socket.inet_ntoa(struct.pack("!I", addr))
        else:
            dst = rng.choice(["127.0.0.1", "0.1.2.3", "224.0.0.5", "239.1.1.1", "255.255.255.255",
                              "240.0.0.1", "192.0.2.255", "198.51.100.1", "192.0.2.1",
                              "169.254.1.1"])
        src = rng.choice(["192.0.2.2"] * 4 + ["10.99.0.1", "127.0.0.9", "0.0.0.0", "224.0.0.1",
                                              "255.255.255.255", "192.0.2.1", "240.1.1.1"])
        pkts.append({"src": src, "dst": dst, "tos": rng.choice([0, 0x10, 0xa0, 0x03]),
                     "ttl": rng.choice([64, 64, 2, 1, 0]), "df": rng.random() < 0.5,
                     "size": rng.choice([60, 100, 1400]),
                     "opt": rng.choice([b""] * 4 + OPTIONS),
                     "frag": rng.choice([0] * 5 + [0x2000, 0x0010, 0x2010, 0x1fff]),
                     "bad": rng.choice([None] * 6 + ["csum", "short", "long", "ihl", "version",
                                                     "trunc"])})
    return pkts


def fuzz_frame(p):
    """The Ethernet frame of fuzz packet P, to the router's rtr0."""
    opt = p["opt"] + bytes(-len(p["opt"]) % 4)
    ihl = 5 + len(opt) // 4
    payload = bytes(max(p["size"] - 20 - len(opt) - 8, 0))
    udp = struct.pack("!HHHH", 4000, 9, 8 + len(payload), 0) + payload
    total = 4 * ihl + len(udp)
    frag = p["frag"] | (0x4000 if p["df"] else 0)
    ver_ihl = {"ihl": 0x43, "version": 0x60 | ihl}.get(p["bad"])
    length = {"short": 4 * ihl - 4, "long": total + 200}.get(p["bad"])
    ip = ipv4_header(p["src"], p["dst"], 17, len(udp), p["tos"], p["id"], frag, p["ttl"], opt,
                     ver_ihl, length, p["bad"] == "csum") + udp
    if p["bad"] == "trunc":
        ip = ip[:4 * ihl + 2]
    return bytes.fromhex("020000000001020000000002") + struct.pack("!H", ETH_P_IP) + ip


def snmp(ns):
    """The router's Ip, Icmp and IcmpMsg counters."""
    out = {}
    with InNs(ns), open("/proc/thread-self/net/snmp") as f:
        lines = f.read().splitlines()
    for head, vals in zip(lines[::2], lines[1::2]):
        proto = head.split(":")[0]
        if proto in ("Ip", "Icmp", "IcmpMsg"):
            for k, v in zip(head.split()[1:], vals.split()[1:]):
                out[f"{proto}.{k}"] = int(v)
    return out


def run_phase(topo, pkts, first_id, fuzz=False):
    """Send PKTS ATTEMPTS times; return each send's observations, in order."""
    sends = []
    for attempt in range(ATTEMPTS):
        for i, p in enumerate(pkts):
            sends.append(dict(p, id=(first_id + attempt * len(pkts) + i) & 0xffff))
    caps = {n: capture_socket(topo.ns[n], iface)
            for n, iface in (("r1", "r0"), ("r2", "r0"), ("snd", "snd0"))}
    if fuzz:
        tx = socket_in(topo.ns["snd"], socket.AF_PACKET, socket.SOCK_RAW)
        tx.bind(("snd0", 0))
    else:
        tx = socket_in(topo.ns["snd"], socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    obs = {}

    def drain(timeout):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select(list(caps.values()), [], [], left)
            for n, c in caps.items():
                if c not in ready:
                    continue
                while True:
                    try:
                        frame, addr = c.recvfrom(65535)
                    except BlockingIOError:
                        break
                    except OSError:     # ENETDOWN: bound while the device is down
                        break
                    if addr[2] == socket.PACKET_OUTGOING:
                        continue
                    try:
                        r = parse(frame)
                    except (IndexError, struct.error):
                        continue
                    if n == "snd":
                        if "icmp" in r and r["src"] == "192.0.2.1":
                            obs.setdefault(r["inner_id"], []).append(("icmp", *r["icmp"]))
                    elif r["proto"] == 17:
                        obs.setdefault(r["id"], []).append((n, r["ttl"], r["mac"]))

    for k, s in enumerate(sends):
        try:
            if fuzz:
                tx.send(fuzz_frame(s))
            else:
                tx.sendto(packet(s), (s["dst"], 0))
        except OSError:
            pass
        if (k + 1) % BURST == 0:
            drain(0.004)
    drain(0.5)
    for c in list(caps.values()) + [tx]:
        c.close()
    return [sorted(obs.get(s["id"], [])) or [("dropped",)] for s in sends], sends


class Seed:
    """One seed's router configuration, packets and changes."""

    def __init__(self, seed, fuzz):
        rng = random.Random(seed)
        self.seed, self.fuzz = seed, fuzz
        self.cmds, prefixes, rp = make_config(rng)
        self.pkts = (make_fuzz if fuzz else make_packets)(rng, prefixes)
        # The changes before each phase after the first: (namespace, command).
        self.phases = [[], [("rtr", c) for c in mutate(rng, prefixes)],
                       [("rtr", c) for c in tighten_rp_filter(rng, rp)]]
        if not fuzz:
            # A random stream of their own: the first three phases stay what
            # they were for every seed.
            base, events = after_caching(random.Random(f"after-caching-{seed}"), self.pkts)
            self.cmds += base
            self.phases += events


def run_events(topo, events):
    """(namespace, command) events in order, each run of one namespace's as
    one ns_run; then a moment for what they set off (carrier changes reach
    the stack through linkwatch)."""
    i = 0
    while i < len(events):
        j = i
        while j < len(events) and events[j][0] == events[i][0]:
            j += 1
        ns_run(topo.ns[events[i][0]], [c for _, c in events[i:j]], check=False)
        i = j
    time.sleep(0.2)


def run_mode(sd, mode):
    """SD's phases in a topology of their own: (fates, sends, counters)."""
    topo = Topology(f"{sd.seed}{mode[0]}")
    try:
        ns_run(topo.ns["rtr"], sd.cmds)
        before = snmp(topo.ns["rtr"])
        fates, sends = [], []
        for phase, change in enumerate(sd.phases):
            if change:
                run_events(topo, change)
            f, s = run_phase(topo, sd.pkts, 1 + phase * ATTEMPTS * len(sd.pkts), sd.fuzz)
            fates, sends = fates + f, sends + s
        after = snmp(topo.ns["rtr"])
        return fates, sends, {k: after[k] - before.get(k, 0) for k in after}
    finally:
        topo.destroy()


def try_mode(args):
    """run_mode in a worker: a failure comes back as its reason."""
    try:
        return True, run_mode(*args)
    except Exception as e:  # a broken run is a failed case, with its reason
        return False, str(e) or type(e).__name__


def run_all(seeds, mode):
    """Each of SEEDS in MODE, at most JOBS at a time, in worker processes."""
    if not seeds:  # every run without rdst was kept (--kernel-results)
        return []
    if len(seeds) == 1:
        return [try_mode((seeds[0], mode))]
    with multiprocessing.get_context("fork").Pool(min(JOBS, len(seeds))) as pool:
        return pool.map(try_mode, [(sd, mode) for sd in seeds])


def run_seeds(seeds, load, unload, kernel_results):
    """The seeds with rdst loaded, then without it: {seed: (ok, msg)}.

    The seeds of one call run side by side (each in namespaces of its own):
    the guest has two CPUs, and one seed's run keeps about one of them busy.
    rdst is loaded for all of them and unloaded for all of them, so a seed's
    run with rdst never overlaps another's without it.
    """
    kept = {sd.seed: os.path.join(kernel_results, f"{'fuzz' if sd.fuzz else 'diff'}-{sd.seed}.json")
            for sd in seeds} if kernel_results else {}
    sh("sh", "-c", load)
    with_rdst = dict(zip((sd.seed for sd in seeds), run_all(seeds, "rdst")))
    sh("sh", "-c", unload)
    without, todo = {}, []
    for sd in seeds:
        if sd.seed in kept and os.path.exists(kept[sd.seed]):
            with open(kept[sd.seed]) as f:
                fates, counters = json.load(f)
            without[sd.seed] = (True, ([[tuple(o) for o in fate] for fate in fates], None,
                                       counters))
        else:
            todo.append(sd)
    for sd, r in zip(todo, run_all(todo, "kernel")):
        without[sd.seed] = r
        if r[0] and sd.seed in kept:
            with open(kept[sd.seed] + ".new", "w") as f:
                json.dump([r[1][0], r[1][2]], f)
            os.rename(kept[sd.seed] + ".new", kept[sd.seed])
    verdicts = {}
    for sd in seeds:
        (ok_a, a), (ok_b, b) = with_rdst[sd.seed], without[sd.seed]
        if not ok_a or not ok_b:
            verdicts[sd.seed] = (False, f"seed {sd.seed}: " + "; ".join(
                f"{what}: {r}" for what, ok, r in (("with rdst", ok_a, a), ("without", ok_b, b))
                if not ok))
        else:
            verdicts[sd.seed] = judge(sd, a, b)
    return verdicts


def unpaced(counters):
    """COUNTERS without the router's sent redirects.

    Which of the router's redirect decisions reach the wire depends on time:
    `ip_rt_send_redirect` sends one to a source, then the next only after
    redirect_load << (redirects sent) jiffies (20 ms, 40 ms, ...).  Fuzz
    packets to the router's default route loop between it and r1 until
    their TTL runs out, each pass back out of rtr1 a redirect decision
    (IPSKB_DOREDIRECT); for seed 1017 the router took 228 such decisions in
    each of eight runs, four with rdst and four without, and the limiter
    let 8 or 9 of them through by run.  Whether a let-through one is then
    sent (a redirect about an ICMP error or a later fragment is not) is
    chance, so the redirects and what they add to the output counters are
    taken out.  That rdst keeps the kernel's redirect decisions is
    rdst_forwarding.sh's `redirect` case, paced under the limiter."""
    sent = counters.get("Icmp.OutRedirects", 0)
    out = {k: v - sent if k in ("Icmp.OutMsgs", "Ip.OutRequests", "Ip.OutTransmits") else v
           for k, v in counters.items()}
    out.pop("Icmp.OutRedirects", None)
    out.pop("IcmpMsg.OutType5", None)
    return out


def judge(sd, a, b):
    """Compare the fates (and for fuzz runs the counters) of the two modes."""
    seed, fuzz, cmds = sd.seed, sd.fuzz, sd.cmds
    diffs = [i for i in range(len(a[0])) if a[0][i] != b[0][i]]
    # Counters where visible: compared for fuzz runs, whose packets are each
    # sent the same way in both modes (the kernel's own traffic, e.g. ARP
    # retries, is not IP).
    ca, cb = unpaced(a[2]), unpaced(b[2])
    cdiff = {k: (ca[k], cb.get(k)) for k in ca if fuzz and ca[k] != cb.get(k)}
    if not diffs and not cdiff:
        kinds = {f[0][0] for f in a[0]}
        return True, f"seed {seed}: {len(a[0])} packet fates identical ({', '.join(sorted(kinds))})"
    lines = [f"seed {seed}: {len(diffs)} of {len(a[0])} fates differ; router config:"]
    if cdiff:
        lines[0] = (f"seed {seed}: {len(diffs)} fates and counters "
                    f"{', '.join(f'{k} {v[0]} vs {v[1]}' for k, v in cdiff.items())} differ; "
                    "router config:")
    lines += [f"    {c}" for c in cmds]
    for phase, events in enumerate(sd.phases[1:], start=2):
        lines.append(f"  changed before phase {phase}:")
        lines += [f"    {ns}: {c}" for ns, c in events]
    for i in diffs[:5]:
        s = a[1][i]
        phase = 1 + i * len(sd.phases) // len(a[0])
        extra = (f" opt {s['opt'].hex() or '-'} frag {s['frag']:#x} bad {s['bad']}"
                 if fuzz else "")
        lines.append(f"  phase {phase} packet {s['src']} -> {s['dst']} tos {s['tos']:#x} "
                     f"ttl {s['ttl']} df {int(s['df'])} size {s['size']}{extra}: "
                     f"with rdst {a[0][i]}, without {b[0][i]}")
    return False, "\n".join(lines)


def main():
    args = sys.argv[1:]
    if args[:1] == ["--devconf"]:
        devconf_rtnetlink(args[1], args[2], int(args[3]))
        return 0
    if args[:1] == ["--replace-nexthop-then-send"]:
        router, sender, nh_id, gateway, dev, src, dst, count = args[1:]
        replace_nexthop_then_send(router, sender, int(nh_id), gateway, dev, src, dst, int(count))
        return 0
    load, unload, fuzz, kernel_results = "true", "true", False, None
    # Where the TAP numbering starts and what the test names add, for a
    # caller that runs the same seeds again another way.
    number, label = 1, ""
    while args and args[0].startswith("--"):
        if args[0] == "--fuzz":
            fuzz, args = True, args[1:]
            continue
        opt, val = args[0], args[1]
        args = args[2:]
        if opt == "--load":
            load = val
        elif opt == "--unload":
            unload = val
        elif opt == "--kernel-results":
            kernel_results = val
        elif opt == "--number-from":
            number = int(val)
        elif opt == "--label":
            label = f" ({val})"
        else:
            sys.exit(f"rdst_diff.py: unknown option {opt}")
    ok_all = True
    n = number - 1
    seeds = [int(a) for a in args]
    # A chunk of seeds at a time, so that a long soak reports as it goes.
    for i in range(0, len(seeds), JOBS):
        chunk = [Seed(seed, fuzz) for seed in seeds[i:i + JOBS]]
        try:
            verdicts = run_seeds(chunk, load, unload, kernel_results)
        except Exception as e:  # loading or unloading rdst failed
            verdicts = {sd.seed: (False, f"seed {sd.seed}: {e}") for sd in chunk}
        for sd in chunk:
            n += 1
            ok, msg = verdicts[sd.seed]
            ok_all &= ok
            if not ok:
                for line in msg.splitlines():
                    print(f"# {line}")
            print(f"{'ok' if ok else 'not ok'} {n} {'fuzz' if fuzz else 'differential'} "
                  f"seed {sd.seed}{label}" + (f" # {msg.split(': ', 1)[1]}" if ok else ""),
                  flush=True)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
