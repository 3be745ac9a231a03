"""A first DAG for the quick start: put your own DAG files next to this one."""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, task


@dag(schedule=None, start_date=dt.datetime(2024, 1, 1), catchup=False, tags=["example"])
def example_quickstart() -> None:
    @task
    def hello() -> str:
        return "hello from the Celery worker"

    @task
    def show(message: str) -> None:
        print(message)

    show(hello())


example_quickstart()
