#!/usr/bin/env bash
# A single-node Slurm cluster on this host, for tests and CI (docs/scale-out.md).
#
#   scripts/slurm/local-cluster.sh check   exit 0 if a cluster can start here (tools, root, a munge round
#                                          trip), else print why and exit 1
#   scripts/slurm/local-cluster.sh start   start munged, slurmctld and slurmd; wait until the node is idle
#   scripts/slurm/local-cluster.sh stop    stop what `start` started and remove its files
#
# Everything lives in one state directory, LMO_SLURM_DIR (default /tmp/lmo-bench-slurm): slurm.conf, a
# private munge key and socket, spool, state and logs. Nothing under /etc is touched and a system munged or
# Slurm keeps running, so point the clients at this cluster with the line `start` prints:
#   export SLURM_CONF=$LMO_SLURM_DIR/slurm.conf
# Needs root (slurmd launches jobs) and Debian's slurm-wlm and munge: apt-get install -y slurm-wlm munge.
# Ports: LMO_SLURM_CTLD_PORT (default 6817) and LMO_SLURM_D_PORT (default 6818).
set -euo pipefail

dir="${LMO_SLURM_DIR:-/tmp/lmo-bench-slurm}"
ctld_port="${LMO_SLURM_CTLD_PORT:-6817}"
d_port="${LMO_SLURM_D_PORT:-6818}"
node="$(hostname -s)"
conf="$dir/slurm.conf"
socket="$dir/munge/munge.socket"

die() { echo "local-cluster.sh: $*" >&2; exit 1; }

# Prints why a cluster cannot start here (nothing when it can).
why_not() {
  local bin
  for bin in munged mungekey munge unmunge slurmctld slurmd sinfo sbatch squeue scancel; do
    command -v "$bin" >/dev/null || { echo "$bin is not installed (apt-get install -y slurm-wlm munge)"; return; }
  done
  [ "$(id -u)" -eq 0 ] || { echo "slurmd must run as root to launch jobs (running as $(id -un))"; return; }
}

# Starts a private munged on $socket with a fresh key, unless one already answers there.
start_munge() {
  mkdir -p "$dir/munge"
  chmod 755 "$dir/munge" # clients of any user reach the socket; munged wants it unwritable by others
  if [ -S "$socket" ] && munge -n --socket="$socket" >/dev/null 2>&1; then return; fi
  [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null
  chmod 600 "$dir/munge/munge.key"
  munged --force --socket="$socket" --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    || die "munged failed to start; see $dir/munge/munged.log"
  munge -n --socket="$socket" | unmunge --socket="$socket" >/dev/null \
    || die "munged started but a credential did not round-trip; see $dir/munge/munged.log"
}

# Writes slurm.conf for this host: its real CPU layout and memory, as slurmd itself measures them.
write_conf() {
  local hardware
  hardware="$(slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')"
  [ -n "$hardware" ] || die "slurmd -C printed no hardware line"
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  cat >"$conf" <<EOF
# Written by scripts/slurm/local-cluster.sh for a single-node test cluster on $node.
ClusterName=lmo-bench-local
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MailProg=/bin/true
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

# Waits until sinfo shows this node idle (or fails after 60 s, showing the logs).
wait_idle() {
  local state="" i
  for i in $(seq 1 60); do
    state="$(SLURM_CONF="$conf" sinfo --noheader --nodes="$node" --format=%T 2>/dev/null || true)"
    [ "$state" = "idle" ] && return
    sleep 1
  done
  tail -n 20 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
  die "node $node is '${state:-unreachable}' after 60 s, not idle (logs above, in $dir/log)"
}

# Sends TERM to the daemon whose pid file is $1 and waits for it to exit.
stop_pidfile() {
  local pid i
  [ -f "$1" ] || return 0
  pid="$(cat "$1")"
  if kill "$pid" 2>/dev/null; then
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

case "${1:-}" in
  check)
    reason="$(why_not)"
    [ -z "$reason" ] || { echo "$reason"; exit 1; }
    # A munge round trip through a throwaway munged, the part that fails on odd hosts.
    dir="$(mktemp -d)"
    socket="$dir/munge/munge.socket"
    trap 'stop_pidfile "$dir/munge/munged.pid"; rm -rf "$dir"' EXIT
    (start_munge) >/dev/null 2>&1 || { echo "munge does not work here: $(tail -n 1 "$dir/munge/munged.log" 2>/dev/null)"; exit 1; }
    ;;
  start)
    reason="$(why_not)"
    [ -z "$reason" ] || die "$reason"
    [ ! -f "$dir/slurmctld.pid" ] || ! kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null \
      || die "a cluster is already running from $dir; run '$0 stop' first"
    mkdir -p "$dir"
    [ ! -L "$dir" ] && [ -O "$dir" ] || die "$dir is a link or belongs to another user; set LMO_SLURM_DIR to a directory of yours"
    start_munge
    write_conf
    slurmctld -f "$conf" -i || die "slurmctld failed to start; see $dir/log/slurmctld.log"
    slurmd -f "$conf" -N "$node" || die "slurmd failed to start; see $dir/log/slurmd.log"
    wait_idle
    echo "export SLURM_CONF=$conf"
    ;;
  stop)
    [ -d "$dir" ] || exit 0
    # Job steps outlive slurmd, so cancel what is still queued or running first (all of it is ours).
    if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null \
      && SLURM_CONF="$conf" scancel --quiet --user="$(id -un)"; then
      for i in $(seq 1 30); do
        [ -z "$(SLURM_CONF="$conf" squeue --noheader 2>/dev/null)" ] && break
        sleep 1
      done
    fi
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    stop_pidfile "$dir/munge/munged.pid"
    # Only what start created, so a mistyped LMO_SLURM_DIR never deletes anything else.
    rm -rf "$dir/munge" "$dir/state" "$dir/spool" "$dir/log" "$conf"
    rmdir "$dir" 2>/dev/null || true
    ;;
  *)
    die "usage: $0 check|start|stop (state directory: LMO_SLURM_DIR, default /tmp/lmo-bench-slurm)"
    ;;
esac
