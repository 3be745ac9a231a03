#!/usr/bin/env bash
# The quick start's KDC: creates the realm and Airflow's principal on first start, exports
# the principal's keys to the keytab volume (which only the `airflow kerberos` side-car
# mounts), writes the client configuration the side-car and the worker read, prepares the
# ticket-cache volume for AIRFLOW_UID, then runs krb5kdc in the foreground.
set -euo pipefail

realm="${KERBEROS_REALM:-QUICKSTART.HANGAR}"
principal="${KERBEROS_PRINCIPAL:-airflow@${realm}}"
port="${KERBEROS_KDC_PORT:-88}"
kdc_host="${KERBEROS_KDC_HOST:-kdc}"
lifetime="${KERBEROS_TICKET_LIFETIME:-10h}"
uid="${AIRFLOW_UID:-50000}"
database=/var/lib/krb5kdc/quickstart     # volume kerberos-kdc: the realm's database
client_conf=/etc/krb5-quickstart/krb5.conf  # volume kerberos-config: KRB5_CONFIG elsewhere
keytab=/etc/airflow-keytab/airflow.keytab   # volume kerberos-keytab: the side-car only
ccache_dir=/var/kerberos-ccache             # volume kerberos-ccache: side-car and worker

mkdir -p "${database}"
cat > /etc/krb5kdc/kdc.conf <<CONF
[kdcdefaults]
  kdc_ports = ${port}
  kdc_tcp_ports = ${port}
[realms]
  ${realm} = {
    database_name = ${database}/principal
    key_stash_file = ${database}/stash
    max_life = ${lifetime}
    max_renewable_life = 7d
  }
CONF
cat > "${client_conf}" <<CONF
[libdefaults]
  default_realm = ${realm}
  dns_lookup_kdc = false
  dns_lookup_realm = false
  rdns = false
  udp_preference_limit = 1
[realms]
  ${realm} = {
    kdc = ${kdc_host}:${port}
  }
CONF
chmod 0644 "${client_conf}"
export KRB5_CONFIG="${client_conf}" KRB5_KDC_PROFILE=/etc/krb5kdc/kdc.conf

if [[ ! -e "${database}/principal" ]]; then
  echo "quickstart-kdc: creating realm ${realm}"
  # the master key only protects the database on this volume; it is stashed there
  kdb5_util -r "${realm}" -P "$(head -c 24 /dev/urandom | base64)" create -s >/dev/null
fi
if ! kadmin.local -r "${realm}" -q "getprinc ${principal}" 2>/dev/null | grep -q "^Principal:"; then
  kadmin.local -r "${realm}" -q "addprinc -randkey ${principal}" >/dev/null
  rm -f "${keytab}"
fi
if [[ ! -s "${keytab}" ]]; then
  kadmin.local -r "${realm}" -q "ktadd -k ${keytab} ${principal}" >/dev/null
  echo "quickstart-kdc: keys of ${principal} exported to the keytab volume"
fi
# readable by group 0, the group every Airflow container runs with (as in the Helm chart)
chown 0:0 "${keytab}"
chmod 0640 "${keytab}"
chown "${uid}:0" "${ccache_dir}"
chmod 0770 "${ccache_dir}"

echo "quickstart-kdc: realm ${realm} on port ${port}"
exec krb5kdc -n -r "${realm}"
