# syntax=docker/dockerfile:1.7
# One image for every ccokit process: `ccokit serve|worker|relay|scheduler|migrate|probe`.
#
#   docker build -t ccokit:dev .
#   docker run --rm ccokit:dev --help
#
# Stage 1 (build) installs the locked dependencies and the workspace members into a virtual
# environment with uv; stage 2 (runtime) copies only that environment onto a slim Python and runs
# as an unprivileged user, so the image holds no compiler, no uv and no source tree. The Helm
# chart in helm/ccokit runs it with a read-only root filesystem and /tmp as its only scratch space.

ARG PYTHON_VERSION=3.11
# Keep in step with UV_VERSION in the Makefile: the lock is written and read by the same uv.
ARG UV_VERSION=0.13.9

FROM ghcr.io/astral-sh/uv:${UV_VERSION} AS uv

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/opt/ccokit/venv
WORKDIR /src

# Dependencies first, from the lock alone: this layer stays cached until uv.lock or a
# pyproject.toml changes. --locked fails the build when uv.lock is out of date with them.
COPY uv.lock pyproject.toml ./
COPY sdk/pyproject.toml sdk/README.md sdk/
COPY tenants/pyproject.toml tenants/
COPY platform/pyproject.toml platform/
COPY plugins/quick_replies/pyproject.toml plugins/quick_replies/
COPY plugins/customers/pyproject.toml plugins/customers/
COPY plugins/ticketing/pyproject.toml plugins/ticketing/
COPY plugins/routing/pyproject.toml plugins/routing/
COPY plugins/examples/order_lookup/pyproject.toml plugins/examples/order_lookup/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-workspace \
        --no-install-package ccokit-plugin-order-lookup

# Then the workspace members themselves, as wheels (not editable), so the runtime stage needs
# only the environment. The example plugin stays out of production images.
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-editable \
        --no-install-package ccokit-plugin-order-lookup \
 && /opt/ccokit/venv/bin/ccokit --help >/dev/null


FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG UID=10001
ARG GID=10001
RUN groupadd --system --gid "${GID}" ccokit \
 && useradd --system --uid "${UID}" --gid ccokit --home-dir /home/ccokit --create-home \
        --shell /usr/sbin/nologin ccokit
# Owned by root and read-only to the process: nothing it runs can rewrite the code it runs.
COPY --from=build /opt/ccokit/venv /opt/ccokit/venv
ENV PATH=/opt/ccokit/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    CCOKIT_HOST=0.0.0.0 \
    CCOKIT_PORT=8000
WORKDIR /home/ccokit
USER ${UID}:${GID}
EXPOSE 8000
ENTRYPOINT ["ccokit"]
CMD ["serve"]
