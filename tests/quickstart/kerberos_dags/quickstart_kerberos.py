"""A task for the Celery worker of the quick start's Kerberos override: it has the side-car's
ticket cache (KRB5CCNAME) and no keytab, and asks the KDC for a service ticket with it.
"""

from __future__ import annotations

import os
import subprocess

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def quickstart_kerberos() -> None:
    @task
    def service_ticket() -> None:
        principal = os.environ["AIRFLOW__KERBEROS__PRINCIPAL"]
        for args in (["klist"], ["kvno", principal]):
            done = subprocess.run(args, capture_output=True, text=True, check=False)
            print(done.stdout + done.stderr)
            if done.returncode != 0:
                raise RuntimeError(f"Kerberos: {' '.join(args)} failed: {done.stderr.strip()}")
        print(f"quickstart-kerberos: service ticket for {principal} from the side-car's ticket")

    service_ticket()


quickstart_kerberos()
