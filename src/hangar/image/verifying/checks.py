"""The image checks: one definition shared by `hangar image verify` and the image tests.

Each check says how to run a container (or that it reads `docker inspect`) and how to judge the
outcome. Judging is pure: it takes the outcome and what the image's labels promise, and returns
None for a pass or a sentence saying what was wrong.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_UID = "50000"
AIRFLOW_HOME = "/opt/airflow"
USER_HOME = "/home/airflow"
ARBITRARY_USER_LINES = 2  # `whoami` under an arbitrary UID, then $HOME


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What running a check's container gave."""

    returncode: int
    stdout: str
    stderr: str = ""

    @property
    def output(self) -> str:
        return f"{self.stdout}\n{self.stderr}"


@dataclass(frozen=True, kw_only=True)
class ImageFacts:
    """What `docker inspect` says about the image under test."""

    labels: Mapping[str, str]
    config: Mapping[str, Any]

    @property
    def uid(self) -> str:
        return self.labels.get("org.apache.airflow.uid") or DEFAULT_UID

    @property
    def airflow_version(self) -> str:
        return self.labels.get("org.apache.airflow.version", "")


Judge = Callable[[Outcome, ImageFacts], str | None]


@dataclass(frozen=True, kw_only=True)
class Check:
    name: str
    description: str
    judge: Judge
    command: tuple[str, ...] = ()  # arguments after the image in `docker run`
    docker_args: tuple[str, ...] = ()  # options before the image (--user, -e, ...)
    inspect_only: bool = False  # judged on `docker inspect` alone, no container
    # a second command whose output the judge also needs, joined after a separator line
    extra_commands: tuple[tuple[str, ...], ...] = field(default_factory=tuple)


SEPARATOR = "----hangar-check----"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


def _expect_lines(expected: list[str]) -> Judge:
    def judge(outcome: Outcome, _facts: ImageFacts) -> str | None:
        if outcome.returncode != 0:
            return f"exited {outcome.returncode}: {_tail(outcome.output)}"
        got = _lines(outcome.stdout)[-len(expected) :]
        return None if got == expected else f"expected {expected}, got {got}"

    return judge


def _tail(text: str, n: int = 3) -> str:
    return " | ".join(_lines(text)[-n:])


def _judge_user(outcome: Outcome, facts: ImageFacts) -> str | None:
    return _expect_lines([facts.uid, "0"])(outcome, facts)


def _judge_permissions(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    problems = []
    for line in _lines(outcome.stdout):
        group, mode, path = line.split(maxsplit=2)
        if group != "root" or mode[5] != "w":
            problems.append(f"{path} is {mode} group {group}")
    return "; ".join(problems) or None


def _judge_version(outcome: Outcome, facts: ImageFacts) -> str | None:
    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    parts = outcome.stdout.split(SEPARATOR)
    versions = [(_lines(p) or [""])[-1] for p in parts]
    label = facts.airflow_version
    if len(set(versions)) != 1:
        return f"'airflow version' and 'version' differ: {versions}"
    if label and versions[0] != label:
        return f"version {versions[0]} differs from label org.apache.airflow.version={label}"
    return None


def _judge_usage(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode == 0:
        return "exited 0 with no command; expected Airflow's usage and a non-zero exit"
    return None if "usage" in outcome.output.lower() else "no usage text shown"


def _judge_no_compilers(outcome: Outcome, _facts: ImageFacts) -> str | None:
    found = _lines(outcome.stdout)
    return f"compilers present: {found}" if found else None


def _judge_venv(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    lines = _lines(outcome.stdout)
    venv, airflow_bin, size = [*lines, "", "", "0"][:3]
    prefix = f"{USER_HOME}/.local"
    if not venv.startswith(prefix) or not airflow_bin.startswith(prefix):
        return f"VIRTUAL_ENV={venv!r}, airflow at {airflow_bin!r}: expected both in {prefix}"
    if not size.isdigit() or int(size) == 0:
        return f"{USER_HOME}/constraints.txt is missing or empty"
    return None


def _judge_pid1(outcome: Outcome, _facts: ImageFacts) -> str | None:
    init = outcome.stdout.replace("\0", " ").strip()
    return None if ("dumb-init" in init or "tini" in init) else f"PID 1 is {init!r}"


def _judge_inspect(_outcome: Outcome, facts: ImageFacts) -> str | None:
    problems = []
    if "8080/tcp" not in (facts.config.get("ExposedPorts") or {}):
        problems.append("port 8080/tcp not exposed")
    if facts.config.get("WorkingDir") != AIRFLOW_HOME:
        problems.append(f"WorkingDir is {facts.config.get('WorkingDir')!r}")
    problems.extend(
        f"label org.opencontainers.image.{key} missing or empty"
        for key in ("title", "version", "revision", "created", "source", "licenses")
        if not facts.labels.get(f"org.opencontainers.image.{key}")
    )
    return "; ".join(problems) or None


def _judge_arbitrary_user(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    lines = _lines(outcome.stdout)
    if len(lines) < ARBITRARY_USER_LINES or lines[-1] != USER_HOME:
        return f"expected a user name and HOME={USER_HOME}, got {lines}"
    return None


def _judge_group_refused(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode == 0:
        return "a non-root group was accepted; expected a clear refusal"
    return (
        None
        if "group" in outcome.output.lower()
        else f"no message about the group: {_tail(outcome.output)}"
    )


def _judge_ok_lines(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    return None if _lines(outcome.stdout)[-1:] == ["ok"] else f"got {_lines(outcome.stdout)}"


# Inside the image: every provider the installed Airflow's extras imply must be installed and
# listed by `airflow providers list`; extras come from the org.apache.airflow.extras label, less
# the extra of a database client the build left out (INSTALL_<DB>_CLIENT=false in the image's
# environment: the build did not install that extra, as the official image).
_PROVIDERS_SCRIPT = r"""
import json, os, re, subprocess, sys
from importlib import metadata
switches = dict(pair.split("=") for pair in os.environ["HANGAR_CLIENT_EXTRAS"].split())
left_out = {extra for name, extra in switches.items() if os.environ.get(name, "true") != "true"}
extras = [e for e in os.environ.get("HANGAR_EXTRAS", "").split(",") if e and e not in left_out]
wanted = set()
for req in metadata.requires("apache-airflow") or []:
    m = re.match(r"(apache-airflow-providers-[A-Za-z0-9._-]+)", req)
    if not m:
        continue
    for extra in extras:
        if re.search(r"extra\s*==\s*['\"]%s['\"]" % re.escape(extra), req):
            wanted.add(m.group(1).lower())
names = {d.metadata["Name"].lower().replace("_", "-") for d in metadata.distributions()}
installed = {n for n in names if n.startswith("apache-airflow-providers-")}
out = subprocess.run(["airflow", "providers", "list", "-o", "json"], capture_output=True, text=True)
if out.returncode:
    print("airflow providers list failed:", out.stderr.strip().splitlines()[-1:]); sys.exit(1)
# Airflow 3.3 on Python 3.14 logs argparse's PendingDeprecationWarning to stdout first
doc = [line for line in out.stdout.splitlines() if line.startswith("[")][-1:] or ["[]"]
listed = {p["package_name"].lower() for p in json.loads(doc[0])}
missing = sorted(wanted - installed); unlisted = sorted(installed - listed)
print(json.dumps({"missing": missing, "not_importable": unlisted, "listed": sorted(listed)}))
"""


def _judge_providers(outcome: Outcome, _facts: ImageFacts) -> str | None:
    import json

    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    try:
        report = json.loads(_lines(outcome.stdout)[-1])
    except (ValueError, IndexError):
        return f"unreadable report: {_tail(outcome.output)}"
    problems = []
    if report["missing"]:
        problems.append(f"providers implied by the extras but not installed: {report['missing']}")
    if report["not_importable"]:
        problems.append(f"installed but not loaded by Airflow: {report['not_importable']}")
    if not report["listed"]:
        problems.append("airflow providers list shows no provider")
    return "; ".join(problems) or None


# The programs and run-time modules the official image's users rely on (README, "The image"):
# (what is checked, a shell command that must succeed). A probe that fails silently, or whose
# first word is not a program on PATH, reports the tool missing; the modules are loaded at run
# time, by path, so each is looked for where its loader looks. A database client whose
# INSTALL_<DB>_CLIENT is false in the image's environment (the build left it out) is not expected.
TOOLS: tuple[tuple[str, str], ...] = (
    ("psql", "psql --version"),
    ("mysql", "mysql --version"),
    ("sqlite3", "sqlite3 --version"),
    # under emulation (qemu-user) the kernel honours no setuid bit, and sudo refuses even
    # --version to a user: there, a setuid sudo is what can be checked
    ("sudo", 'sudo --version || test -u "$(command -v sudo)"'),
    ("ldapsearch", "ldapsearch -VV"),
    ("tsql", "tsql -C"),
    ("odbcinst", "odbcinst -j"),
    ("FreeTDS ODBC driver", "odbcinst -q -d -n FreeTDS"),
    ("xmlsec OpenSSL engine", "ldconfig -p | grep -q 'libxmlsec1-openssl[.]so[.][0-9]* '"),
    ("SASL modules", 'test -e "/usr/lib/$(uname -m)-linux-gnu/sasl2/libplain.so.2"'),
    ("rsync", "rsync --version"),
    ("gpg", "gpg --version"),
    ("wget", "wget --version"),
    ("ping", "ping -V"),
    ("lsb_release", "lsb_release -is"),
    ("ssh", "ssh -V"),
    ("nc", "nc -h"),
    ("kinit", "klist -V"),
    ("locale-gen", "command -v locale-gen"),
    ("curl", "curl --version"),
    ("git", "git --version"),
)
# the build args that leave a database client out: NAME -> (its Airflow extra, its program)
CLIENT_SWITCHES = {
    "INSTALL_POSTGRES_CLIENT": ("postgres", "psql"),
    "INSTALL_MYSQL_CLIENT": ("mysql", "mysql"),
}
_PROBE = """probe() {
  local name=$1 command=$2 out
  if out=$("$BASH" -c "$command" 2>&1); then echo "ok ${name}"
  elif [[ -z $out ]] || ! command -v "${command%% *}" >/dev/null; then echo "missing ${name}"
  else echo "fails ${name}: ${out##*$'\\n'}"; fi
}"""


def _client_extras() -> str:
    """HANGAR_CLIENT_EXTRAS for the providers check: `NAME=EXTRA` for each client switch."""
    pairs = (f"{name}={extra}" for name, (extra, _program) in CLIENT_SWITCHES.items())
    return "HANGAR_CLIENT_EXTRAS=" + " ".join(pairs)


def _tools_script() -> str:
    """Bash printing `ok NAME`, `missing NAME` or `fails NAME: LAST LINE` for each of TOOLS."""
    lines = [_PROBE]
    switches = {program: name for name, (_extra, program) in CLIENT_SWITCHES.items()}
    for name, command in TOOLS:
        probe = f"probe {shlex.quote(name)} {shlex.quote(command)}"
        switch = switches.get(name)
        lines.append(f'[[ "${{{switch}:-true}}" != true ]] || {probe}' if switch else probe)
    return "\n".join(lines)


def _judge_tools(outcome: Outcome, _facts: ImageFacts) -> str | None:
    if outcome.returncode != 0:
        return f"exited {outcome.returncode}: {_tail(outcome.output)}"
    lines = _lines(outcome.stdout)
    missing = [line.removeprefix("missing ") for line in lines if line.startswith("missing ")]
    failing = [line.removeprefix("fails ") for line in lines if line.startswith("fails ")]
    if not any(line.startswith("ok ") for line in lines):
        return f"no tool answered: {_tail(outcome.output)}"
    problems = []
    if missing:
        problems.append(f"missing: {', '.join(missing)}")
    problems.extend(f"fails: {line}" for line in failing)
    return "; ".join(problems) or None


def image_checks(*, extras: str = "") -> tuple[Check, ...]:
    """The checks of ACCEPTANCE.md 1-14 and 20 that need no outside service."""
    sh = ("bash", "-c")
    tools = _tools_script()
    return (
        Check(
            name="user",
            description="runs as the airflow UID with group 0",
            command=(*sh, "id -u; id -g"),
            judge=_judge_user,
        ),
        Check(
            name="paths",
            description="WORKDIR and AIRFLOW_HOME are /opt/airflow, HOME is /home/airflow",
            command=(*sh, "pwd; echo $AIRFLOW_HOME; echo $HOME"),
            judge=_expect_lines([AIRFLOW_HOME, AIRFLOW_HOME, USER_HOME]),
        ),
        Check(
            name="permissions",
            description="dags, logs, plugins and /etc/passwd are group-root and group-writable",
            command=(*sh, 'stat -c "%G %A %n" dags logs plugins /etc/passwd'),
            judge=_judge_permissions,
        ),
        Check(
            name="version",
            description="'airflow version' and 'version' agree with the version label",
            command=(*sh, f"airflow version && echo {SEPARATOR} && /entrypoint version"),
            judge=_judge_version,
        ),
        Check(
            name="python",
            description="python and bash commands pass through the entrypoint",
            command=("python", "-c", "print('ok')"),
            judge=_judge_ok_lines,
        ),
        Check(
            name="bash",
            description="bash -c passes through the entrypoint",
            command=(*sh, "echo ok"),
            judge=_judge_ok_lines,
        ),
        Check(
            name="usage",
            description="no command shows Airflow's usage and exits non-zero",
            judge=_judge_usage,
        ),
        Check(
            name="pip-check",
            description="pip check passes",
            command=(*sh, "pip check"),
            judge=lambda o, _f: None if o.returncode == 0 else f"pip check: {_tail(o.output)}",
        ),
        Check(
            name="no-compilers",
            description="no gcc, cc or g++ in the image",
            command=(*sh, "command -v gcc cc g++ || true"),
            judge=_judge_no_compilers,
        ),
        Check(
            name="virtualenv",
            description="Airflow lives in a virtualenv at ~/.local; constraints.txt is kept",
            command=(
                *sh,
                f"echo $VIRTUAL_ENV; command -v airflow; stat -c %s {USER_HOME}/constraints.txt",
            ),
            judge=_judge_venv,
        ),
        Check(
            name="umask",
            description="umask is 0002",
            command=(*sh, "umask"),
            judge=_expect_lines(["0002"]),
        ),
        Check(
            name="init",
            description="an init process (dumb-init or tini) is PID 1",
            command=(*sh, "cat /proc/1/cmdline"),
            judge=_judge_pid1,
        ),
        Check(
            name="metadata",
            description="port 8080 exposed, WorkingDir /opt/airflow, OCI labels present",
            inspect_only=True,
            judge=_judge_inspect,
        ),
        Check(
            name="providers",
            description="every provider the extras imply is installed and listed by Airflow",
            command=("python", "-c", _PROVIDERS_SCRIPT),
            docker_args=("-e", f"HANGAR_EXTRAS={extras}", "-e", _client_extras()),
            judge=_judge_providers,
        ),
        Check(
            name="tools",
            description="the official image's tools run: database clients, sudo, LDAP, ODBC, "
            "FreeTDS, xmlsec, SASL, rsync, gpg, wget, ping, lsb_release, ssh, nc",
            command=(*sh, tools),
            judge=_judge_tools,
        ),
        Check(
            name="tools-arbitrary-uid",
            description="the same tools run as an arbitrary UID with group 0",
            command=(*sh, tools),
            docker_args=("--user", "12345:0"),
            judge=_judge_tools,
        ),
        Check(
            name="arbitrary-uid",
            description="an arbitrary UID with group 0 gets a user entry and HOME",
            command=(*sh, "whoami; echo $HOME"),
            docker_args=("--user", "12345:0"),
            judge=_judge_arbitrary_user,
        ),
        Check(
            name="group-zero",
            description="a UID with a non-root group is refused with a clear message",
            command=(*sh, "true"),
            docker_args=("--user", "12345:12345"),
            judge=_judge_group_refused,
        ),
        Check(
            name="file-secrets",
            description="*_FILE variables are read into the variable without the suffix",
            command=(*sh, 'test "$HANGAR_PROBE" = "$(cat /etc/hostname)" && echo ok'),
            docker_args=("-e", "HANGAR_PROBE_FILE=/etc/hostname"),
            judge=_judge_ok_lines,
        ),
    )


@dataclass(frozen=True, kw_only=True)
class CheckResult:
    name: str
    description: str
    passed: bool
    detail: str = ""


def judge(check: Check, outcome: Outcome, facts: ImageFacts) -> CheckResult:
    problem = check.judge(outcome, facts)
    return CheckResult(
        name=check.name,
        description=check.description,
        passed=problem is None,
        detail=problem or "",
    )
