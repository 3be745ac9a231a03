"""The quick-start test's DAG: tasks on the Celery worker, one deferred to the triggerer."""

from __future__ import annotations

import datetime as dt
import os
import socket
from typing import Any

from airflow.providers.standard.triggers.temporal import TimeDeltaTrigger
from airflow.sdk import BaseOperator, dag, task


class WaitOnTriggerer(BaseOperator):
    """Defers at once; the triggerer fires after `seconds`, then a worker resumes the task."""

    def __init__(self, *, seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.seconds = seconds

    def execute(self, context: Any) -> None:
        self.log.info("hangar-quickstart: deferring for %s s", self.seconds)
        self.defer(
            trigger=TimeDeltaTrigger(dt.timedelta(seconds=self.seconds)),
            method_name="resume",
        )

    def resume(self, context: Any, event: Any = None) -> str:
        self.log.info("hangar-quickstart: resumed after the triggerer fired (event %r)", event)
        return "resumed"


@dag(schedule=None, start_date=dt.datetime(2024, 1, 1), catchup=False, tags=["hangar"])
def hangar_quickstart() -> None:
    @task
    def hello() -> str:
        print(f"hangar-quickstart: hello from {socket.gethostname()} pid {os.getpid()}")
        return "hello"

    @task
    def slow(seconds: int = 20) -> int:
        import time

        time.sleep(seconds)
        print(f"hangar-quickstart: slept {seconds} s")
        return seconds

    @task
    def goodbye(greeting: str, slept: int) -> None:
        print(f"hangar-quickstart: goodbye after {greeting!r} and {slept} s")

    greeting = hello()
    wait = WaitOnTriggerer(task_id="wait_on_triggerer", seconds=10)
    slept = slow()
    greeting >> wait >> slept
    goodbye(greeting, slept)


hangar_quickstart()
