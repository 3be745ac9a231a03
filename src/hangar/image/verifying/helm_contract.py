"""What the official Airflow Helm chart gives the image, with its default values (chart 1.19,
Airflow 3 branch of the templates, CeleryExecutor): each container's arguments (the chart never
sets `command`, so the image's entrypoint stays), probes, environment, mounts and security
context, plus the airflow.cfg its config map renders. Pure data; helm.py starts it.

Where the chart needs a cluster (Services, emptyDir, Secrets), the check uses the host's
loopback, Docker volumes and an env file; everything the image sees is the chart's.
"""

from __future__ import annotations

import configparser
import io
from dataclasses import dataclass
from enum import StrEnum

UID = 50000  # the chart's runAsUser; fsGroup 0
API_PORT = 8080
FLOWER_PORT = 5555
# securityContext: runAsUser 50000, fsGroup 0; allowPrivilegeEscalation false, drop ALL
SECURITY_OPTIONS = (
    "--user", f"{UID}:0", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
)  # fmt: skip
CFG_PATH = "/opt/airflow/airflow.cfg"
LOCAL_SETTINGS_PATH = "/opt/airflow/config/airflow_local_settings.py"
LOGS_PATH = "/opt/airflow/logs"
DAGS_PATH = "/opt/airflow/dags"
ADMIN = ("admin", "admin")  # the create-user job's defaults (-u admin -p admin)

# liveness probes of the job-based components (`airflow jobs check --local`)
_JOB_CHECK = (
    "CONNECTION_CHECK_MAX_COUNT=0 AIRFLOW__LOGGING__LOGGING_LEVEL=ERROR exec /entrypoint \\\n"
    "airflow jobs check {options}\n"
)


class Kind(StrEnum):
    JOB = "job"  # runs to completion, must exit 0 (Helm hooks, init containers)
    SERVICE = "service"  # keeps running; its probe must pass


class Mount(StrEnum):
    CONFIG = "config"  # airflow.cfg and airflow_local_settings.py, read-only
    LOGS = "logs"  # the logs volume (emptyDir / PVC in the chart)
    DAGS = "dags"  # DAGs the check runs (the chart expects them in the image or git-sync)


@dataclass(frozen=True, kw_only=True)
class Probe:
    """`exec` (argv run in the container) or `http` (GET on the host's loopback)."""

    exec: tuple[str, ...] = ()
    http_path: str = ""
    port: int = 0
    period: float = 10  # seconds between tries while starting (the startup probe's period)

    def shown(self) -> str:
        if self.http_path:
            return f"GET :{self.port}{self.http_path}"
        return " ".join(self.exec).replace("\\\n", "").replace("\n", " ").strip()


@dataclass(frozen=True, kw_only=True)
class Component:
    name: str  # the chart's container name
    kind: Kind
    args: tuple[str, ...]
    probe: Probe | None = None
    mounts: tuple[Mount, ...] = (Mount.CONFIG,)
    env: tuple[tuple[str, str], ...] = ()  # beyond the standard environment
    standard_env: bool = True  # the log groomer gets only its own three variables
    # a service without a probe: one of these in its log (and still running) means up
    ready_lines: tuple[str, ...] = ()
    expect: str = ""  # what passing means, when not a probe or an exit code
    template: str = ""  # the chart file it comes from

    def shown(self) -> str:
        return " ".join(self.args).replace("\\\n", "").replace("\n", " ")


def _exec_probe(script: str, period: float = 10) -> Probe:
    return Probe(exec=("sh", "-c", script), period=period)


def _bash(command: str) -> tuple[str, ...]:
    return ("bash", "-c", command)


LOG_GROOMER_ENV = (
    ("AIRFLOW__LOG_RETENTION_DAYS", "15"),
    ("AIRFLOW__LOG_CLEANUP_FREQUENCY_MINUTES", "15"),
    ("AIRFLOW_HOME", "/opt/airflow"),
)

COMPONENTS: tuple[Component, ...] = (
    Component(
        name="run-airflow-migrations",
        kind=Kind.JOB,
        args=_bash("exec \\\nairflow db migrate"),
        env=(("PYTHONUNBUFFERED", "1"),),
        template="jobs/migrate-database-job.yaml",
    ),
    Component(
        name="create-user",
        kind=Kind.JOB,
        args=(
            *_bash('exec \\\nairflow users create "$@"'),
            "--",
            "-r",
            "Admin",
            "-u",
            ADMIN[0],
            "-e",
            "admin@example.com",
            "-f",
            "admin",
            "-l",
            "user",
            "-p",
            ADMIN[1],
        ),
        template="jobs/create-user-job.yaml",
    ),
    Component(
        name="wait-for-airflow-migrations",
        kind=Kind.JOB,
        args=("airflow", "db", "check-migrations", "--migration-wait-timeout=60"),
        mounts=(Mount.CONFIG, Mount.LOGS),
        template="_helpers.yaml (wait-for-migrations-command)",
    ),
    Component(
        name="api-server",
        kind=Kind.SERVICE,
        args=_bash("exec airflow api-server"),
        probe=Probe(http_path="/api/v2/monitor/health", port=API_PORT, period=10),
        template="api-server/api-server-deployment.yaml",
    ),
    Component(
        name="scheduler",
        kind=Kind.SERVICE,
        args=_bash("exec airflow scheduler"),
        probe=_exec_probe(_JOB_CHECK.format(options="--job-type SchedulerJob --local")),
        mounts=(Mount.CONFIG, Mount.LOGS, Mount.DAGS),
        template="scheduler/scheduler-deployment.yaml",
    ),
    Component(
        name="dag-processor",
        kind=Kind.SERVICE,
        args=_bash("exec airflow dag-processor"),
        probe=_exec_probe(_JOB_CHECK.format(options="--local --job-type DagProcessorJob")),
        mounts=(Mount.CONFIG, Mount.LOGS, Mount.DAGS),
        template="dag-processor/dag-processor-deployment.yaml",
    ),
    Component(
        name="triggerer",
        kind=Kind.SERVICE,
        args=_bash("exec airflow triggerer"),
        probe=_exec_probe(_JOB_CHECK.format(options="--job-type TriggererJob --local")),
        mounts=(Mount.CONFIG, Mount.LOGS, Mount.DAGS),
        template="triggerer/triggerer-deployment.yaml",
    ),
    Component(
        name="worker",
        kind=Kind.SERVICE,
        args=_bash("exec \\\nairflow celery worker"),
        probe=_exec_probe(
            "CONNECTION_CHECK_MAX_COUNT=0 exec /entrypoint python -m celery --app "
            "airflow.providers.celery.executors.celery_executor.app inspect ping "
            "-d celery@$(hostname)"
        ),
        mounts=(Mount.CONFIG, Mount.LOGS, Mount.DAGS),
        env=(("DUMB_INIT_SETSID", "0"),),
        template="workers/worker-deployment.yaml",
    ),
    Component(
        name="flower",
        kind=Kind.SERVICE,
        args=_bash("exec \\\nairflow celery flower"),
        probe=Probe(exec=("curl", f"localhost:{FLOWER_PORT}"), period=10),
        template="flower/flower-deployment.yaml (flower.enabled: true)",
    ),
    Component(
        name="scheduler-log-groomer",
        kind=Kind.SERVICE,
        args=("bash", "/clean-logs"),
        mounts=(Mount.LOGS,),
        env=LOG_GROOMER_ENV,
        standard_env=False,
        # the official image's script, hangar's: both read the retention the chart sets
        ready_lines=("Trimming airflow logs to 15 days.", "retention 15 days"),
        template="scheduler/scheduler-deployment.yaml (logGroomerSidecar)",
    ),
)

# What needs what the chart gets from a cluster or a KDC: their commands are checked to be
# there and to start under the chart's security context (a real KDC: tests/image/test_kerberos.py).
NO_CLUSTER: tuple[Component, ...] = (
    Component(
        name="worker-kerberos",
        kind=Kind.JOB,
        args=_bash("command -v kinit klist >/dev/null && exec airflow kerberos --help"),
        env=(("KRB5_CONFIG", "/etc/krb5.conf"), ("KRB5CCNAME", "/var/kerberos-ccache/cache")),
        template="workers/worker-deployment.yaml (kerberosSidecar: args [kerberos]; no KDC here)",
    ),
    Component(
        name="airflow-cleanup-pods",
        kind=Kind.JOB,
        args=_bash("exec airflow kubernetes cleanup-pods --help"),
        template="cleanup/cleanup-cronjob.yaml (KubernetesExecutor only; no cluster here)",
    ),
    Component(
        name="pod-template base",
        kind=Kind.JOB,
        args=("python", "-m", "airflow.sdk.execution_time.execute_workload", "--help"),
        mounts=(Mount.CONFIG, Mount.LOGS),
        env=(("AIRFLOW__CORE__EXECUTOR", "KubernetesExecutor"),),
        template="files/pod-template-file.kubernetes-helm-yaml (the executor's workload runner)",
    ),
)


def airflow_cfg(*, api_url: str) -> str:
    """The airflow.cfg the chart's config map renders with default values (the parts that
    apply without a cluster), the execution API pointed at `api_url`.
    """
    sections: dict[str, dict[str, str]] = {
        "celery": {"flower_url_prefix": "", "sync_parallelism": "0", "worker_concurrency": "16"},
        "core": {
            "auth_manager": "airflow.providers.fab.auth_manager.fab_auth_manager.FabAuthManager",
            "colored_console_log": "False",
            "dags_folder": DAGS_PATH,
            "execution_api_server_url": f"{api_url}/execution/",
            "executor": "CeleryExecutor",
            "load_examples": "False",
            "remote_logging": "False",
        },
        "dag_processor": {
            "dag_bundle_config_list": '[{"classpath":"airflow.dag_processing.bundles.local.'
            'LocalDagBundle","kwargs":{},"name":"dags-folder"}]'
        },
        "fab": {"enable_proxy_fix": "True"},
        "kerberos": {
            "ccache": "/var/kerberos-ccache/cache",
            "keytab": "/etc/airflow.keytab",
            "principal": "airflow@FOO.COM",
            "reinit_frequency": "3600",
        },
        "logging": {"colored_console_log": "False", "remote_logging": "False"},
        "scheduler": {"run_duration": "41460", "standalone_dag_processor": "True"},
        "webserver": {"enable_proxy_fix": "True", "rbac": "True"},
    }
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_dict(sections)
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def standard_env(
    *, database_url: str, broker_url: str, fernet_key: str, api_secret: str, jwt_secret: str
) -> dict[str, str]:
    """`standard_airflow_environment` of the chart's helpers, in its order."""
    return {
        "AIRFLOW__CORE__FERNET_KEY": fernet_key,
        "AIRFLOW_HOME": "/opt/airflow",
        "AIRFLOW__CORE__SQL_ALCHEMY_CONN": database_url,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": database_url,
        "AIRFLOW_CONN_AIRFLOW_DB": database_url,
        "AIRFLOW__API__SECRET_KEY": api_secret,
        "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret,
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
    }


DAG_ID = "hangar_helm_contract"
# the DAG the check runs through the scheduler and the Celery worker (mounted read-only)
DAG_SOURCE = '''"""hangar's Helm-contract check: one task that runs on the Celery worker."""

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def hangar_helm_contract():
    @task
    def on_the_worker():
        import socket

        print(f"hangar-helm-contract: ran on {socket.gethostname()}")

    on_the_worker()


hangar_helm_contract()
'''
