#!/usr/bin/env bash
# The GPU checks, as one command for a machine with an NVIDIA GPU and no network, all inside
# GPU_SESSION_SECONDS (default 560, for a device call of 600 s, imports included):
#   A. benchmarks/gpu_check.py --only table equality: the issue's throughput table (blobclf K=1 and
#      the default K, eager and replayed, vs a plain eager loop and a plain loop in one CUDA graph,
#      at batch 8192, 65536 and 1048576) and graph replays against eager steps (bit-identical or the
#      largest difference);
#   B. the GPU tests, `pytest -m gpu` (tutorial table on the GPU, graph vs eager weights, no host
#      sync in a replayed group, a recording that fails);
#   C. benchmarks/gpu_check.py --only tutorial_run copies (the CLI end to end on the GPU; copies
#      between host and GPU counted under the profiler);
#   D. if at least 150 s are left: the rest of the test suite (not gpu, not slow), 8 workers, for
#      what it says about a machine with a GPU (information; cut off when the time is up).
# Each part has its own time limit and is reported even when another failed. Everything goes to
# $OUT (or ./gpu-logs): versions.txt, gpu_check.log, gpu_check.json, table.md, pytest_gpu.log,
# pytest_rest.log and summary.txt, which is printed last (the device call shows only the end).
#
# Python packages the machine lacks travel as wheels in .whl/ (git-ignored). On a machine with
# network access, from the repository root:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#     -d .whl jsonargparse==4.53.0 docstring-parser==0.18.0 typeshed-client==2.15.0
# (pure-Python wheels, about 1 MB; torch, lightning, torchmetrics, scikit-learn, tensorboard,
# matplotlib, onnx, onnxruntime, PyYAML, pytest and pytest-timeout are expected there.)
# .whl/ is git-ignored: the device call must carry it, with the device tool:
#   run(command="bash benchmarks/gpu_session.sh", carry=[".whl"], timeout_s=600)
# A dry run on a CPU (no CUDA: every check on the CPU, small sizes, part D left out; it exits 1, as
# any session that saw no CUDA device does):
#   GPU_SESSION_REST=0 GPU_SESSION_SITE=/tmp/x-site OUT=/tmp/x-out \
#     GPU_CHECK_ARGS="--cpu --throughput-points 100000 --batch-sizes 1024 8192 --points 20000 --batch-size 1024" \
#     bash benchmarks/gpu_session.sh
set -o pipefail
cd "$(dirname "$0")/.." || exit 1
out="${OUT:-gpu-logs}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
budget="${GPU_SESSION_SECONDS:-560}"
left() { echo $(( budget - SECONDS )); }
cap() {  # cap NOMINAL RESERVE: NOMINAL seconds, or less so that RESERVE seconds stay for what follows
    local c=$(( $(left) - $2 ))
    (( c > $1 )) && c=$1
    echo $c
}
run_for() {  # run_for SECONDS COMMAND...: SIGINT at the limit (pytest then prints what it has), KILL 20 s later
    local limit=$1
    shift
    if (( limit < 30 )); then
        echo "gpu_session: no time left for: $*"
        return 124
    fi
    timeout -s INT -k 20 "$limit" "$@"
}

site="${GPU_SESSION_SITE:-/tmp/blobclf-site}"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$site" .whl/*.whl \
        || { echo "gpu_session: installing the carried wheels failed"; exit 1; }
    export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1; ls .whl 2>&1; } \
    | tee "$out/versions.txt"
# versions without importing Lightning (12 s there): each part below imports it anyway; the
# requirement is the one Lightning's CLI checks before it starts
python3 - <<'PY' 2>&1 | tee -a "$out/versions.txt" \
    || { echo "gpu_session: the imports failed (were the wheels in .whl/ carried? run(..., carry=[\".whl\"]))" | tee -a "$out/versions.txt"; exit 1; }
import sys
from importlib.metadata import version

import docstring_parser, jsonargparse, torch, typeshed_client  # noqa: F401, E401
from lightning_utilities.core.imports import RequirementCache

cli_needs = RequirementCache("jsonargparse[signatures]>=4.27.7")
assert cli_needs, str(cli_needs)
names = ("lightning", "torchmetrics", "jsonargparse", "scikit-learn", "onnx", "onnxruntime", "pytest")
print("python", sys.version.split()[0], "torch", torch.__version__, *(f"{n} {version(n)}" for n in names),
      "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "",
      "tf32", torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision())
PY
nocuda=0
grep -q " cuda True " "$out/versions.txt" \
    || { nocuda=1; echo "gpu_session: NO CUDA DEVICE is visible to torch: nothing below runs on a GPU" | tee -a "$out/versions.txt"; }
timeouts=()
python3 -c "import pytest_timeout" 2>/dev/null && timeouts=(--timeout 150)  # a hung test fails alone
echo "gpu_session: set up in ${SECONDS} s" | tee -a "$out/versions.txt"

echo "===== A. gpu_check: table, equality ($(left) s left)" | tee "$out/gpu_check.log"
run_for "$(cap 260 200)" python3 benchmarks/gpu_check.py --only table equality --out "$out" $GPU_CHECK_ARGS 2>&1 | tee -a "$out/gpu_check.log"
check_a=$?
echo "===== B. pytest -m gpu ($(left) s left)" | tee "$out/pytest_gpu.log"
run_for "$(cap 200 110)" python3 -m pytest -m gpu -q -p no:cacheprovider -rfEs --durations 10 "${timeouts[@]}" 2>&1 \
    | tee -a "$out/pytest_gpu.log"
tests=$?
echo "===== C. gpu_check: tutorial_run, copies ($(left) s left)" | tee -a "$out/gpu_check.log"
run_for "$(cap 220 25)" python3 benchmarks/gpu_check.py --only tutorial_run copies --out "$out" $GPU_CHECK_ARGS 2>&1 | tee -a "$out/gpu_check.log"
check_c=$?
rest=skipped
if [ "${GPU_SESSION_REST:-1}" = 1 ] && (( $(left) >= 150 )) && python3 -c "import xdist" 2>/dev/null; then
    echo "===== D. pytest -m 'not gpu and not slow', 8 workers ($(left) s left; information)" | tee "$out/pytest_rest.log"
    run_for "$(cap 400 25)" python3 -m pytest -m "not gpu and not slow" -q -p no:cacheprovider -n 8 --dist loadfile \
        -rfE "${timeouts[@]}" >>"$out/pytest_rest.log" 2>&1
    rest="exit $?"
fi

{
    echo "===== summary ($SECONDS s)"
    cat "$out/versions.txt"
    echo "--- A+C. gpu_check (exit $check_a, $check_c)"
    grep -h "^CUDA graphs:" "$out/gpu_check.log" | sort | uniq -c
    grep -h "^gpu_check:" "$out/gpu_check.log"
    [ -f "$out/table.md" ] && cat "$out/table.md"
    echo "--- B. pytest -m gpu (exit $tests)"
    grep -E "^(FAILED|ERROR|SKIPPED)|passed|failed|deselected|no tests ran|Interrupted|KeyboardInterrupt| call " \
        "$out/pytest_gpu.log" \
        | cut -c1-300 | tail -n 30
    echo "--- D. the rest of the suite ($rest)"
    [ -f "$out/pytest_rest.log" ] && grep -E "^(FAILED|ERROR)|passed|failed|Interrupted" "$out/pytest_rest.log" \
        | cut -c1-300 | tail -n 25
} 2>&1 | tee "$out/summary.txt"
exit $(( check_a != 0 || tests != 0 || check_c != 0 || nocuda ))
