"""A small DAG baked into the test image with EMBEDDED_DAGS; `airflow dags test` runs it."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task


@dag(
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    tags=["hangar"],
)
def example_hangar() -> None:
    @task
    def extract() -> list[int]:
        return [1, 2, 3]

    @task
    def total(values: list[int]) -> int:
        result = sum(values)
        print(f"hangar total={result}")
        return result

    total(extract())


example_hangar()
