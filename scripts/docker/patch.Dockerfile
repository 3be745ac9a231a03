# One layer on top of a released image: the pending Debian security updates, exactly those
# versions and nothing else (`hangar image release X.Y.Z --patch`). The released image's own
# layers stay as they are, so a user pulls only this layer. Always built FROM the original
# released image (by digest), never from an earlier patch.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}

ARG PACKAGES
ARG CODENAME
ARG SECURITY_MIRROR="http://deb.debian.org/debian-security"
ARG ORIGINAL_USER="airflow"
ARG PATCHED_FROM=""
ARG PATCH_DATE=""

USER 0
# the security suite is added for this step only; apt's lists, caches and logs leave no trace
RUN set -eu; \
    list=/etc/apt/sources.list.d/hangar-security.list; \
    echo "deb ${SECURITY_MIRROR} ${CODENAME}-security main" > "${list}"; \
    apt-get update -qq; \
    # shellcheck disable=SC2086 # one word per package=version
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        --only-upgrade ${PACKAGES}; \
    rm -f "${list}"; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
        /var/log/apt /var/log/dpkg.log
USER ${ORIGINAL_USER}
LABEL dev.hangar.patched-from="${PATCHED_FROM}" \
      dev.hangar.patch-date="${PATCH_DATE}"
