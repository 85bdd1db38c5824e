#!/usr/bin/env python3
"""The two-host cluster for real (scripts/cluster.sh, docs/cluster.md): bring it up, run the mpi
model with ranks on both hosts, time messages across them, kill a rank on the second host; with
Slurm installed, start Slurm over both hosts and run a batch job of parlab's mpi model in an
allocation of both; bring it down, checking that nothing is left.

usage: two_hosts.py PARLAB CLUSTER_SH SLURM_JOB_SH WORK_DIR
Exit 0 passed, 1 failed, 77 skipped (not root, or network namespaces not permitted here, or a
cluster already up that the test would take down).
"""

import json
import os
import shutil
import subprocess
import sys
import time

SKIP = 77
STATE = "/run/parlab-cluster"
NAMESPACE = "parlab-node2"


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=kw.pop("timeout", 240),
                          **kw)


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def check(cond, what):
    if not cond:
        fail(what)


def namespace_pids():
    out = run(["ip", "netns", "pids", NAMESPACE])
    return [p for p in out.stdout.split() if p.strip()]


def leftover_job_processes():
    """mpirun, orted or a rank of ours still alive anywhere on this machine."""
    out = run(["ps", "-eo", "pid=,args="])
    left = []
    for line in out.stdout.splitlines():
        if any(k in line for k in ("orted", "mpi-rank", "/usr/bin/mpirun")) and "ps -eo" not in line:
            left.append(line.strip())
    return left


def main():
    parlab, cluster, job, work = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    os.makedirs(work, exist_ok=True)
    if os.geteuid() != 0:
        print("skipped: the cluster needs root (network namespaces)")
        return SKIP
    missing = [t for t in ("ip", "unshare", "nsenter", "ps", "mpirun") if shutil.which(t) is None]
    if missing:
        print(f"skipped: no {', '.join(missing)} here (scripts/setup.sh installs them)")
        return SKIP
    # Without root: one line, exit 2, nothing made.
    if run(["sh", "-c", "command -v su"]).returncode == 0:
        user = run(["su", "nobody", "-s", "/bin/sh", "-c", f"bash {cluster} up"])
        if "Permission denied" not in user.stderr:  # the tree unreadable to nobody: no check
            check(user.returncode == 2 and "needs root" in user.stderr
                  and user.stderr.count("\n") == 1, f"as a user: {user.returncode} {user.stderr!r}")
    if run(["bash", cluster, "status"]).returncode == 0:
        print("skipped: a cluster is already up here; the test would take it down")
        return SKIP
    up = run(["bash", cluster, "up"])
    if up.returncode != 0:
        probe = run(["ip", "netns", "add", "parlab-probe"])
        run(["ip", "netns", "delete", "parlab-probe"])
        if probe.returncode != 0:
            print(f"skipped: network namespaces are not permitted here ({probe.stderr.strip()})")
            return SKIP
        fail(f"cluster.sh up: {up.stdout}{up.stderr}")
    try:
        exercise(parlab, cluster, work)
        return batch_job(parlab, cluster, job, work)
    finally:
        down = run(["bash", cluster, "down"])
        check(down.returncode == 0, f"cluster.sh down: {down.stderr}")
        # Nothing is left: no namespace, no link, no state, no process of the job.
        check(NAMESPACE not in run(["ip", "netns", "list"]).stdout, "the namespace is left")
        check(run(["ip", "link", "show", "parlab-v0"]).returncode != 0, "the veth link is left")
        check(not os.path.exists(STATE), f"{STATE} is left")
        check(not leftover_job_processes(), f"processes left: {leftover_job_processes()}")
        daemons = run(["pgrep", "-af", f"{STATE}/slurm"]).stdout.strip()
        check(not daemons, f"Slurm's daemons are left: {daemons}")
        again = run(["bash", cluster, "down"])
        check(again.returncode == 0, "a second down fails")


def exercise(parlab, cluster, work):
    line = run(["bash", cluster, "env"]).stdout.strip()
    check(line.startswith("export OMPI_MCA_plm_rsh_agent="), f"env: {line!r}")
    # parlab needs no environment: it reads the launch agent from the hostfile.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMPI_MCA_")}
    hostfile = f"{STATE}/hostfile"
    here = run(["hostname"]).stdout.strip()
    # up is idempotent.
    check(run(["bash", cluster, "up"]).returncode == 0, "a second up fails")
    check(len(namespace_pids()) == 1, f"host 2 should hold one process: {namespace_pids()}")

    # Ranks on both hosts, the clocks aligned to nothing (they are one clock here).
    result = f"{work}/run.json"
    r = run([parlab, "run", "-w", "cpu", "-e", "mpi", "-j", "3", "-t", "6", "-s", "2000", "-r",
             "1", "--no-baseline", "--hostfile", hostfile, "--json", result, "--timeline"],
            env=env)
    check(r.returncode == 0, f"run across hosts: {r.stdout}{r.stderr}")
    doc = json.load(open(result))
    cluster_doc = doc["runs"][0]["cluster"]
    names = [h["name"] for h in cluster_doc["hosts"]]
    check(sorted(names) == sorted([here, NAMESPACE]), f"hosts {names}")
    for h in cluster_doc["hosts"]:
        check(h["ranks"], f"host {h['name']} ran no rank")
        if h["name"] == NAMESPACE:
            off, unc = abs(h["offset_ns"]), h["uncertainty_ns"]
            # One clock: the offset found is nothing, within what the method vouches for.
            check(off <= unc + 20_000, f"offset {off} ns beyond its uncertainty {unc} ns")
    check(cluster_doc["impossible_messages"] == 0, "a message arrived before it was sent")
    check(f"{NAMESPACE} · rank" in r.stdout, f"no lane names host 2: {r.stdout}")

    # Messages across the hosts, beside those on one.
    o = run([parlab, "overhead", "-e", "mpi", "-r", "1", "-t", "20", "--hostfile", hostfile,
             "--json", f"{work}/overhead.json"], env=env)
    check(o.returncode == 0, f"overhead across hosts: {o.stdout}{o.stderr}")
    od = json.load(open(f"{work}/overhead.json"))
    between = od["mpi_messages_between_hosts"]
    check({between["from_host"], between["to_host"]} == {here, NAMESPACE}, f"route {between}")
    check(len(between["sizes"]) == len(od["mpi_messages"]) > 0, "sizes differ")
    tcp, shm = between["sizes"][0]["round_trip_seconds"], od["mpi_messages"][0]["round_trip_seconds"]
    # The network's round trip (TCP through the kernel) is longer than shared memory's.
    check(tcp > shm > 0, f"8 B round trip: {tcp} s across hosts vs {shm} s on one")
    check("over TCP" in o.stdout, "the table does not say the network")

    # A rank killed on the second host: named with its host, nothing left on either.
    # Static schedule, W = 3: rank 2 (the third slot: host 2) runs task 2.
    f = run([parlab, "run", "-w", "cpu", "-e", "mpi", "-j", "3", "-t", "6", "-s", "2000", "-r",
             "1", "--no-baseline", "--mpi-schedule", "static", "--hostfile", hostfile, "--fault",
             "segv", "--fault-task", "2"], env=env)
    check(f.returncode == 0 or f.returncode == 1, f"fault run exit {f.returncode}: {f.stderr}")
    check(f"on {NAMESPACE} was killed by SIGSEGV" in f.stderr, f"fault not named: {f.stderr}")
    check(len(namespace_pids()) == 1, f"left on host 2: {namespace_pids()}")
    check(not leftover_job_processes(), f"left on host 1: {leftover_job_processes()}")
    st = run(["bash", cluster, "status"])
    check(st.returncode == 0 and "cluster: up" in st.stdout, f"status: {st.stdout}")
    print("passed: ranks on", " and ".join(names), "; TCP 8 B round trip",
          f"{tcp*1e6:.1f} us vs {shm*1e6:.2f} us on one host")


def batch_job(parlab, cluster, job, work):
    """Slurm over the two hosts: a batch job of parlab's mpi model in an allocation of both."""
    if any(shutil.which(t) is None for t in ("slurmctld", "slurmd", "munged", "sbatch")):
        print("passed without Slurm: no slurmctld, slurmd, munged or sbatch here "
              "(scripts/setup.sh installs them)")
        return 0
    up = run(["bash", cluster, "up", "--slurm"])
    check(up.returncode == 0, f"up --slurm: {up.stdout}{up.stderr}")
    env = dict(os.environ)
    for line in run(["bash", cluster, "env"]).stdout.splitlines():
        key, value = line.removeprefix("export ").split("=", 1)
        env[key] = value
    check("SLURM_CONF" in env, "env says no SLURM_CONF")
    here = run(["hostname"]).stdout.strip()
    hosts = run(["srun", "-N", "2", "hostname"], env=env)
    check(hosts.returncode == 0 and sorted(hosts.stdout.split()) == sorted([here, NAMESPACE]),
          f"srun -N 2 hostname: {hosts.stdout}{hosts.stderr}")
    result = f"{work}/batch.json"
    env["PARLAB"] = parlab
    env["PARLAB_ARGS"] = (f"run -w cpu -e mpi -j 3 -t 6 -s 2000 -r 1 --no-baseline --timeline "
                          f"--json {result}")
    b = run(["sbatch", "--parsable", "-N", "2", "--ntasks-per-node=2", f"--output={work}/batch.out",
             job], env=env)
    check(b.returncode == 0, f"sbatch: {b.stdout}{b.stderr}")
    job_id = b.stdout.strip().split(";")[0]
    # Until it ends (sbatch --wait polls every 10 s), then what Slurm says of it.
    deadline = time.monotonic() + 180
    state = ""
    while time.monotonic() < deadline:
        show = run(["scontrol", "show", "job", job_id], env=env).stdout
        state = next((w.split("=", 1)[1] for w in show.split() if w.startswith("JobState=")), "")
        if state not in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING", ""):
            break
        time.sleep(0.2)
    out = open(f"{work}/batch.out").read() if os.path.exists(f"{work}/batch.out") else ""
    check(state == "COMPLETED", f"the batch job ended {state or 'never'}: {out}")
    # No hostfile: Open MPI took the allocation's two nodes from Slurm.
    check(f"{NAMESPACE} · rank" in out and f"{here} · rank" in out, f"the job's lanes: {out}")
    doc = json.load(open(result))
    names = sorted(h["name"] for h in doc["runs"][0]["cluster"]["hosts"])
    check(names == sorted([here, NAMESPACE]), f"the batch job's hosts: {names}")
    st = run(["bash", cluster, "status"])
    check(st.returncode == 0 and "slurm:" in st.stdout, f"status: {st.stdout}")
    print("passed: a Slurm batch job of parlab's mpi model ran on", " and ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
