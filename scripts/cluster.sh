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
#   bash scripts/cluster.sh up --slurm    ... with Slurm too: munge, slurmctld, a slurmd per host
#   bash scripts/cluster.sh status    say what is up; exit 0 when all of it is, 1 when not
#   bash scripts/cluster.sh env       the lines to eval: OMPI_MCA_plm_rsh_agent (and SLURM_CONF)
#   bash scripts/cluster.sh down      take it down (idempotent): jobs, daemons, namespaces, links,
#                                     the state directory - nothing is left
#
# Then (parlab reads the agent from the hostfile's "# parlab-launch-agent:" comment):
#   parlab run -w cpu -e threads,mpi -j 3 --hostfile /run/parlab-cluster/hostfile --timeline
#   eval "$(bash scripts/cluster.sh env)"              (mpirun by hand; Slurm's SLURM_CONF)
#   sbatch -N 2 --ntasks-per-node=2 --wait scripts/slurm_job.sh     (with --slurm)
#
# Slurm's daemons are the cluster's own: a munged on a private key and socket, slurmctld and the
# slurmds on ports 6917/6918 (not a system Slurm's 6817/6818), everything under the state
# directory; host 2's slurmd runs in its namespaces, so two slurmds share this machine.
#
# Needs root (network namespaces). Exit codes: 0 done, 1 not up (status) or a step failed,
# 2 bad usage or not root.
set -Eeuo pipefail

readonly state=/run/parlab-cluster
readonly ns=parlab-node2
readonly node2=parlab-node2
readonly here_if=parlab-v0 there_if=parlab-v1
readonly here_ip=10.77.0.1 there_ip=10.77.0.2

readonly slurm=$state/slurm

usage() {
  echo "usage: bash scripts/cluster.sh up [--slurm]|down|status|env" >&2
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
  alive "$pid" || return 1
  # It must still be the holder: in host 2's network namespace.
  [[ $(stat -L -c %i "/proc/$pid/ns/net" 2>/dev/null) == \
    "$(stat -L -c %i "/run/netns/$ns" 2>/dev/null)" ]] || return 1
  echo "$pid"
}

# Whether process $1 still runs (a zombie no longer does: this container's init may be slow to
# reap what daemons leave it).
alive() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  [[ ${stat##*) } != Z* ]]
}

is_up() {
  ip netns list 2>/dev/null | grep -qw "$ns" || return 1
  ip link show "$here_if" >/dev/null 2>&1 || return 1
  holder_pid >/dev/null || return 1
  [[ -x $state/agent && -r $state/hostfile ]] || return 1
}

# Ends Slurm's jobs, then its daemons and munged (each by its pid file: nothing else's).
slurm_down() {
  [[ -r $slurm/slurm.conf ]] || return 0
  if command -v squeue >/dev/null && [[ -r $slurm/slurmctld.pid ]]; then
    local jobs
    jobs=$(SLURM_CONF=$slurm/slurm.conf timeout 5 squeue -h -o %i 2>/dev/null || true)
    if [[ -n $jobs ]]; then
      SLURM_CONF=$slurm/slurm.conf timeout 5 scancel $jobs 2>/dev/null || true
      for _ in $(seq 50); do
        [[ -z $(SLURM_CONF=$slurm/slurm.conf timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
        sleep 0.1
      done
    fi
  fi
  local f pid
  for f in "$slurm"/slurmd-*.pid "$slurm/slurmctld.pid" "$slurm/munge/munged.pid"; do
    [[ -r $f ]] || continue
    pid=$(<"$f")
    [[ -n $pid ]] || continue
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      alive "$pid" || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # A job step's slurmstepd outlives a killed slurmd: those of this cluster's jobs.
  for pid in $(pgrep -f '^slurmstepd' || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "SLURM_CONF=$slurm/slurm.conf"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

down() {
  need_root
  slurm_down
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
  local with_slurm=$1
  if [[ $with_slurm == yes ]]; then
    for tool in munged slurmctld slurmd sinfo sbatch srun squeue scancel; do
      command -v "$tool" >/dev/null ||
        fail "up --slurm needs Slurm and munge: no '$tool' (Debian: apt-get install slurmd slurmctld slurm-client munge)"
    done
  fi
  if is_up; then
    if [[ $with_slurm == yes ]] && ! slurm_is_up; then
      slurm_up
    else
      say "already up"
    fi
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
  {
    echo "# The parlab cluster's two hosts (scripts/cluster.sh); parlab reads the agent from here."
    echo "# parlab-launch-agent: $state/agent"
    echo "$(hostname) slots=$slots"
    echo "$node2 slots=$slots"
  } >"$state/hostfile"
  echo "export OMPI_MCA_plm_rsh_agent=$state/agent" >"$state/env"
  trap - ERR
  is_up || fail "up: not all of it came up (see: bash scripts/cluster.sh status)"
  say "up: $(hostname) ($here_ip, this machine) and $node2 ($there_ip, network and UTS namespaces)"
  if [[ $with_slurm == yes ]]; then slurm_up; fi
  usage_lines
}

slurm_is_up() {
  [[ -r $slurm/slurm.conf ]] || return 1
  local states
  states=$(SLURM_CONF=$slurm/slurm.conf timeout 5 sinfo -h -N -o '%N %T' 2>/dev/null) || return 1
  [[ $(grep -cE ' (idle|mixed|allocated)' <<<"$states") -eq 2 ]]
}

# What Slurm's logs said, then Slurm taken down (the hosts stay up).
slurm_failed() {
  trap - ERR
  echo "cluster: up --slurm failed: $1; its logs:" >&2
  tail -n 5 "$slurm"/log/*.log >&2 2>/dev/null || true
  slurm_down
  rm -rf "$slurm"
  sed -i '/SLURM_CONF/d' "$state/env" 2>/dev/null || true
  exit 1
}

# munged on a private key and socket, slurmctld here, a slurmd on each host.
slurm_up() {
  trap 'slurm_failed "a step failed (line $LINENO)"' ERR
  slurm_down
  rm -rf "$slurm"
  mkdir -p "$slurm/munge" "$slurm/state" "$slurm/spool" "$slurm/log"
  chmod 755 "$slurm" "$slurm/munge"
  head -c 1024 /dev/urandom >"$slurm/munge/munge.key"
  chmod 400 "$slurm/munge/munge.key"
  munged --force --socket="$slurm/munge/munge.socket" --key-file="$slurm/munge/munge.key" \
    --pid-file="$slurm/munge/munged.pid" --log-file="$slurm/log/munged.log" \
    --seed-file="$slurm/munge/munged.seed"
  local here cpus
  here=$(hostname)
  cpus=$(nproc)
  {
    echo "# The parlab cluster's Slurm (scripts/cluster.sh up --slurm; removed by down)."
    echo "ClusterName=parlab"
    echo "SlurmctldHost=$here($here_ip)"
    echo "SlurmctldPort=6917"
    echo "SlurmdPort=6918"
    echo "AuthType=auth/munge"
    echo "CredType=cred/munge"
    echo "AuthInfo=socket=$slurm/munge/munge.socket"
    echo "SlurmUser=root"
    echo "SlurmdUser=root"
    echo "StateSaveLocation=$slurm/state"
    echo "SlurmdSpoolDir=$slurm/spool/%n"
    echo "SlurmctldPidFile=$slurm/slurmctld.pid"
    echo "SlurmdPidFile=$slurm/slurmd-%n.pid"
    echo "SlurmctldLogFile=$slurm/log/slurmctld.log"
    echo "SlurmdLogFile=$slurm/log/slurmd-%n.log"
    echo "ProctrackType=proctrack/linuxproc"
    echo "TaskPlugin=task/none"
    echo "SelectType=select/cons_tres"
    echo "SelectTypeParameters=CR_Core"
    echo "SchedulerType=sched/builtin"
    echo "MpiDefault=none"
    echo "ReturnToService=2"
    echo "JobCompType=jobcomp/none"
    echo "AccountingStorageType=accounting_storage/none"
    echo "NodeName=$here NodeAddr=$here_ip CPUs=$cpus State=UNKNOWN"
    echo "NodeName=$node2 NodeAddr=$there_ip CPUs=$cpus State=UNKNOWN"
    echo "PartitionName=parlab Nodes=ALL Default=YES MaxTime=INFINITE State=UP"
  } >"$slurm/slurm.conf"
  slurmctld -f "$slurm/slurm.conf"
  slurmd -f "$slurm/slurm.conf" -N "$here"
  nsenter -t "$(holder_pid)" --net --uts -- slurmd -f "$slurm/slurm.conf" -N "$node2"
  echo "export SLURM_CONF=$slurm/slurm.conf" >>"$state/env"
  for _ in $(seq 100); do
    slurm_is_up && break
    sleep 0.2
  done
  slurm_is_up || slurm_failed "its nodes were not idle within 20 s"
  trap - ERR
  say "slurm: slurmctld on $here; a slurmd on $here and on $node2 (partition parlab)"
}

usage_lines() {
  cat <<EOF
cluster: use it with
  parlab run -w cpu -e threads,mpi -j 3 --hostfile $state/hostfile --timeline
  parlab overhead -e mpi --hostfile $state/hostfile
  eval "\$(bash scripts/cluster.sh env)"    (for mpirun by hand$([[ -r $slurm/slurm.conf ]] && echo ", and Slurm's commands"))
EOF
  if [[ -r $slurm/slurm.conf ]]; then
    echo "  sbatch -N 2 --ntasks-per-node=2 --wait scripts/slurm_job.sh"
  fi
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
  if [[ -r $slurm/slurm.conf ]]; then
    if slurm_is_up; then
      say "slurm: $(SLURM_CONF=$slurm/slurm.conf sinfo -h -N -o '%N %T' | tr '\n' ';')"
    else
      say "slurm: configured but not up (logs: $slurm/log)"
      ok=1
    fi
  fi
  if [[ $ok -eq 0 ]]; then say "up"; else say "not up"; fi
  return $ok
}

[[ $# -ge 1 ]] || usage
case $1 in
  up)
    [[ $# -eq 1 || ($# -eq 2 && $2 == --slurm) ]] || usage
    if [[ $# -eq 2 ]]; then up yes; else up no; fi
    ;;
  down)
    [[ $# -eq 1 ]] || usage
    down
    ;;
  status)
    [[ $# -eq 1 ]] || usage
    status
    ;;
  env)
    [[ -r $state/env ]] || fail "not up (bash scripts/cluster.sh up)"
    cat "$state/env"
    ;;
  *) usage ;;
esac
