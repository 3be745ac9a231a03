"""Long-running containers through the `docker` CLI (host networking, the only kind these
machines have), and plain HTTP requests to loopback services through urllib.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from hangar.errors import StepFailed
from hangar.ports import HttpReply, ProcessResult, Runner, cmd, last_line

# a probe or job that outlives its time: TERM, then KILL 5 s later (coreutils `timeout`)
KILL_AFTER = "5"


def bounded(seconds: float) -> tuple[str, ...]:
    """The words that bound a command (coreutils timeout): TERM after `seconds`, KILL 5 s on."""
    return ("timeout", "--kill-after", KILL_AFTER, str(int(seconds)))


@dataclass(frozen=True)
class DockerContainers:
    runner: Runner
    docker: str = "docker"

    def start(self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str]) -> None:
        done = self.runner.run(cmd(*self._run(ref, args, name=name, options=("-d", *options))))
        if not done.ok:
            raise StepFailed(f"docker run {name} failed: {last_line(done.stderr)}")

    def run(
        self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str], timeout: float
    ) -> ProcessResult:
        run = self._run(ref, args, name=name, options=("--rm", *options))
        return self.runner.run(cmd(*bounded(timeout), *run))

    def exec(self, name: str, command: Sequence[str], *, timeout: float) -> ProcessResult:
        exec_args = (self.docker, "exec", name, *command)
        return self.runner.run(cmd(*bounded(timeout), *exec_args, changes_state=False))

    def _run(
        self, ref: str, args: Sequence[str], *, name: str, options: Sequence[str]
    ) -> tuple[str, ...]:
        """`docker run` on the host's network, named, with `options`."""
        return (self.docker, "run", "--network", "host", "--name", name, *options, ref, *args)

    def state(self, name: str) -> str:
        done = self.runner.run(
            cmd(
                self.docker,
                "container",
                "inspect",
                "--format",
                "{{.State.Status}} {{.State.ExitCode}}",
                name,
                changes_state=False,
            )
        )
        if not done.ok:
            return ""
        status, _, code = done.stdout.strip().partition(" ")
        return status if status == "running" else f"{status} ({code})"

    def logs(self, name: str, *, tail: int) -> str:
        done = self.runner.run(
            cmd(self.docker, "logs", "--tail", str(tail), name, changes_state=False)
        )
        return done.stdout + done.stderr

    def remove(self, names: Sequence[str], volumes: Sequence[str] = ()) -> None:
        if names:
            self.runner.run(cmd(self.docker, "rm", "-f", "-v", *names))
        if volumes:
            self.runner.run(cmd(self.docker, "volume", "rm", "-f", *volumes))


@dataclass(frozen=True)
class UrllibHttp:
    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: object = None,
        token: str | None = None,
        timeout: float = 10,
    ) -> HttpReply:
        headers = {"Accept": "application/json"}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return HttpReply(status=response.status, body=response.read())
        except urllib.error.HTTPError as refused:
            return HttpReply(status=refused.code, body=refused.read())
        except (urllib.error.URLError, OSError):
            return HttpReply(status=0)
