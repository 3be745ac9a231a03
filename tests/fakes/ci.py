"""What the local CI runner is given in tests: the placeholders' values and a selective-checks
decision that runs every step.
"""

from __future__ import annotations

LOCAL_VALUES = {
    "sha": "abc123",
    "base": "HEAD~1",
    "event": "push",
    "image": "127.0.0.1:5000/t/airflow",
    "context": ".",
    "archives": "/tmp/a",
    "wait_timeout": "60",
    "dags": "tests/image/dags",
    "constraints_repo": "/tmp/c",
    "constraints_remote": "origin",
    "constraints_branch": "constraints-main",
}


def decision(**overrides: str) -> dict[str, str]:
    """The selective-checks JSON: two Pythons, every image, test and push decided on."""
    base = {
        "python-versions": '["3.11", "3.13"]',
        "airflow-version": "3.3.2",
        "upgrade-cutoff": "2026-11-21T12:00:00Z",
        "ci-image": "true",
        "prod-image": "true",
        "run-tests": "true",
        "upgrade-constraints": "true",
        "push-constraints": "true",
        "push-latest": "true",
    }
    return {**base, **overrides}
