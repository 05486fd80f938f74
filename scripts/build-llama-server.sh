#!/usr/bin/env bash
# Builds llama.cpp's own `llama-server` and `llama-bench` from the sources vendored in the
# pinned llama-cpp-python sdist (no other download), portable (these CPUs advertise AMX and a
# native build crashes), web UI off (its build would fetch assets). ~10-20 min on 2 cores, once:
# the result is cached in ~/.cache/switchgear/llama.cpp-<version>.
set -euo pipefail
VERSION="$(grep -o 'llama-cpp-python==[0-9.]*' "$(dirname "$0")/../pyproject.toml" | cut -d= -f3)"
PREFIX="${SWITCHGEAR_LLAMA_CPP_DIR:-$HOME/.cache/switchgear/llama.cpp-$VERSION}"
if [ -x "$PREFIX/bin/llama-server" ] && [ -x "$PREFIX/bin/llama-bench" ]; then
  echo "$PREFIX/bin"
  exit 0
fi
PYTHON="${PYTHON:-$(dirname "$0")/../.venv/bin/python}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$PYTHON" -m pip download --quiet --no-deps --no-binary :all: -d "$WORK" "llama-cpp-python==$VERSION"
tar -xzf "$WORK"/llama_cpp_python-*.tar.gz -C "$WORK"
SRC="$(echo "$WORK"/llama_cpp_python-*/vendor/llama.cpp)"
cmake -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DGGML_AVX2=ON \
  -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
  -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_WEBUI=OFF \
  -DBUILD_SHARED_LIBS=OFF > "$WORK/cmake.log" 2>&1 || { cat "$WORK/cmake.log"; exit 1; }
cmake --build "$WORK/build" --config Release -j "${JOBS:-2}" --target llama-server llama-bench \
  > "$WORK/build.log" 2>&1 || { tail -50 "$WORK/build.log"; exit 1; }
mkdir -p "$PREFIX/bin"
cp "$WORK/build/bin/llama-server" "$WORK/build/bin/llama-bench" "$PREFIX/bin/"
echo "$PREFIX/bin"
