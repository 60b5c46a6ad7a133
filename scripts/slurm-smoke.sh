#!/usr/bin/env bash
# Proves examples/slurm/study.sbatch on a real Slurm: installs Debian's slurm-wlm and munge,
# starts a single-node controller and daemon on localhost, submits the example job array and its
# dependent merge, and checks the merged CSVs are byte-identical to a one-machine run.
# Needs root (apt-get, daemons). Usage: bash scripts/slurm-smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

apt-get update -qq
apt-get install -y -qq slurm-wlm munge >/dev/null
cargo build --release --locked -q
DCLOAD="$PWD/target/release/dcload"

# munge: a key and the daemon.
if [ ! -s /etc/munge/munge.key ]; then
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
mkdir -p /run/munge /var/log/munge /var/lib/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged --force

# A one-node cluster on this machine.
HOST=$(hostname -s)
grep -q "[[:space:]]$HOST\b" /etc/hosts || echo "127.0.0.1 $HOST" >> /etc/hosts
CPUS=$(nproc)
mkdir -p /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<EOF
ClusterName=dcload-smoke
SlurmctldHost=$HOST
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ReturnToService=2
NodeName=$HOST CPUs=$CPUS State=UNKNOWN
PartitionName=smoke Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
pkill -x slurmctld 2>/dev/null || true
pkill -x slurmd 2>/dev/null || true
sleep 1
slurmctld -c
slurmd -c
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -qE "idle|mix" && break
  sleep 1
done
sinfo

# The study: 8 trials of the default campus in 4 shards, then the merge.
WORK=$(mktemp -d)
RUN=runs/default.toml TRIALS=8 OUT="$WORK/study" DCLOAD="$DCLOAD" \
  sbatch --parsable --array=0-3 --cpus-per-task=1 --chdir="$PWD" examples/slurm/study.sbatch
for _ in $(seq 300); do
  [ -s "$WORK/study/hourly.csv" ] && [ -z "$(squeue -h)" ] && break
  sleep 1
done
squeue || true
"$DCLOAD" run runs/default.toml --trials 8 --quiet --no-plots --out "$WORK/single"
status=0
for f in hourly.csv trials.csv load_8760.csv monthly.csv load_duration.csv; do
  if cmp -s "$WORK/single/$f" "$WORK/study/$f"; then
    echo "identical: $f"
  else
    echo "DIFFERENT: $f"
    status=1
  fi
done
[ "$status" = 0 ] && echo "slurm smoke: merged Slurm array output equals the one-machine run"
exit $status
