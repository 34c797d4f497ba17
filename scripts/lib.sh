# SPDX-License-Identifier: BSD-3-Clause
# Shell helpers shared by scripts/run.sh, scripts/bench.sh and the integration tests (sourced, not
# run). Everything is bounded in time; nothing here ends a process it did not start.
#
#   skiff_eal_sets        --set arguments for [eal]: --in-memory with enough free 2 MB hugepages,
#                         else --no-huge (+ --no-shconf, added by the runtime)
#   skiff_wait_link NS IF [SEC]     wait until interface IF exists in namespace NS
#   skiff_tap_up NS IF ADDR/LEN     address the kernel side of a tap and bring it (and lo) up
#   skiff_wait_tcp NS IP PORT [SEC] wait until IP:PORT accepts a TCP connection (NS "" = here)
#   skiff_stop PID [SEC]            SIGTERM, bounded wait, then SIGKILL; returns the exit status

# Two DPDK processes with memory_mb 256 each want 256 free pages; fewer: run without hugepages.
skiff_eal_sets() {
	local free
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
	if [ "${free:-0}" -ge 300 ] && grep -q ' /dev/hugepages hugetlbfs' /proc/mounts &&
		[ -z "${SKIFF_NO_HUGE:-}" ]; then
		echo "--set eal.no_huge=no --set eal.in_memory=yes"
	else
		echo "--set eal.no_huge=yes"
	fi
}

skiff_wait_link() {
	local ns=$1 ifc=$2 secs=${3:-15} i
	for i in $(seq 1 $((secs * 10))); do
		ip netns exec "$ns" ip link show "$ifc" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

skiff_tap_up() {
	local ns=$1 ifc=$2 addr=$3
	ip netns exec "$ns" ip link set lo up &&
		ip netns exec "$ns" ip addr add "$addr" dev "$ifc" &&
		ip netns exec "$ns" ip link set "$ifc" up
}

skiff_wait_tcp() {
	local ns=$1 ip=$2 port=$3 secs=${4:-15} i pre=()
	[ -n "$ns" ] && pre=(ip netns exec "$ns")
	for i in $(seq 1 $((secs * 5))); do
		"${pre[@]}" timeout 1 bash -c "exec 3<>/dev/tcp/$ip/$port" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

skiff_stop() {
	local pid=$1 secs=${2:-10} i rc=0
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || rc=$?; return $rc; }
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	return $rc
}
