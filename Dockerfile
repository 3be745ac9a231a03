# Production image of Apache Airflow, built by hangar.
#
#   docker buildx build .                                  # the default image
#   docker buildx build --build-arg AIRFLOW_EXTRAS=celery,postgres .
#
# Every input is a build arg (the README lists them with their defaults). Anything secret goes in
# as a BuildKit secret, never a build arg:
#   --secret id=ca-bundle,src=ca.pem            CA bundle for a TLS-intercepting proxy
#   --secret id=index-url,env=PIP_INDEX_URL     the Python package index (may hold credentials)
#   --secret id=extra-index-urls,src=file       more indexes, one per line
#   --secret id=apt-sources,src=x.sources       Debian sources (deb822) for the apt steps
# No "# syntax=" line: the engine's built-in Dockerfile frontend is used, so a build needs no
# registry other than the one holding the base image.

ARG AIRFLOW_VERSION="3.3.2"
ARG PYTHON_MAJOR_MINOR_VERSION="3.13"
# BASE_IMAGE: the official Dockerfile's name for the base, taken as PYTHON_BASE_IMAGE's default
ARG BASE_IMAGE=""
ARG PYTHON_BASE_IMAGE="${BASE_IMAGE:-python:${PYTHON_MAJOR_MINOR_VERSION}-slim-trixie}"
ARG AIRFLOW_EXTRAS="aiobotocore,amazon,async,celery,cncf-kubernetes,common-io,common-messaging,docker,elasticsearch,fab,ftp,git,google,google-auth,graphviz,grpc,hashicorp,http,ldap,microsoft-azure,mysql,odbc,openlineage,opensearch,pandas,postgres,redis,sendgrid,sftp,slack,snowflake,ssh,statsd,uv"
ARG ADDITIONAL_AIRFLOW_EXTRAS=""
ARG ADDITIONAL_PYTHON_DEPS=""
ARG AIRFLOW_HOME="/opt/airflow"
ARG AIRFLOW_UID="50000"
ARG AIRFLOW_USER_HOME_DIR="/home/airflow"
ARG AIRFLOW_USE_UV="true"
ARG AIRFLOW_UV_VERSION="0.13.9"
ARG AIRFLOW_PIP_VERSION="26.3"
ARG DEBIAN_MIRROR=""
ARG DOCKER_CONTEXT_FILES="docker-context-files"
ARG INSTALL_DISTRIBUTIONS_FROM_CONTEXT="false"
ARG ADDITIONAL_PIP_INSTALL_FLAGS=""
ARG INCLUDE_PRE_RELEASE="false"
ARG TRIM_VENV="true"
# which modules get bytecode at build time (scripts/docker/bytecode.py): core (Airflow, what it
# depends on, every provider's own code and what the providers the components start with need),
# all (every module) or none (as the official image: Python compiles a module on first import)
ARG COMPILE_BYTECODE="core"
# run: the runtime-packages step below runs (installs nothing when there is nothing to install);
# skip: it is left out, which hangar asks for when ADDITIONAL_RUNTIME_APT_DEPS,
# ADDITIONAL_RUNTIME_APT_COMMAND and ADDITIONAL_PYTHON_DEPS are all empty
ARG RUNTIME_PACKAGES_STEP="run"
# the database clients, as the official image: false leaves the client out of the final image and
# its extra (mysql, postgres) out of the install; the MySQL client is MariaDB's (the only type)
ARG INSTALL_MYSQL_CLIENT="true"
ARG INSTALL_MYSQL_CLIENT_TYPE="mariadb"
ARG INSTALL_POSTGRES_CLIENT="true"
# Microsoft's msodbcsql18 comes from Microsoft's repository: true stops the build, naming the way
# to add it (ADDITIONAL_RUNTIME_APT_COMMAND); the FreeTDS ODBC driver is always there
ARG INSTALL_MSSQL_CLIENT="false"
ARG AIRFLOW_IMAGE_TYPE="prod"

##############################################################################################
# build-args: the official image's build args that cannot be honoured stop the build here, before
# anything is installed, in one line naming what to use instead (every stage waits for it)
##############################################################################################
FROM --platform=${BUILDPLATFORM} ${PYTHON_BASE_IMAGE} AS build-args
SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]
ARG PYTHON_MAJOR_MINOR_VERSION
ARG INSTALL_MYSQL_CLIENT
ARG INSTALL_MYSQL_CLIENT_TYPE
ARG INSTALL_POSTGRES_CLIENT
ARG INSTALL_MSSQL_CLIENT
ARG AIRFLOW_INSTALLATION_METHOD
# the official image compiles Python: what it is compiled as can only be checked against the base
ARG AIRFLOW_PYTHON_VERSION
ARG PYTHON_LTO
COPY --chmod=0755 scripts/docker/check-build-args.sh /scripts/docker/
RUN /scripts/docker/check-build-args.sh && touch /build-args-checked

##############################################################################################
# tools: the uv binary for the target platform, fetched on the build machine's own platform
# (no pip under emulation when building for another one)
##############################################################################################
FROM --platform=${BUILDPLATFORM} ${PYTHON_BASE_IMAGE} AS tools
SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]
ARG TARGETPLATFORM
ARG PYTHON_MAJOR_MINOR_VERSION
ARG AIRFLOW_USE_UV
ARG AIRFLOW_UV_VERSION
ARG DOCKER_CONTEXT_FILES
ARG INSTALL_DISTRIBUTIONS_FROM_CONTEXT
COPY --chmod=0755 scripts/docker/with-sources.sh scripts/docker/fetch-uv.sh /scripts/docker/
RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=index-url \
    --mount=type=secret,id=extra-index-urls \
    --mount=type=bind,source=${DOCKER_CONTEXT_FILES},target=/docker-context-files \
    --mount=type=cache,id=hangar-tools,target=/root/.cache/pip,sharing=locked \
    --mount=type=bind,from=build-args,source=/build-args-checked,target=/tmp/build-args-checked \
    /scripts/docker/with-sources.sh /scripts/docker/fetch-uv.sh

##############################################################################################
# build-tools: compilers and headers, uv and the install script; build (on it): installs Airflow
# into a virtualenv at ~airflow/.local
##############################################################################################
FROM ${PYTHON_BASE_IMAGE} AS build-tools
SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]

ARG PYTHON_MAJOR_MINOR_VERSION
ARG DEBIAN_MIRROR
ARG DEV_APT_DEPS="\
build-essential \
curl \
default-libmysqlclient-dev \
git \
libffi-dev \
libkrb5-dev \
libldap2-dev \
libpq-dev \
libsasl2-dev \
libssl-dev \
pkg-config \
unixodbc-dev"
ARG ADDITIONAL_DEV_APT_DEPS=""
ARG DEV_APT_COMMAND=""
ARG ADDITIONAL_DEV_APT_COMMAND=""
ARG ADDITIONAL_DEV_APT_ENV=""

COPY --chmod=0755 scripts/docker/apt-install.sh scripts/docker/with-sources.sh /scripts/docker/

# Debian's own Python (a debian base) keeps its headers in a separate package
RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=apt-sources \
    --mount=type=bind,from=build-args,source=/build-args-checked,target=/tmp/build-args-checked \
    set -eux; \
    python_dev=""; \
    if [[ "$(command -v "python${PYTHON_MAJOR_MINOR_VERSION}" || true)" == /usr/bin/* ]]; then \
        python_dev="python${PYTHON_MAJOR_MINOR_VERSION}-dev python3-venv"; \
    fi; \
    APT_COMMANDS="${DEV_APT_COMMAND}"$'\n'"${ADDITIONAL_DEV_APT_COMMAND}" APT_ENV="${ADDITIONAL_DEV_APT_ENV}" \
        /scripts/docker/apt-install.sh ${DEV_APT_DEPS} ${ADDITIONAL_DEV_APT_DEPS} ${python_dev}
COPY --chmod=0755 scripts/docker/install-airflow.sh /scripts/docker/

FROM build-tools AS build
ARG PYTHON_MAJOR_MINOR_VERSION
ARG AIRFLOW_VERSION
ARG AIRFLOW_EXTRAS
ARG ADDITIONAL_AIRFLOW_EXTRAS
ARG AIRFLOW_USER_HOME_DIR
ARG AIRFLOW_USE_UV
ARG AIRFLOW_UV_VERSION
ARG AIRFLOW_PIP_VERSION
# apache-airflow (from the index), or the path of a wheel or source folder in docker-context-files
ARG AIRFLOW_INSTALLATION_METHOD="apache-airflow"
# e.g. ">=3.3,<3.4"; empty means ==AIRFLOW_VERSION
ARG AIRFLOW_VERSION_SPECIFICATION=""
ARG AIRFLOW_CONSTRAINTS_MODE="constraints"
# a URL, a path in docker-context-files, or "none"; empty: docker-context-files/<mode>-<py>.txt,
# else the Airflow project's constraints for AIRFLOW_VERSION (AIRFLOW_CONSTRAINTS_REFERENCE)
ARG AIRFLOW_CONSTRAINTS_LOCATION=""
ARG AIRFLOW_CONSTRAINTS_REFERENCE=""
ARG CONSTRAINTS_GITHUB_REPOSITORY="apache/airflow"
# the constraints of a version that is not a release (X.Y.Z...), when no reference is given
ARG DEFAULT_CONSTRAINTS_BRANCH
# true: when the install with the constraints fails, it is tried once more without them
ARG AIRFLOW_FALLBACK_NO_CONSTRAINTS_INSTALLATION
# any value: the newest versions, no constraints (the official image's CI "eager upgrade")
ARG UPGRADE_RANDOM_INDICATOR_STRING
# true: constraints also found at docker-context-files/constraints-<py>/<mode>-<py>.txt
ARG USE_CONSTRAINTS_FOR_CONTEXT_DISTRIBUTIONS
# pip's progress bar (AIRFLOW_USE_UV=false); off when not given
ARG PIP_PROGRESS_BAR
# environment of the build stage only, as in the official image
ARG AIRFLOW_REPO
ARG AIRFLOW_BRANCH
ARG VERSION_SUFFIX
ARG INSTALL_MYSQL_CLIENT
ARG INSTALL_POSTGRES_CLIENT
ARG DOCKER_CONTEXT_FILES
ARG INSTALL_DISTRIBUTIONS_FROM_CONTEXT
ARG ADDITIONAL_PIP_INSTALL_FLAGS
ARG INCLUDE_PRE_RELEASE
ARG TRIM_VENV
ARG TARGETARCH
# the build stage skips starting Airflow when the target platform is emulated
ARG TARGETPLATFORM
ARG BUILDPLATFORM
# set by `hangar image build --reproducible`
ARG SOURCE_DATE_EPOCH
# another value: a fresh package cache (the cache mount's id)
ARG DEPENDENCY_CACHE_EPOCH

RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=index-url \
    --mount=type=secret,id=extra-index-urls \
    --mount=type=bind,source=${DOCKER_CONTEXT_FILES},target=/docker-context-files \
    --mount=type=cache,id=hangar-pkgs-${TARGETARCH}${DEPENDENCY_CACHE_EPOCH:+-${DEPENDENCY_CACHE_EPOCH}},target=/root/.cache/hangar,sharing=locked \
    --mount=type=bind,from=tools,source=/opt/uv/bin,target=/opt/uv/bin,rw \
    UV_CACHE_DIR=/root/.cache/hangar/uv PIP_CACHE_DIR=/root/.cache/hangar/pip \
    /scripts/docker/with-sources.sh /scripts/docker/install-airflow.sh

##############################################################################################
# bytecode: the venv's bytecode, compiled on the build machine's own platform by the same Python
# version (bytecode is the same on every platform) and copied over the venv as its own layer
##############################################################################################
FROM --platform=${BUILDPLATFORM} ${PYTHON_BASE_IMAGE} AS bytecode
SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]
ARG PYTHON_MAJOR_MINOR_VERSION
ARG AIRFLOW_USER_HOME_DIR
ARG COMPILE_BYTECODE
# set by `hangar image build --reproducible`: bytecode keyed by source hashes, not file times
ARG SOURCE_DATE_EPOCH
COPY --chmod=0755 scripts/docker/compile-bytecode.sh scripts/docker/bytecode.py /scripts/docker/
RUN --mount=type=bind,from=build,source=${AIRFLOW_USER_HOME_DIR}/.local,target=${AIRFLOW_USER_HOME_DIR}/.local \
    /scripts/docker/compile-bytecode.sh

##############################################################################################
# additions: ADDITIONAL_PYTHON_DEPS installed into a copy of the build stage's virtualenv; only
# what they change is kept, for a layer of its own at the end of the runtime stage, so adding a
# dependency re-runs neither the install step nor the bytecode, and re-exports no earlier layer
##############################################################################################
FROM build-tools AS additions
ARG ADDITIONAL_PYTHON_DEPS
ARG PYTHON_MAJOR_MINOR_VERSION
ARG AIRFLOW_UID
ARG AIRFLOW_USER_HOME_DIR
ARG AIRFLOW_USE_UV
ARG DOCKER_CONTEXT_FILES
ARG INSTALL_DISTRIBUTIONS_FROM_CONTEXT
ARG ADDITIONAL_PIP_INSTALL_FLAGS
ARG INCLUDE_PRE_RELEASE
ARG TRIM_VENV
ARG COMPILE_BYTECODE
ARG TARGETARCH
ARG SOURCE_DATE_EPOCH
ARG DEPENDENCY_CACHE_EPOCH
ARG PIP_PROGRESS_BAR
COPY --chmod=0755 scripts/docker/add-python-deps.sh scripts/docker/compile-bytecode.sh \
    scripts/docker/venv-delta.py /scripts/docker/
RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=index-url \
    --mount=type=secret,id=extra-index-urls \
    --mount=type=bind,source=${DOCKER_CONTEXT_FILES},target=/docker-context-files \
    --mount=type=cache,id=hangar-pkgs-${TARGETARCH}${DEPENDENCY_CACHE_EPOCH:+-${DEPENDENCY_CACHE_EPOCH}},target=/root/.cache/hangar,sharing=locked \
    --mount=type=bind,from=build,source=${AIRFLOW_USER_HOME_DIR}/.local,target=${AIRFLOW_USER_HOME_DIR}/.local,rw \
    --mount=type=bind,from=build,source=${AIRFLOW_USER_HOME_DIR}/constraints.txt,target=${AIRFLOW_USER_HOME_DIR}/constraints.txt \
    --mount=type=bind,from=tools,source=/opt/uv/bin,target=/opt/uv/bin,rw \
    UV_CACHE_DIR=/root/.cache/hangar/uv PIP_CACHE_DIR=/root/.cache/hangar/pip \
    /scripts/docker/with-sources.sh /scripts/docker/add-python-deps.sh

# the additions alone, as small layers with no parent, for the runtime stage to mount: re-running
# its steps needs neither the build stage's snapshot nor its layers from a cache; the Debian
# libraries they need apart, so that the package step re-runs only when those change
FROM scratch AS additions-out
COPY --from=additions /opt/airflow-additions /
FROM scratch AS additions-libraries
COPY --from=additions /opt/airflow-additions/runtime-libraries.txt /

##############################################################################################
# runtime: the production image, with runtime packages only (published as the `main` target)
##############################################################################################
FROM ${PYTHON_BASE_IMAGE} AS runtime-base
SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]

ARG AIRFLOW_VERSION
ARG PYTHON_MAJOR_MINOR_VERSION
ARG AIRFLOW_EXTRAS
ARG ADDITIONAL_AIRFLOW_EXTRAS
ARG AIRFLOW_HOME
ARG AIRFLOW_UID
ARG AIRFLOW_USER_HOME_DIR
ARG AIRFLOW_USE_UV
ARG AIRFLOW_UV_VERSION
ARG AIRFLOW_PIP_VERSION
ARG DEBIAN_MIRROR
# what the official image's users rely on (its runtime list, README "Build args"): the database
# clients `airflow db shell` runs, the tools users' scripts and Dockerfiles call, and what is
# loaded at run time, which ldd cannot find (the FreeTDS ODBC driver, xmlsec's OpenSSL engine,
# the SASL modules)
ARG RUNTIME_APT_DEPS="\
apt-utils \
ca-certificates \
curl \
dumb-init \
freetds-bin \
git \
gnupg \
iputils-ping \
krb5-user \
ldap-utils \
less \
libsasl2-modules \
libsasl2-modules-gssapi-mit \
libxmlsec1-openssl \
locales \
lsb-release \
netcat-openbsd \
openssh-client \
procps \
rsync \
sqlite3 \
sudo \
tdsodbc \
tzdata \
unixodbc \
wget"
ARG RUNTIME_APT_COMMAND=""
ARG INSTALL_MYSQL_CLIENT
ARG INSTALL_MYSQL_CLIENT_TYPE
ARG INSTALL_POSTGRES_CLIENT
ARG INSTALL_MSSQL_CLIENT
ARG AIRFLOW_INSTALLATION_METHOD="apache-airflow"
ARG AIRFLOW_IMAGE_TYPE
# reproducible builds: useradd dates the airflow user's password entry from it, not today
ARG SOURCE_DATE_EPOCH

COPY --chmod=0755 scripts/docker/apt-install.sh /scripts/docker/
# runs in parallel with the build stage; the database clients from Debian (the official image takes
# them from the vendors' repositories)
RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=apt-sources \
    --mount=type=bind,from=build-args,source=/build-args-checked,target=/tmp/build-args-checked \
    set -eux; \
    clients=""; \
    if [ "${INSTALL_POSTGRES_CLIENT,,}" = true ]; then clients="postgresql-client"; fi; \
    if [ "${INSTALL_MYSQL_CLIENT,,}" = true ]; then clients="${clients} mariadb-client-core"; fi; \
    APT_COMMANDS="${RUNTIME_APT_COMMAND}" /scripts/docker/apt-install.sh ${RUNTIME_APT_DEPS} ${clients}; \
    useradd --uid "${AIRFLOW_UID}" --gid 0 --home-dir "${AIRFLOW_USER_HOME_DIR}" --create-home \
        --shell /bin/bash --comment "Airflow" airflow; \
    mkdir -p "${AIRFLOW_HOME}/dags" "${AIRFLOW_HOME}/logs" "${AIRFLOW_HOME}/plugins"; \
    chown -R "airflow:0" "${AIRFLOW_USER_HOME_DIR}" "${AIRFLOW_HOME}"; \
    chmod -R g=u "${AIRFLOW_USER_HOME_DIR}" "${AIRFLOW_HOME}"; \
    # OpenShift-style arbitrary UIDs: the entrypoint adds a passwd entry for them
    chmod g=u /etc/passwd; \
    # as the official image: sudo finds the virtualenv's programs (airflow, pip) first
    if [ -d /etc/sudoers.d ]; then \
        printf 'Defaults secure_path="%s/.local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n' \
            "${AIRFLOW_USER_HOME_DIR}" >/etc/sudoers.d/airflow-path; \
        chmod 0440 /etc/sudoers.d/airflow-path; \
    fi

# the shared libraries that modules compiled in the build stage link against (found by ldd)
RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=apt-sources \
    --mount=type=bind,from=build,source=/opt/airflow-build/runtime-libraries.txt,target=/tmp/runtime-libraries.txt \
    set -eux; \
    /scripts/docker/apt-install.sh --missing-from /tmp/runtime-libraries.txt; \
    rm -rf /scripts

ENV AIRFLOW_HOME=${AIRFLOW_HOME} \
    AIRFLOW_UID=${AIRFLOW_UID} \
    AIRFLOW_USER_HOME_DIR=${AIRFLOW_USER_HOME_DIR} \
    AIRFLOW_VERSION=${AIRFLOW_VERSION} \
    AIRFLOW_PYTHON_VERSION=${PYTHON_MAJOR_MINOR_VERSION} \
    AIRFLOW_USE_UV=${AIRFLOW_USE_UV} \
    AIRFLOW_UV_VERSION=${AIRFLOW_UV_VERSION} \
    AIRFLOW_PIP_VERSION=${AIRFLOW_PIP_VERSION} \
    AIRFLOW__CORE__LOAD_EXAMPLES="false" \
    AIRFLOW_IMAGE_TYPE=${AIRFLOW_IMAGE_TYPE} \
    AIRFLOW_INSTALLATION_METHOD=${AIRFLOW_INSTALLATION_METHOD} \
    INSTALL_MYSQL_CLIENT=${INSTALL_MYSQL_CLIENT} \
    INSTALL_MYSQL_CLIENT_TYPE=${INSTALL_MYSQL_CLIENT_TYPE} \
    INSTALL_POSTGRES_CLIENT=${INSTALL_POSTGRES_CLIENT} \
    INSTALL_MSSQL_CLIENT=${INSTALL_MSSQL_CLIENT} \
    VIRTUAL_ENV=${AIRFLOW_USER_HOME_DIR}/.local \
    PATH=${AIRFLOW_USER_HOME_DIR}/.local/bin:/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_NO_CACHE_DIR="true" \
    PIP_DISABLE_PIP_VERSION_CHECK="true" \
    DUMB_INIT_SETSID="1" \
    LANG=C.UTF-8 \
    LC_ALL=C.UTF-8 \
    GUNICORN_CMD_ARGS="--worker-tmp-dir /dev/shm"

COPY --from=build --chown=${AIRFLOW_UID}:0 ${AIRFLOW_USER_HOME_DIR}/.local ${AIRFLOW_USER_HOME_DIR}/.local
COPY --from=bytecode --chown=${AIRFLOW_UID}:0 /bytecode${AIRFLOW_USER_HOME_DIR}/.local ${AIRFLOW_USER_HOME_DIR}/.local
COPY --from=build --chown=${AIRFLOW_UID}:0 ${AIRFLOW_USER_HOME_DIR}/constraints.txt ${AIRFLOW_USER_HOME_DIR}/constraints.txt
# before the user's additions, so that adding one re-runs neither: BuildKit keys a COPY by content
# alone, so a re-run one could carry other file times than the layer it replaces
COPY --chmod=0755 scripts/docker/entrypoint.sh /entrypoint
COPY --chmod=0755 scripts/docker/clean-logs.sh /clean-logs
# as the official image: the Dockerfile the image was built from, at /Dockerfile (or other files
# of the build context, e.g. sources to keep next to an install from docker-context-files); here
# too, before the user's additions
ARG AIRFLOW_SOURCES_FROM="Dockerfile"
ARG AIRFLOW_SOURCES_TO="/Dockerfile"
COPY --chown=${AIRFLOW_UID}:0 ${AIRFLOW_SOURCES_FROM} ${AIRFLOW_SOURCES_TO}

# the user's own runtime packages, declared only here and installed in a layer of their own after
# the virtualenv, with the Debian libraries the additional Python dependencies' compiled modules
# link against: adding one re-runs this step alone, nothing below it is rebuilt or re-exported
FROM runtime-base AS runtime-packages-run
ARG ADDITIONAL_RUNTIME_APT_DEPS=""
ARG ADDITIONAL_RUNTIME_APT_COMMAND=""
ARG ADDITIONAL_RUNTIME_APT_ENV=""
RUN --mount=type=secret,id=ca-bundle --mount=type=secret,id=apt-sources \
    --mount=type=bind,source=scripts/docker/apt-install.sh,target=/tmp/apt-install.sh \
    --mount=type=bind,from=additions-libraries,target=/tmp/additions \
    APT_COMMANDS="${ADDITIONAL_RUNTIME_APT_COMMAND}" APT_ENV="${ADDITIONAL_RUNTIME_APT_ENV}" \
        bash /tmp/apt-install.sh --missing-from /tmp/additions/runtime-libraries.txt \
        ${ADDITIONAL_RUNTIME_APT_DEPS}

# the same without that step: on a root file system this size, a step with secret mounts starts
# about 6 s late on this engine's BuildKit (Docker 26), so hangar leaves it out when it has
# nothing to install (RUNTIME_PACKAGES_STEP=skip)
FROM runtime-base AS runtime-packages-skip

# hadolint ignore=DL3006
FROM runtime-packages-${RUNTIME_PACKAGES_STEP} AS runtime
SHELL ["/bin/bash", "-o", "pipefail", "-o", "errexit", "-o", "nounset", "-c"]
ARG AIRFLOW_VERSION
ARG PYTHON_MAJOR_MINOR_VERSION
ARG AIRFLOW_EXTRAS
ARG ADDITIONAL_AIRFLOW_EXTRAS
ARG AIRFLOW_HOME
ARG AIRFLOW_UID

# the user's ADDITIONAL_PYTHON_DEPS: what installing them changed in the virtualenv (the
# additions stage), applied as one layer of its own (no secrets here: see the step above)
RUN --mount=type=bind,from=additions-out,target=/tmp/additions \
    set -eu; \
    if [ -s /tmp/additions/removed.txt ]; then xargs -d '\n' rm -rf -- </tmp/additions/removed.txt; fi; \
    if [ -n "$(ls -A /tmp/additions/tree)" ]; then \
        tar -C /tmp/additions/tree -cf - . | tar -C / -xpf - --no-overwrite-dir; \
    fi

ARG EMBEDDED_DAGS="empty"
COPY --chown=${AIRFLOW_UID}:0 ${EMBEDDED_DAGS} ${AIRFLOW_HOME}/dags/

WORKDIR ${AIRFLOW_HOME}
EXPOSE 8080
USER ${AIRFLOW_UID}

# last, so that changing them invalidates no cached layer
ARG BUILD_ID=""
ARG COMMIT_SHA=""
ARG AIRFLOW_IMAGE_DATE_CREATED=""
ARG AIRFLOW_IMAGE_REPOSITORY="https://github.com/apache/airflow"
ARG AIRFLOW_IMAGE_README_URL="https://raw.githubusercontent.com/apache/airflow/main/docker-stack-docs/README.md"
ENV BUILD_ID=${BUILD_ID} \
    COMMIT_SHA=${COMMIT_SHA}
LABEL org.apache.airflow.distro="debian" \
      org.apache.airflow.module="airflow" \
      org.apache.airflow.component="airflow" \
      org.apache.airflow.image="airflow" \
      org.apache.airflow.version="${AIRFLOW_VERSION}" \
      org.apache.airflow.python.version="${PYTHON_MAJOR_MINOR_VERSION}" \
      org.apache.airflow.uid="${AIRFLOW_UID}" \
      org.apache.airflow.extras="${AIRFLOW_EXTRAS}${ADDITIONAL_AIRFLOW_EXTRAS:+,${ADDITIONAL_AIRFLOW_EXTRAS}}" \
      org.apache.airflow.main-image.build-id="${BUILD_ID}" \
      org.apache.airflow.main-image.commit-sha="${COMMIT_SHA}" \
      org.opencontainers.image.title="Production Airflow Image" \
      org.opencontainers.image.description="Production-ready Apache Airflow image, built by hangar" \
      org.opencontainers.image.version="${AIRFLOW_VERSION}" \
      org.opencontainers.image.revision="${COMMIT_SHA}" \
      org.opencontainers.image.created="${AIRFLOW_IMAGE_DATE_CREATED}" \
      org.opencontainers.image.source="${AIRFLOW_IMAGE_REPOSITORY}" \
      org.opencontainers.image.url="https://airflow.apache.org" \
      org.opencontainers.image.documentation="https://airflow.apache.org/docs/docker-stack/index.html" \
      org.opencontainers.image.vendor="Apache Software Foundation" \
      org.opencontainers.image.licenses="Apache-2.0" \
      io.artifacthub.package.readme-url="${AIRFLOW_IMAGE_README_URL}"

ENTRYPOINT ["/usr/bin/dumb-init", "--", "/entrypoint"]
CMD []

##############################################################################################
# ci: the production image plus test tooling (pytest, /usr/local/bin/check-dags), for CI jobs
# that test DAGs against the installed Airflow: docker buildx build --target ci .
##############################################################################################
FROM runtime AS ci
ARG AIRFLOW_UID
ARG PYTEST_VERSION="9.2.0"
COPY --chmod=0755 scripts/docker/check-dags.py /usr/local/bin/check-dags
RUN --mount=type=secret,id=ca-bundle,uid=${AIRFLOW_UID} \
    --mount=type=secret,id=index-url,uid=${AIRFLOW_UID} \
    --mount=type=secret,id=extra-index-urls,uid=${AIRFLOW_UID} \
    --mount=type=bind,source=scripts/docker/with-sources.sh,target=/tmp/with-sources.sh \
    bash /tmp/with-sources.sh pip install --no-cache-dir --constraint "${AIRFLOW_USER_HOME_DIR}/constraints.txt" \
        "pytest==${PYTEST_VERSION}"
ENV AIRFLOW_IMAGE_TYPE=ci

##############################################################################################
# main: the default target, what users run
##############################################################################################
FROM runtime AS main
