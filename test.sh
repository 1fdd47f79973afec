#!/usr/bin/env bash
# The test command. On a fresh Debian machine with the .NET SDK it installs what the tests need, restores,
# builds, runs every test project, and prints as its last line "N passed, N failed, N skipped".
#   ./test.sh            the default suite (minutes)
#   ./test.sh --long     also the long soak and load tests (category Long)
set -euo pipefail
cd "$(dirname "$0")"

filter="TestCategory!=Long"
if [[ "${1:-}" == "--long" ]]; then filter=""; fi

# Debian packages the tests use: python3-grpcio and friends are the reference gRPC peer of the interop
# tests (tests/interop); chromium loads the admin dashboard headless in its browser test; python3-yaml parses
# the deploy manifests in their tests; clang-14 compiles the CUDA kernels (kernels/*.cu) to PTX without the CUDA
# toolkit, and compiles them for the host for the emulation tests of the CUDA backend (tests/Gear.Core.Tests/
# Compute/Cuda), so kernel compile errors and kernel logic errors fail the suite on machines without a GPU;
# gcc and libibverbs-dev compile the C program that checks the RDMA verbs struct layouts against verbs.h (and
# libibverbs-dev brings libibverbs.so.1, whose "no RDMA device" answer the data-plane fallback test expects).
# Installed only when missing; `apt-get update` first, since a fresh machine's package lists may be empty.
apt_packages=(python3-grpcio python3-protobuf protobuf-compiler chromium python3-yaml clang-14 gcc libibverbs-dev)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  sudo_cmd=""
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

results="TestResults/run-$(date +%s)"
mkdir -p "$results"

dotnet restore Gear.sln --nologo
dotnet build Gear.sln -c Release --no-restore --nologo

status=0
dotnet test Gear.sln -c Release --no-build --nologo \
  ${filter:+--filter "$filter"} \
  --logger "trx" --results-directory "$results" || status=$?

# Sum the counters of every TRX file (one per test project). Anything run that did not pass or fail
# (inconclusive, not executed) counts as skipped.
total=0; passed=0; failed=0
shopt -s nullglob
trx_files=("$results"/*.trx)
for trx in "${trx_files[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$((total + $(get total)))
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
done
if [[ ${#trx_files[@]} -eq 0 || $total -eq 0 ]]; then
  echo "no test results were produced"
  failed=$((failed + 1))
fi
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi  # the runner itself failed (crash, abort)
skipped=$((total - passed - failed))
if [[ $skipped -lt 0 ]]; then skipped=0; fi
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
