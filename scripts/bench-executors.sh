#!/usr/bin/env bash
# The per-stage overhead of the processes and Slurm executors against the local one: the same
# small reproduction (smoke preset, robust-features, 2 threads per stage, one stage at a time)
# through each executor into fresh directories; overhead per stage = (wall time - local wall
# time) / stages. For Slurm also the scheduling latency of every job, from `scontrol show job`:
# start - max(submit, end of the jobs it waited for, end of the job that freed the node). Needs a
# running cluster
# (scripts/slurm-local.sh start) and a built `brittle` (BRITTLE, default .build/release/brittle).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${BRITTLE:-.build/release/brittle}
[ -x "$B" ] || { echo "error: $B not built. Fix: swift build -c release (or BRITTLE=path)" >&2; exit 1; }
sinfo >/dev/null 2>&1 || { echo "error: no Slurm cluster answers. Fix: bash scripts/slurm-local.sh start" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/brittle-bench-executors.XXXXXX")
trap 'rm -rf "$work"' EXIT
args=(reproduce robust-features --preset smoke --threads 2 --no-bundle)
run() { # name, extra arguments...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  BRITTLE_SLURM_POLL=0.5 "$B" "${args[@]}" --out "$work/$name" "$@" >"$work/$name.log" 2>&1 || { cat "$work/$name.log" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
t_local=$(run local)
t_proc=$(run processes --executor processes --jobs 1)
t_slurm=$(run slurm --executor slurm --wait)
n=$(python3 -c "import json; print(len(json.load(open('$work/local/plan.json'))['stages']))")
python3 - "$work/slurm/jobs.json" "$n" "$t_local" "$t_proc" "$t_slurm" "$work/slurm/plan.json" <<'PY'
import json, subprocess, sys, datetime, statistics
jobs, n = json.load(open(sys.argv[1])), int(sys.argv[2])
upstream = {s["key"]: s["upstream"] for s in json.load(open(sys.argv[6]))["stages"]}
t_local, t_proc, t_slurm = map(float, sys.argv[3:6])
def fields(job):
    out = subprocess.run(["scontrol", "show", "job", "-o", job], capture_output=True, text=True).stdout
    return dict(kv.split("=", 1) for kv in out.split() if "=" in kv)
t = lambda s: datetime.datetime.fromisoformat(s).timestamp()
info = {j["jobID"]: fields(j["jobID"]) for j in jobs.values()}
# A job can start once it is submitted, its upstream jobs have ended, and (one stage at a time on
# this node) the job before it has ended: the rest of the wait is Slurm's.
ends = [t(f["EndTime"]) for f in info.values()]
latency = []
for key, j in jobs.items():
    f = info[j["jobID"]]
    start = t(f["StartTime"])
    waited = [t(info[jobs[u]["jobID"]]["EndTime"]) for u in upstream.get(key, []) if u in jobs]
    freed = [e for e in ends if e <= start]
    latency.append(start - max([t(f["SubmitTime"])] + waited + freed))
print(f"stages: {n}, threads per stage: 2, one stage at a time")
print(f"local      {t_local:7.1f} s")
print(f"processes  {t_proc:7.1f} s   overhead {(t_proc - t_local) / n:+.2f} s per stage (process start, plugin load, data load)")
print(f"slurm      {t_slurm:7.1f} s   overhead {(t_slurm - t_local) / n:+.2f} s per stage (all of the above, sbatch, scheduling, polling)")
print(f"slurm scheduling latency (start - max(submit, upstream end, previous job end)), seconds, over {len(latency)} jobs: "
      f"median {statistics.median(latency):.1f}, max {max(latency):.1f} (whole seconds: Slurm's clock)")
PY
