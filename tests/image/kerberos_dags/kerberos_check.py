"""A task that reads a Kerberos-protected page with the ticket the side-car keeps fresh: the
worker has the ticket cache (KRB5CCNAME), never the keytab.
"""

from __future__ import annotations

import os
import subprocess

import pendulum
from airflow.sdk import dag, task


@dag(schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"), catchup=False)
def kerberos_check() -> None:
    @task
    def read_protected_page() -> None:
        cache = os.environ["KRB5CCNAME"]
        if subprocess.run(["klist", "-s"], check=False).returncode != 0:
            message = f"Kerberos: no valid ticket in {cache} (is the airflow kerberos side-car up?)"
            raise RuntimeError(message)
        page = subprocess.run(
            ["curl", "--fail", "--silent", "--show-error", "--negotiate", "-u", ":",
             os.environ["PROTECTED_URL"]],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if page.returncode != 0:
            raise RuntimeError(f"Kerberos: the protected page refused the ticket: {page.stderr}")
        print(f"protected page: {page.stdout.strip()}")

    read_protected_page()


kerberos_check()
