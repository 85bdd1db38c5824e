#!/usr/bin/env bash
# A two-host cluster on this machine, for the mpi model across hosts (docs/cluster.md):
#
#   host 1: this machine as it is (its own name; parlab and rank 0 run here, as on a cluster's
#           head node), 10.77.0.1 on one end of a veth pair;
#   host 2: "parlab-node2", a network namespace and a UTS namespace (its own interfaces, ports and
#           host name), 10.77.0.2 on the other end.
#
# Open MPI starts the ranks of host 2 through an agent (its plm_rsh_agent, where ssh would be)
# that enters host 2's namespaces: no sshd, no keys, nothing written outside the state directory.
#
#   bash scripts/cluster.sh up        bring it up (idempotent), print how to use it
#   bash scripts/cluster.sh status    say what is up; exit 0 when all of it is, 1 when not
#   bash scripts/cluster.sh env       the line to eval: export OMPI_MCA_plm_rsh_agent=...
#   bash scripts/cluster.sh down      take it down (idempotent): namespaces, links, processes,
#                                     the state directory - nothing is left
#
# Then:
#   eval "$(bash scripts/cluster.sh env)"
#   parlab run -w cpu -e threads,mpi -j 3 --hostfile /run/parlab-cluster/hostfile --timeline
#
# Needs root (network namespaces). Exit codes: 0 done, 1 not up (status) or a step failed,
# 2 bad usage or not root.
set -euo pipefail

readonly state=/run/parlab-cluster
readonly ns=parlab-node2
readonly node2=parlab-node2
readonly here_if=parlab-v0 there_if=parlab-v1
readonly here_ip=10.77.0.1 there_ip=10.77.0.2

usage() {
  echo "usage: bash scripts/cluster.sh up|down|status|env" >&2
  exit 2
}

say() { echo "cluster: $*"; }
fail() {
  echo "cluster: $*" >&2
  exit 1
}

need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "cluster: needs root (it makes network namespaces and a veth link); run it as root" >&2
    exit 2
  fi
  for tool in ip unshare nsenter; do
    command -v "$tool" >/dev/null || fail "needs '$tool' (Debian: iproute2, util-linux)"
  done
}

holder_pid() {
  [[ -r $state/$node2.pid ]] || return 1
  local pid
  pid=$(<"$state/$node2.pid")
  [[ -d /proc/$pid ]] || return 1
  # It must still be the holder: in host 2's network namespace.
  [[ $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == \
    "$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)" ]] || return 1
  echo "$pid"
}

is_up() {
  ip netns list 2>/dev/null | grep -qw "$ns" || return 1
  ip link show "$here_if" >/dev/null 2>&1 || return 1
  holder_pid >/dev/null || return 1
  [[ -x $state/agent && -r $state/hostfile ]] || return 1
}

down() {
  need_root
  if ip netns list 2>/dev/null | grep -qw "$ns"; then
    # Every process of host 2 (the holder, ranks left by a killed job), then the namespace: its
    # end of the veth pair goes with it, and the pair's other end with that.
    local pids
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    if [[ -n $pids ]]; then
      kill -TERM $pids 2>/dev/null || true
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        pids=$(ip netns pids "$ns" 2>/dev/null || true)
        [[ -z $pids ]] && break
        sleep 0.1
      done
      [[ -n $pids ]] && kill -KILL $pids 2>/dev/null || true
    fi
    ip netns delete "$ns"
  fi
  ip link delete "$here_if" 2>/dev/null || true
  rm -rf "$state"
  say "down: nothing of it is left"
}

up() {
  need_root
  if is_up; then
    say "already up"
    usage_lines
    return 0
  fi
  # A half-made cluster (a failed up, a holder killed) is taken down first.
  down >/dev/null
  mkdir -p "$state"
  trap 'echo "cluster: up failed; taking down what was made" >&2; down >/dev/null 2>&1 || true' ERR
  ip netns add "$ns"
  ip link add "$here_if" type veth peer name "$there_if"
  ip link set "$there_if" netns "$ns"
  ip addr add "$here_ip/24" dev "$here_if"
  ip link set "$here_if" up
  ip -n "$ns" addr add "$there_ip/24" dev "$there_if"
  ip -n "$ns" link set "$there_if" up
  ip -n "$ns" link set lo up
  # Host 2's name lives in a UTS namespace held open by one sleeping process; the agent enters
  # both namespaces through it.
  setsid ip netns exec "$ns" unshare --uts sh -c "hostname $node2 && exec sleep infinity" \
    </dev/null >/dev/null 2>&1 &
  local pid=""
  for _ in $(seq 100); do
    # The only process in the new namespace, once it has named its host.
    pid=$(ip netns pids "$ns" | head -n 1)
    [[ -n $pid && $(nsenter -t "$pid" --uts hostname 2>/dev/null) == "$node2" ]] && break
    pid=""
    sleep 0.05
  done
  [[ -n $pid ]] || fail "host 2's namespaces did not come up"
  echo "$pid" >"$state/$node2.pid"
  cat >"$state/agent" <<EOF
#!/bin/sh
# Open MPI's plm_rsh_agent for the parlab cluster: "agent HOST COMMAND..." runs COMMAND on HOST
# as ssh would (through a shell), here by entering HOST's namespaces. Written by cluster.sh.
host=\$1
shift
case \$host in
  $node2 | $there_ip) pid=\$(cat $state/$node2.pid) ;;
  *) echo "parlab cluster agent: no host \$host here (hosts: $(hostname), $node2)" >&2; exit 255 ;;
esac
exec nsenter -t "\$pid" --net --uts -- /bin/sh -c "\$*"
EOF
  chmod 755 "$state/agent"
  local slots
  slots=$(nproc)
  printf '%s slots=%s\n%s slots=%s\n' "$(hostname)" "$slots" "$node2" "$slots" >"$state/hostfile"
  echo "export OMPI_MCA_plm_rsh_agent=$state/agent" >"$state/env"
  trap - ERR
  is_up || fail "up: not all of it came up (see: bash scripts/cluster.sh status)"
  say "up: $(hostname) ($here_ip, this machine) and $node2 ($there_ip, network and UTS namespaces)"
  usage_lines
}

usage_lines() {
  cat <<EOF
cluster: use it with
  eval "\$(bash scripts/cluster.sh env)"
  parlab run -w cpu -e threads,mpi -j 3 --hostfile $state/hostfile --timeline
  parlab overhead -e mpi --hostfile $state/hostfile
EOF
}

status() {
  local ok=0
  if ip netns list 2>/dev/null | grep -qw "$ns"; then
    say "namespace $ns: present"
  else
    say "namespace $ns: absent"
    ok=1
  fi
  if ip link show "$here_if" >/dev/null 2>&1; then
    say "link $here_if ($here_ip) <-> $there_if ($there_ip): $(cat /sys/class/net/$here_if/operstate)"
  else
    say "link $here_if: absent"
    ok=1
  fi
  local pid
  if pid=$(holder_pid); then
    say "host $node2: holder pid $pid, host name $(nsenter -t "$pid" --uts hostname), $(ip netns pids "$ns" | wc -l) processes"
  else
    say "host $node2: not running"
    ok=1
  fi
  if [[ -r $state/hostfile ]]; then
    say "hostfile $state/hostfile: $(tr '\n' ';' <"$state/hostfile")"
  else
    say "hostfile: absent"
    ok=1
  fi
  if [[ $ok -eq 0 ]]; then say "up"; else say "not up"; fi
  return $ok
}

[[ $# -eq 1 ]] || usage
case $1 in
  up) up ;;
  down) down ;;
  status) status ;;
  env)
    [[ -r $state/env ]] || fail "not up (bash scripts/cluster.sh up)"
    cat "$state/env"
    ;;
  *) usage ;;
esac
