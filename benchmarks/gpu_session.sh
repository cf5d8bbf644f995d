#!/usr/bin/env bash
# The GPU checks, as one command for a machine with an NVIDIA GPU and no network: the GPU tests
# (`pytest -m gpu`) and benchmarks/gpu_check.py (tutorial run on the GPU, host-device copies, the
# throughput table). Logs go to $OUT (or ./gpu-logs) as pytest_gpu.log and gpu_check.log.
#
# Python packages the machine lacks travel as wheels in .whl/ (git-ignored). On a machine with
# network access, from the repository root:
#   python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
#     -d .whl jsonargparse==4.53.0 docstring-parser==0.18.0 typeshed-client==2.15.0
# (torch, lightning, torchmetrics, scikit-learn, tensorboard, matplotlib and onnx are expected there.)
# .whl/ is git-ignored: the device call must carry it, e.g. with the device tool:
#   run(command="bash benchmarks/gpu_session.sh", carry=[".whl"], timeout_s=600)
# Both parts together take about 6 minutes on an H100/H200 (imports included).
set -o pipefail
cd "$(dirname "$0")/.."
out="${OUT:-gpu-logs}"
mkdir -p "$out"
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/blobclf-site .whl/*.whl \
        || { echo "gpu_session: installing the carried wheels failed"; exit 1; }
    export PYTHONPATH="/tmp/blobclf-site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
nvidia-smi -L 2>&1 | tee "$out/gpu_check.log"
python3 -c "import torch, lightning, torchmetrics, jsonargparse, docstring_parser, typeshed_client; print('torch', torch.__version__, 'lightning', lightning.__version__, 'torchmetrics', torchmetrics.__version__, 'jsonargparse', jsonargparse.__version__, 'cuda', torch.cuda.is_available(), 'tf32', torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision())" 2>&1 | tee -a "$out/gpu_check.log" \
    || { echo "gpu_session: the imports failed (were the wheels in .whl/ carried? run(..., carry=[\".whl\"]))" | tee -a "$out/gpu_check.log"; exit 1; }
timeout 240 python3 -m pytest -m gpu -q -p no:cacheprovider -rs 2>&1 | tee "$out/pytest_gpu.log"
tests=$?
timeout 300 python3 benchmarks/gpu_check.py 2>&1 | tee -a "$out/gpu_check.log"
check=$?
echo "gpu_session: pytest -m gpu exit $tests, gpu_check exit $check"
exit $(( tests != 0 || check != 0 ))
