#!/usr/bin/env bash
# Log groomer of the hangar production image, installed as /clean-logs.
#
#   clean-logs            run forever: clean, then sleep until the next multiple of the interval
#   clean-logs --once     clean once and exit (cron jobs, tests)
#
# Deletes *.log files older than the retention under the Airflow logs folder, then removes empty
# folders. With a size cap, the retention is shortened a day at a time until the logs folder
# fits. Exits cleanly on SIGTERM/SIGINT. Settings (README, "The entrypoint"):
#   AIRFLOW__LOG_RETENTION_DAYS (15), AIRFLOW__LOG_RETENTION_MINUTES (0),
#   AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES (15), AIRFLOW__LOG_MAX_SIZE_BYTES (0 = no cap),
#   AIRFLOW__LOG_MAX_SIZE_PERCENT (0 = no cap; percent of the logs filesystem's size),
#   AIRFLOW__LOGGING__BASE_LOG_FOLDER (default $AIRFLOW_HOME/logs).
set -Eeuo pipefail

log() { printf '%s clean-logs: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

die() {
    printf 'clean-logs: error: %s\n' "$*" >&2
    exit 1
}

usage() {
    cat <<'USAGE'
Usage: clean-logs [--once]
  Deletes *.log files older than the retention under the Airflow logs folder and removes empty
  folders; without --once it repeats every AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES minutes.
USAGE
}

# integer_setting NAME DEFAULT: the value of $NAME (or DEFAULT), which must be a whole number.
integer_setting() {
    local value=${!1:-$2}
    [[ $value =~ ^[0-9]+$ ]] || die "$1='${value}' must be a whole number."
    printf '%d\n' "$((10#$value))"
}

# Bytes the logs may use: AIRFLOW__LOG_MAX_SIZE_BYTES, else a percentage of the filesystem size.
max_size_bytes() {
    local dir=$1 bytes percent fs_size
    bytes=$(integer_setting AIRFLOW__LOG_MAX_SIZE_BYTES 0)
    percent=$(integer_setting AIRFLOW__LOG_MAX_SIZE_PERCENT 0)
    if ((bytes == 0 && percent > 0)); then
        ((percent <= 100)) || die "AIRFLOW__LOG_MAX_SIZE_PERCENT='${percent}' must be between 0 and 100."
        fs_size=$(df -B1 --output=size "$dir" | tail -n 1)
        bytes=$((fs_size * percent / 100))
    fi
    printf '%d\n' "$bytes"
}

logs_size_bytes() {
    du -sb "$1" | cut -f1
}

# delete_old_logs DIR MINUTES: delete *.log files last modified more than MINUTES ago.
delete_old_logs() {
    local dir=$1 minutes=$2 count
    count=$(
        find "$dir" \( -type d -name 'lost+found' -prune \) -o \
            \( -type f -name '*.log' -mmin "+${minutes}" -print0 \) |
            xargs -0 -r rm -fv -- | wc -l
    )
    log "deleted ${count} log file(s) older than ${minutes} minutes"
}

delete_empty_folders() {
    local dir=$1 count
    count=$(find "$dir" -mindepth 1 -depth -type d -empty -not -name 'lost+found' -print -delete | wc -l)
    log "removed ${count} empty folder(s)"
}

clean_once() {
    local dir=$1 days=$2 minutes=$3 max_bytes=$4 size
    if [[ ! -d $dir ]]; then
        log "${dir} does not exist; nothing to clean"
        return 0
    fi
    while true; do
        delete_old_logs "$dir" $((days * 1440 + minutes))
        ((max_bytes > 0)) || break
        size=$(logs_size_bytes "$dir")
        ((size > max_bytes)) || break
        if ((days == 0)); then
            log "logs use ${size} bytes, more than the ${max_bytes}-byte cap, even at the shortest retention"
            break
        fi
        days=$((days - 1))
        log "logs use ${size} bytes, more than the ${max_bytes}-byte cap: retention lowered to ${days} days"
    done
    delete_empty_folders "$dir"
}

# Sleep until the next wall-clock multiple of $1 seconds, waking at once on SIGTERM/SIGINT.
sleep_until_next_run() {
    local every=$1
    sleep $((every - $(date -u +%s) % every)) &
    wait $! || true
}

on_signal() {
    log "received a stop signal, exiting"
    exit 0
}

main() {
    local once=false
    while (($# > 0)); do
        case $1 in
            --once) once=true ;;
            -h | --help)
                usage
                return 0
                ;;
            *) die "unknown argument '$1' (try --help)" ;;
        esac
        shift
    done

    local dir=${AIRFLOW__LOGGING__BASE_LOG_FOLDER:-${AIRFLOW_HOME:-/opt/airflow}/logs}
    local days minutes frequency max_bytes
    days=$(integer_setting AIRFLOW__LOG_RETENTION_DAYS 15)
    minutes=$(integer_setting AIRFLOW__LOG_RETENTION_MINUTES 0)
    frequency=$(integer_setting AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES 15)
    max_bytes=$(max_size_bytes "$dir")
    ((days + minutes > 0)) ||
        die "the retention is zero: set AIRFLOW__LOG_RETENTION_DAYS or AIRFLOW__LOG_RETENTION_MINUTES above 0."

    trap on_signal TERM INT
    log "cleaning ${dir}: retention ${days} days ${minutes} minutes, size cap ${max_bytes} bytes (0 = none)"
    if [[ $once == true ]]; then
        clean_once "$dir" "$days" "$minutes" "$max_bytes"
        return 0
    fi
    ((frequency > 0)) || die "AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES must be above 0 (or use --once)."
    log "running every ${frequency} minutes"
    while true; do
        clean_once "$dir" "$days" "$minutes" "$max_bytes"
        sleep_until_next_run $((frequency * 60))
    done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    main "$@"
fi
