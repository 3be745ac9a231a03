#!/usr/bin/env bash
# Entrypoint of the hangar production image, installed as /entrypoint and run by dumb-init:
#   ENTRYPOINT ["/usr/bin/dumb-init", "--", "/entrypoint"]
#
# A drop-in for the official apache/airflow entrypoint (scripts/docker/entrypoint_prod.sh);
# every environment variable it honours is described in the README (section "The entrypoint").
#
# Order: *_FILE secrets -> user/group checks -> umask -> passwd entry for an arbitrary UID
# -> wait for the metadata DB and the Celery broker -> db migrate -> user creation
# -> extra pip requirements -> exec the command.
#
# Messages from this script go to stderr, so a command's stdout stays its own.
# Sourcing the script (tests do) defines the functions without running anything.
set -Eeuo pipefail

readonly DEFAULT_AIRFLOW_UID=50000
readonly TCP_CONNECT_TIMEOUT=5

# Variables whose real name ends in _FILE: their value is a path the program itself reads,
# so the *_FILE secrets convention must leave them alone.
readonly FILE_ENV_PATH_VARIABLES=(
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE
    AIRFLOW__FAB__CONFIG_FILE
    AIRFLOW__KUBERNETES_EXECUTOR__POD_TEMPLATE_FILE
    AIRFLOW__WEBSERVER__CONFIG_FILE
    AWS_CONFIG_FILE
    AWS_SHARED_CREDENTIALS_FILE
    AWS_WEB_IDENTITY_TOKEN_FILE
    AZURE_FEDERATED_TOKEN_FILE
    PIP_CONFIG_FILE
    SSL_CERT_FILE
    UV_CONFIG_FILE
)

log_info() { printf '[INFO] %s\n' "$*" >&2; }
log_warning() { printf '[WARNING] %s\n' "$*" >&2; }
log_error() { printf '[ERROR] %s\n' "$*" >&2; }

die() {
    log_error "$@"
    exit 1
}

# True unless the variable named $1 is empty or one of false/0/no/off (any case).
is_enabled() {
    local value="${!1:-}"
    case "${value,,}" in
        "" | false | 0 | no | off) return 1 ;;
        *) return 0 ;;
    esac
}

is_non_negative_integer() {
    [[ $1 =~ ^[0-9]+$ ]]
}

# --- *_FILE secrets --------------------------------------------------------------------------

is_file_env_path_variable() {
    local name=$1 known
    for known in "${FILE_ENV_PATH_VARIABLES[@]}"; do
        [[ $name == "$known" ]] && return 0
    done
    local -a ignored_names
    IFS=', ' read -ra ignored_names <<<"${_AIRFLOW_FILE_ENV_IGNORE:-}"
    for known in "${ignored_names[@]}"; do
        [[ $name == "$known" ]] && return 0
    done
    return 1
}

# docker-library's file_env, applied to every exported NAME_FILE: NAME gets the file's content.
load_file_env() {
    local file_var var path
    while IFS= read -r file_var; do
        [[ $file_var == *?_FILE ]] || continue
        is_file_env_path_variable "$file_var" && continue
        var=${file_var%_FILE}
        path=${!file_var}
        if [[ -n ${!var+set} ]]; then
            die "Both ${var} and ${file_var} are set; set only one of them."
        fi
        if [[ ! -f $path || ! -r $path ]]; then
            die "${file_var} points to '${path}', which is not a readable file."
        fi
        export "${var}=$(<"${path}")"
        unset "${file_var}"
    done < <(compgen -e)
}

# --- user and group ---------------------------------------------------------------------------

check_uid_gid() {
    local uid gid
    uid=$(id -u)
    gid=$(id -g)
    if [[ $gid == 0 ]]; then
        return 0
    fi
    if [[ $uid == "$DEFAULT_AIRFLOW_UID" || $uid == "${AIRFLOW_UID:-$DEFAULT_AIRFLOW_UID}" ]]; then
        log_warning "The container runs with UID=${uid} and GID=${gid}; the group should be 0 (root)."
        log_warning "Files the image provides are writable by group 0 only; run with --user ${uid}:0."
        return 0
    fi
    die "The container runs with UID=${uid} and GID=${gid}, but the group must be 0 (root)." \
        "Run it with --user ${uid}:0 (docker) or runAsGroup: 0 (Kubernetes)." \
        "See \"The entrypoint\" in the hangar README."
}

# OpenShift-style arbitrary UID: give the UID a passwd entry so whoami, ssh, getpass etc. work.
ensure_passwd_entry() {
    if whoami &>/dev/null; then
        return 0
    fi
    local uid name home
    uid=$(id -u)
    name=${USER_NAME:-default}
    home=${AIRFLOW_USER_HOME_DIR:-/home/airflow}
    if [[ -w /etc/passwd ]]; then
        printf '%s:x:%s:0:%s user:%s:/sbin/nologin\n' "$name" "$uid" "$name" "$home" >>/etc/passwd
    else
        log_warning "UID ${uid} has no /etc/passwd entry and /etc/passwd is not writable; continuing without one."
    fi
    export HOME="$home"
}

warn_if_root() {
    if [[ $(id -u) == 0 ]]; then
        log_warning "Running as root (UID 0). Airflow is meant to run as the airflow user (UID ${AIRFLOW_UID:-$DEFAULT_AIRFLOW_UID});"
        log_warning "use root only to debug or to extend the image."
    fi
}

# Works around "cannot allocate memory in static TLS block" (apache/airflow#17546).
preload_libstdcxx() {
    local lib
    lib="/usr/lib/$(uname -m)-linux-gnu/libstdc++.so.6"
    if [[ -z ${LD_PRELOAD:-} && -f $lib ]]; then
        export LD_PRELOAD="$lib"
    fi
}

# --- command classification -------------------------------------------------------------------

# Prints the airflow subcommand the container will run ("scheduler", "celery worker", ...), or
# nothing. Understands `airflow X`, `X` and `bash -c "[exec] airflow X ..."`.
airflow_subcommand() {
    local -a words=("$@")
    local script
    if [[ ${words[0]:-} == bash || ${words[0]:-} == sh ]]; then
        [[ ${words[1]:-} == -c ]] || return 0
        script=${words[2]:-}
        local re='(^|[[:space:];&|(])(exec[[:space:]]+)?airflow[[:space:]]+(celery[[:space:]]+[a-z-]+|[a-z-]+)'
        [[ $script =~ $re ]] || return 0
        read -ra words <<<"${BASH_REMATCH[3]}"
    elif [[ ${words[0]:-} == airflow ]]; then
        words=("${words[@]:1}")
    fi
    if [[ ${words[0]:-} == celery ]]; then
        printf '%s\n' "celery ${words[1]:-}"
    else
        printf '%s\n' "${words[0]:-}"
    fi
}

is_long_running() {
    case $1 in
        scheduler | dag-processor | triggerer | api-server | "celery worker" | "celery flower") return 0 ;;
        *) return 1 ;;
    esac
}

# --- waiting for services ---------------------------------------------------------------------

# wait_until DESCRIPTION COMMAND...: run COMMAND until it succeeds, at most
# CONNECTION_CHECK_MAX_COUNT times, CONNECTION_CHECK_SLEEP_TIME seconds apart.
wait_until() {
    local what=$1
    shift
    local max=$CONNECTION_CHECK_MAX_COUNT sleep_time=$CONNECTION_CHECK_SLEEP_TIME
    local attempt=1 output
    while true; do
        if output=$("$@" 2>&1); then
            ((attempt == 1)) || log_info "${what} is reachable (attempt ${attempt})."
            return 0
        fi
        if ((attempt >= max)); then
            log_error "Could not reach ${what} after ${attempt} attempts."
            log_error "Maximum number of retries (${max}) reached (CONNECTION_CHECK_MAX_COUNT=${max}, CONNECTION_CHECK_SLEEP_TIME=${sleep_time})."
            log_error "Last output:"
            printf '%s\n' "$output" | tail -n 5 >&2
            exit 1
        fi
        log_info "Waiting for ${what}: attempt ${attempt}/${max} failed, retrying in ${sleep_time}s."
        sleep "$sleep_time"
        attempt=$((attempt + 1))
    done
}

wait_for_metadata_db() {
    wait_until "the Airflow metadata database" airflow db check
}

airflow_config_get() {
    airflow config get-value "$1" "$2" 2>/dev/null
}

# Prints "HOST PORT" for a broker URL, or nothing when they cannot be worked out.
# The URL goes in through the environment: a command line would show its password in ps.
broker_host_port() {
    BROKER_URL=$1 python - <<'PYTHON'
import os
import sys
from urllib.parse import urlsplit

DEFAULT_PORTS = {
    "amqp": 5672, "amqps": 5671, "pyamqp": 5672, "librabbitmq": 5672,
    "redis": 6379, "rediss": 6379, "sentinel": 26379,
    "postgres": 5432, "postgresql": 5432, "mysql": 3306, "mssql": 1433,
}
url = os.environ["BROKER_URL"].split(";")[0].strip()
try:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[-1]
    port = parts.port or DEFAULT_PORTS.get(scheme)
except ValueError:
    sys.exit(0)
if port and scheme in DEFAULT_PORTS:
    print(parts.hostname or "localhost", port)
PYTHON
}

tcp_connect() {
    # shellcheck disable=SC2016  # $1 and $2 are expanded by the inner bash, on purpose
    timeout "$TCP_CONNECT_TIMEOUT" bash -c 'exec 3<>"/dev/tcp/$1/$2"' tcp-check "$1" "$2"
}

wait_for_celery_broker() {
    local url host port
    url=$(airflow_config_get celery broker_url) || {
        log_warning "Could not read [celery] broker_url; not waiting for the Celery broker."
        return 0
    }
    read -r host port < <(broker_host_port "$url") || true
    if [[ -z ${host:-} || -z ${port:-} ]]; then
        log_warning "Cannot work out host and port of the Celery broker URL; not waiting for it."
        return 0
    fi
    wait_until "the Celery broker at ${host}:${port}" tcp_connect "$host" "$port"
}

uses_celery_executor() {
    [[ $(airflow_config_get core executor) == *CeleryExecutor* ]]
}

wait_for_services() {
    local subcommand=$1
    if ((CONNECTION_CHECK_MAX_COUNT == 0)); then
        return 0
    fi
    if is_long_running "$subcommand" || is_enabled _AIRFLOW_DB_MIGRATE || is_enabled _AIRFLOW_DB_UPGRADE \
        || is_enabled _AIRFLOW_WWW_USER_CREATE; then
        wait_for_metadata_db
    fi
    if [[ $subcommand == celery* ]] || { [[ $subcommand == scheduler ]] && uses_celery_executor; }; then
        wait_for_celery_broker
    fi
}

# --- one-off set-up ---------------------------------------------------------------------------

migrate_db() {
    if is_enabled _AIRFLOW_DB_UPGRADE; then
        log_warning "_AIRFLOW_DB_UPGRADE is deprecated; use _AIRFLOW_DB_MIGRATE=true instead."
    elif ! is_enabled _AIRFLOW_DB_MIGRATE; then
        return 0
    fi
    log_info "Migrating the Airflow metadata database (airflow db migrate)."
    if ! airflow db migrate >&2; then
        die "'airflow db migrate' failed (output above); fix the database settings and start again."
    fi
}

# The password goes to Python on its standard input, never on a command line (where every process
# in the container could read it in /proc/*/cmdline): this is what `airflow users create` does,
# in-process.
create_fab_user() {
    local username=$1 role=$2 password=$3 script
    script=$(
        cat <<'PYTHON'
import sys

from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder
from airflow.utils.providers_configuration_loader import providers_configuration_loaded


@providers_configuration_loaded
def create(username, role_name, firstname, lastname, email, password):
    with get_application_builder() as appbuilder:
        role = appbuilder.sm.find_role(role_name)
        if not role:
            names = ", ".join(sorted(r.name for r in appbuilder.sm.get_all_roles()))
            sys.exit(f"{role_name} is not a FAB role (the roles are: {names})")
        if appbuilder.sm.find_user(username):
            print(f"user {username} exists already; its password is left as it is")
            return
        if not appbuilder.sm.add_user(username, firstname, lastname, email, role, password):
            sys.exit("the FAB security manager did not add the user")


create(*sys.argv[1:6], sys.stdin.read())
PYTHON
    )
    printf '%s' "$password" | python -c "$script" "$username" "$role" \
        "${_AIRFLOW_WWW_USER_FIRSTNAME:-Airflow}" "${_AIRFLOW_WWW_USER_LASTNAME:-Admin}" \
        "${_AIRFLOW_WWW_USER_EMAIL:-airflowadmin@example.com}" >&2 ||
        die "Could not create the FAB user '${username}' (output above)."
    log_info "FabAuthManager: user '${username}' with role '${role}' exists."
}

# Adds USERNAME:ROLE to [core] simple_auth_manager_users (exported for the command this container
# runs) and stores the password in the SimpleAuthManager passwords file.
configure_simple_auth_user() {
    local username=$1 role=${2,,} password=$3 users passwords_file script
    case $role in
        viewer | user | op | admin) ;;
        *) die "_AIRFLOW_WWW_USER_ROLE='$2' is not a SimpleAuthManager role (viewer, user, op, admin)." ;;
    esac
    script=$(
        cat <<'PYTHON'
import json
import os
import sys

from airflow.configuration import AIRFLOW_HOME, conf

username, role = sys.argv[1], sys.argv[2]
password = sys.stdin.read()
users = [u.strip() for u in conf.get("core", "simple_auth_manager_users", fallback="").split(",")]
users = [u for u in users if u]
if username not in [u.split(":")[0] for u in users]:
    users.append(f"{username}:{role}")
# Same lookup as SimpleAuthManager.get_generated_password_file()
path = conf.get("core", "simple_auth_manager_passwords_file", fallback=None) or os.path.join(
    AIRFLOW_HOME, "simple_auth_manager_passwords.json.generated"
)
passwords = {}
if os.path.exists(path) and os.path.getsize(path) > 0:
    with open(path) as stream:
        passwords = json.load(stream)
passwords[username] = password
os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
os.umask(0o077)
with open(path + ".tmp", "w") as stream:
    stream.write(json.dumps(passwords) + "\n")
os.replace(path + ".tmp", path)
# fd 3 carries the result; stdout may carry Airflow's import-time warnings.
with os.fdopen(3, "w") as result:
    result.write(",".join(users) + "\n" + path + "\n")
PYTHON
    )
    {
        read -r users
        read -r passwords_file
    } < <(printf '%s' "$password" | python -c "$script" "$username" "$role" 3>&1 1>&2) ||
        die "Could not write the SimpleAuthManager passwords file."
    [[ -n ${passwords_file:-} ]] || die "Could not write the SimpleAuthManager passwords file."
    export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="$users"
    log_info "SimpleAuthManager: user '${username}' (role ${role}) gets the given password, stored in ${passwords_file};"
    log_info "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=${users} for the command this container runs."
}

create_www_user() {
    is_enabled _AIRFLOW_WWW_USER_CREATE || return 0
    local password auth_manager
    local username=${_AIRFLOW_WWW_USER_USERNAME:-admin} role=${_AIRFLOW_WWW_USER_ROLE:-Admin}
    password=${_AIRFLOW_WWW_USER_PASSWORD:-}
    if [[ -n ${_AIRFLOW_WWW_USER_PASSWORD_CMD:-} ]]; then
        password=$(bash -c "$_AIRFLOW_WWW_USER_PASSWORD_CMD") ||
            die "_AIRFLOW_WWW_USER_PASSWORD_CMD failed; it must print the password."
    fi
    unset _AIRFLOW_WWW_USER_PASSWORD _AIRFLOW_WWW_USER_PASSWORD_CMD
    if [[ -z $password ]]; then
        die "_AIRFLOW_WWW_USER_CREATE is set but no password was given: set _AIRFLOW_WWW_USER_PASSWORD" \
            "(or _AIRFLOW_WWW_USER_PASSWORD_FILE, or _AIRFLOW_WWW_USER_PASSWORD_CMD)."
    fi
    auth_manager=$(airflow_config_get core auth_manager) ||
        die "Could not read [core] auth_manager from the Airflow configuration."
    case $auth_manager in
        *FabAuthManager*) create_fab_user "$username" "$role" "$password" ;;
        *SimpleAuthManager*) configure_simple_auth_user "$username" "$role" "$password" ;;
        *) log_warning "Auth manager ${auth_manager} cannot get users from the entrypoint; skipping user creation." ;;
    esac
}

install_additional_requirements() {
    [[ -n ${_PIP_ADDITIONAL_REQUIREMENTS:-} ]] || return 0
    local -a requirements pin=()
    read -ra requirements <<<"$_PIP_ADDITIONAL_REQUIREMENTS"
    log_warning "=================================================================================="
    log_warning "_PIP_ADDITIONAL_REQUIREMENTS is for quick tests only: it installs"
    log_warning "  ${requirements[*]}"
    log_warning "on every container start. In production, build a custom image instead"
    log_warning "(FROM this image, then RUN pip install ...)."
    log_warning "=================================================================================="
    if [[ -n ${AIRFLOW_VERSION:-} ]]; then
        pin=("apache-airflow==${AIRFLOW_VERSION}")
    fi
    pip install --no-cache-dir "${requirements[@]}" "${pin[@]}" >&2 ||
        die "pip could not install _PIP_ADDITIONAL_REQUIREMENTS='${_PIP_ADDITIONAL_REQUIREMENTS}' (output above)."
}

# --- the command ------------------------------------------------------------------------------

run_command() {
    case ${1:-} in
        bash | sh) exec /bin/bash "${@:2}" ;;
        python) exec python "${@:2}" ;;
        airflow) shift ;;
        /*) if [[ -x $1 ]]; then exec "$@"; fi ;;
    esac
    if (($# == 0)) && is_enabled _AIRFLOW_DB_MIGRATE; then
        log_info "No command given and _AIRFLOW_DB_MIGRATE is set: the database is migrated, exiting."
        exit 0
    fi
    exec airflow "$@"
}

main() {
    load_file_env
    check_uid_gid
    umask 0002
    unset PIP_USER
    readonly CONNECTION_CHECK_MAX_COUNT=${CONNECTION_CHECK_MAX_COUNT:-20}
    readonly CONNECTION_CHECK_SLEEP_TIME=${CONNECTION_CHECK_SLEEP_TIME:-3}
    is_non_negative_integer "$CONNECTION_CHECK_MAX_COUNT" ||
        die "CONNECTION_CHECK_MAX_COUNT='${CONNECTION_CHECK_MAX_COUNT}' must be a whole number (0 = do not wait)."
    is_non_negative_integer "$CONNECTION_CHECK_SLEEP_TIME" ||
        die "CONNECTION_CHECK_SLEEP_TIME='${CONNECTION_CHECK_SLEEP_TIME}' must be a whole number of seconds."
    ensure_passwd_entry
    warn_if_root
    preload_libstdcxx
    wait_for_services "$(airflow_subcommand "$@")"
    migrate_db
    create_www_user
    install_additional_requirements
    run_command "$@"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
