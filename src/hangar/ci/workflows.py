"""Render the CI flows into GitHub Actions workflow files (.github/workflows/ci-*.yml).

Pure and deterministic: the same flows give the same bytes, so a test re-renders and compares
with the committed files. YAML is written by hand (a small, fixed shape), every value that
could hold a special character is quoted.

Flows sharing a workflow file (the two pull-request flows share `tests`) are merged: a job
both define is rendered once, steps that differ carry the flow's condition; a job only one
defines carries it at job level. Placeholders become job environment variables filled from
GitHub expressions, and `run:` lines refer to them as "${CI_X}", so no expression is ever
pasted into a shell script.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from hangar.ci.actions import pinned_actions
from hangar.ci.flows import (
    FLOWS,
    PLACEHOLDER,
    Flow,
    Stage,
    Step,
    placeholders,
)
from hangar.ci.selective import OUTPUT_KEYS

REGENERATE = "hangar ci workflows --write"
DAGS = "tests/image/dags"  # the DAG folder the CI image imports
FOLDER = ".github/workflows"
ARCHIVES = "image-archives"  # where the image archives are handed over, in the workspace
CONSTRAINTS_BRANCH = "constraints-main"
TITLES = {
    "tests": "CI tests (pull request)",
    "build-images": "CI build images (pull request from a fork)",
    "push-images": "CI push images (pull request from a fork)",
    "canary": "CI canary (merge to main)",
    "scheduled": "CI scheduled",
    "refresh": "CI refresh (released images, security updates)",
}
TRIGGERS = {
    "pull_request": ("  pull_request:", "    branches: [main]"),
    # accepted (zizmor's dangerous-triggers): the fork flow's privileged half exists to push
    # the images a fork's run archived; it runs only the default branch's files, and reads
    # the archives as data (docs/guide/ci.md, "Security of the pull-request workflows")
    "workflow_run": (
        (
            "  workflow_run:  # zizmor: ignore[dangerous-triggers] pushes the archived images of"
            " a fork's run; runs none of the fork's files (docs/guide/ci.md: Security of the"
            " pull-request workflows)"
        ),
        "    workflows: [{after}]",
        "    types: [completed]",
    ),
    "push": ("  push:", "    branches: [main]"),
    "schedule": ("  schedule:", '    - cron: "28 3 * * *"', "  workflow_dispatch: {}"),
    "refresh": ("  schedule:", '    - cron: "17 4 * * 1"', "  workflow_dispatch: {}"),
}
# git's credentials for a step that pushes (Step.git_push): the job's token, read by a
# credential helper from the step's environment, so no checkout keeps it on disk and no
# command line carries it
GIT_TOKEN_ENV = (
    ("GITHUB_TOKEN", "${{ github.token }}"),
    ("GIT_CONFIG_COUNT", "1"),
    ("GIT_CONFIG_KEY_0", "credential.helper"),
    (
        "GIT_CONFIG_VALUE_0",
        (
            '!f() { test "$1" = get && echo username=x-access-token && '
            'echo "password=${GITHUB_TOKEN}"; }; f'
        ),
    ),
)
# the cosign the signing jobs install: the release hangar is tested with (Debian 13's cosign)
COSIGN_RELEASE = "v2.5.0"
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")


@dataclass(frozen=True, kw_only=True)
class Part:
    """One flow's definition of a job (stage) of a workflow file."""

    flow: Flow
    stage: Stage


# a `workflow_run` job acts on the run of a fork's pull request that passed, and on nothing else
FORK_RUN = (
    "github.event.workflow_run.event == 'pull_request'"
    " && github.event.workflow_run.conclusion == 'success'"
    " && github.event.workflow_run.head_repository.full_name != github.repository"
)


def github_values(info: str | None, *, trigger: str) -> dict[str, str]:
    """What each placeholder is on GitHub (`info`: the job holding the selective checks)."""
    return {
        "sha": (
            "${{ github.event.workflow_run.head_sha }}"
            if trigger == "workflow_run"
            else "${{ github.event.pull_request.head.sha || github.sha }}"
        ),
        "base": "${{ github.event.pull_request.base.sha || github.event.before }}",
        "event": "${{ github.event_name }}",
        "python": "${{ matrix.python }}",
        "image": "ghcr.io/${{ github.repository }}",
        "airflow_version": f"${{{{ needs.{info}.outputs.airflow-version }}}}",
        "upgrade_cutoff": f"${{{{ needs.{info}.outputs.upgrade-cutoff }}}}",
        "context": ".",
        "archives": ARCHIVES,
        "wait_timeout": "3600",
        "dags": DAGS,
        # the hangar checkout: its remote holds the constraints branch (or will, after the
        # first push: an orphan branch holding the first constraints)
        "constraints_repo": ".",
        "constraints_remote": "origin",
        "constraints_branch": CONSTRAINTS_BRANCH,
    }


LOWERCASE = frozenset({"image"})


def env_name(placeholder: str) -> str:
    return "CI_" + placeholder.upper()


def shell_line(argv: Sequence[str]) -> str:
    """`hangar ...` with placeholders as "${CI_X}"; `{*x}` arguments (local-only) dropped."""
    words = ["hangar"]
    for arg in argv:
        match = PLACEHOLDER.fullmatch(arg)
        if match and match.group(1):
            continue
        if PLACEHOLDER.search(arg):
            inner = PLACEHOLDER.sub(lambda m: _expansion(m.group(2)), arg)
            words.append(f'"{inner}"')
        else:
            words.append(shlex.quote(arg))
    return " ".join(words)


def _expansion(placeholder: str) -> str:
    """The shell expansion of a placeholder's variable; image references are lowercased
    (bash's `${X,,}`): `ghcr.io/${{ github.repository }}` keeps the owner's capitals, which
    no image reference may have.
    """
    return "${" + env_name(placeholder) + (",," if placeholder in LOWERCASE else "") + "}"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _info_id(parts: Sequence[Part]) -> str | None:
    """The job holding the selective checks; None in a workflow that has none (one that
    follows another's run and decides nothing).
    """
    for part in parts:
        if any(step.sets_outputs for step in part.stage.steps):
            return part.stage.id
    return None


def _condition(step: Step, info: str | None, flow_condition: str | None) -> str | None:
    terms = [
        f"needs.{info}.outputs.{name} == '{'true' if value else 'false'}'"
        for name, value in step.conditions()
    ]
    if flow_condition is not None:
        terms.insert(0, f"({flow_condition})")
    return " && ".join(terms) or None


def _uses(
    name: str, action: str, with_: Sequence[tuple[str, str]], cond: str | None = None
) -> list[str]:
    lines = [f"      - name: {name}"]
    if cond:
        lines.append(f"        if: {cond}")
    lines.append(f"        uses: {pinned_actions()[action].uses}")
    if with_:
        lines.append("        with:")
        lines += [f"          {k}: {v}" for k, v in with_]
    return lines


def _run(step: Step, cond: str | None) -> list[str]:
    lines = [f"      - name: {_quote(step.name)}"]
    if step.sets_outputs:
        lines.append("        id: selective-checks")
    if cond:
        lines.append(f"        if: {cond}")
    run = shell_line(step.argv)
    if step.sets_outputs:
        run += ' --github-output "${GITHUB_OUTPUT}"'
    if step.git_push:
        lines.append("        env:")
        lines += [f"          {k}: {_quote(v)}" for k, v in GIT_TOKEN_ENV]
    lines.append(f"        run: {run}")
    return lines


def _job(
    job_id: str, parts: Sequence[Part], *, info: str | None, all_flows: int, trigger: str
) -> str:
    stage = parts[0].stage
    shared = len(parts) == all_flows
    values = github_values(info, trigger=trigger)
    writes: frozenset[str] = frozenset().union(*(p.stage.writes for p in parts))
    lines = [
        *_job_head(job_id, parts, info=info, shared=shared, writes=writes, trigger=trigger),
        *_job_env(parts, values),
        "    steps:",
        *_setup_steps(
            job_id,
            info=info,
            head=stage.head_checkout,
            images=uses_images(stage, writes),
            builds=("packages" in writes or stage.head_checkout)
            and not all(s.registry_only for part in parts for s in part.stage.steps),
            tools=frozenset(tool for part in parts for s in part.stage.steps for tool in s.tools),
        ),
        *_artifact_steps(parts, shared=shared, values=values, trigger=trigger, upload=False),
    ]
    lines += _hangar_steps(parts, info=info, shared=shared)
    lines += _artifact_steps(parts, shared=shared, values=values, trigger=trigger, upload=True)
    return "\n".join(lines) + "\n"


def uses_images(stage: Stage, writes: frozenset[str]) -> bool:
    """A job that builds, pulls or pushes images: it logs in to the registry."""
    return stage.per_python or "packages" in writes


def permissions(
    stage: Stage, writes: frozenset[str], *, trigger: str = "push"
) -> tuple[tuple[str, str, str], ...]:
    """(scope, level, why) of each token permission the job gets; nothing else is granted."""
    granted = [
        ("contents", "write", "pushes the constraints branch")
        if "contents" in writes
        else ("contents", "read", "checks out the repository")
    ]
    if "packages" in writes:
        granted.append(("packages", "write", "pushes images and the registry cache"))
    elif uses_images(stage, writes):
        granted.append(("packages", "read", "pulls images and the registry cache"))
    if "id-token" in writes:
        granted.append(("id-token", "write", "signs keyless: the job's OIDC identity"))
    if trigger == "workflow_run" and stage.downloads:
        granted.append(("actions", "read", "downloads the artifacts of the run it follows"))
    return tuple(granted)


def _job_head(
    job_id: str,
    parts: Sequence[Part],
    *,
    info: str | None,
    shared: bool,
    writes: frozenset[str],
    trigger: str,
) -> list[str]:
    """The job's name, condition, needs, runner, permissions, matrix and outputs."""
    stage = parts[0].stage
    lines = [f"  {job_id}:", f"    name: {_quote(stage.title)}"]
    if trigger == "workflow_run":
        lines.append(f"    if: {FORK_RUN}")
    elif not shared:
        conditions = [p.flow.condition for p in parts if p.flow.condition]
        lines.append(f"    if: {' || '.join(f'({c})' for c in conditions)}")
    needs = _needs(job_id, stage, info)
    if needs:
        lines.append(f"    needs: [{', '.join(needs)}]")
    lines.append("    runs-on: ubuntu-latest")
    lines.append("    permissions:")
    granted = permissions(stage, writes, trigger=trigger)
    lines += [f"      {name}: {level}  # {why}" for name, level, why in granted]
    if stage.per_python:
        lines += [
            "    strategy:",
            "      fail-fast: false",
            "      matrix:",
            f"        python: ${{{{ fromJSON(needs.{info}.outputs.python-versions) }}}}",
        ]
    if job_id == info:
        lines.append("    outputs:")
        lines += [
            f"      {key}: ${{{{ steps.selective-checks.outputs.{key} }}}}" for key in OUTPUT_KEYS
        ]
    return lines


def _job_env(parts: Sequence[Part], values: dict[str, str]) -> list[str]:
    """The job's environment: the placeholders its steps use, the bot's git identity."""
    used = sorted(set().union(*(placeholders(s.argv) for p in parts for s in p.stage.steps)))
    used = [u for u in used if u in values]
    env = [(env_name(u), values[u]) for u in used]
    if any(step.git_push for part in parts for step in part.stage.steps):
        env += [("GIT_AUTHOR_NAME", BOT[0]), ("GIT_AUTHOR_EMAIL", BOT[1])]
        env += [("GIT_COMMITTER_NAME", BOT[0]), ("GIT_COMMITTER_EMAIL", BOT[1])]
    if not env:
        return []
    return ["    env:", *(f"      {k}: {_quote(v)}" for k, v in env)]


def _setup_steps(
    job_id: str,
    *,
    info: str | None,
    head: bool,
    images: bool,
    builds: bool,
    tools: frozenset[str],
) -> list[str]:
    """The checkout, Python and hangar, the registry login, buildx and the tools the job
    needs.
    """
    checkout = [("persist-credentials", "false")]
    if head:
        checkout.append(("ref", "${{ github.event.pull_request.head.sha }}"))
    if job_id == info:
        checkout.append(("fetch-depth", "0"))
    lines = _uses("Check out hangar", "checkout", checkout)
    lines += _uses("Set up Python", "setup-python", [("python-version", '"3.11"')])
    lines += ["      - name: Install hangar", "        run: python -m pip install ."]
    if images:
        lines += _uses(
            "Log in to the registry",
            "login",
            [
                ("registry", "ghcr.io"),
                ("username", "${{ github.actor }}"),
                ("password", "${{ secrets.GITHUB_TOKEN }}"),
            ],
        )
    if builds:
        lines += _uses("Set up buildx", "buildx", [])
    if "cosign" in tools:
        lines += _uses(
            "Install cosign (checked by the installer)",
            "cosign-installer",
            [("cosign-release", COSIGN_RELEASE)],
        )
    return lines


def _artifact_steps(
    parts: Sequence[Part],
    *,
    shared: bool,
    values: dict[str, str],
    trigger: str,
    upload: bool,
) -> list[str]:
    """Download (before its steps) or upload (after) each artifact the job hands over: once
    when every flow does the same, else each flow's under its condition. A job following
    another workflow's run downloads from that run.
    """
    same = _same_io(parts)
    lines: list[str] = []
    for part in parts if not same else parts[:1]:
        cond = f"({part.flow.condition})" if shared and not same and part.flow.condition else None
        for artifact in part.stage.uploads if upload else part.stage.downloads:
            folder = PLACEHOLDER.sub(lambda m: values[m.group(2)], artifact.path)
            if upload:
                lines += _uses(
                    f"Upload {artifact.what}",
                    "upload",
                    [
                        ("name", f"{artifact.name}-${{{{ matrix.python }}}}"),
                        ("path", folder),
                        ("if-no-files-found", "ignore"),
                    ],
                    cond,
                )
                continue
            with_ = [
                ("pattern", f"{artifact.name}-*"),
                ("merge-multiple", "true"),
                ("path", folder),
            ]
            if trigger == "workflow_run":
                with_ += [
                    ("run-id", "${{ github.event.workflow_run.id }}"),
                    ("github-token", "${{ github.token }}"),
                ]
            lines += _uses(f"Download {artifact.what}", "download", with_, cond)
    return lines


def _hangar_steps(parts: Sequence[Part], *, info: str | None, shared: bool) -> list[str]:
    """The stage's own steps: once when every flow runs the same ones, else each flow's
    under its condition.
    """
    steps_differ = len({p.stage.steps for p in parts}) > 1
    lines: list[str] = []
    for part in parts:
        flow_cond = part.flow.condition if shared and steps_differ else None
        for step in part.stage.steps:
            lines += _run(step, _condition(step, info, flow_cond))
        if not steps_differ:
            break
    return lines


def _same_io(parts: Sequence[Part]) -> bool:
    return len({(p.stage.uploads, p.stage.downloads) for p in parts}) == 1


def render(workflow: str, flows: Sequence[Flow] = FLOWS) -> str:
    """The text of `.github/workflows/ci-<workflow>.yml`."""
    contributing = [f for f in flows if workflow in f.workflows]
    triggers = {f.workflows[workflow] for f in contributing}
    if len(triggers) != 1:
        raise ValueError(f"workflow {workflow}: flows disagree on the trigger {triggers}")
    trigger = triggers.pop()
    jobs = _jobs_of(workflow, contributing)
    info = _info_id([p for parts in jobs.values() for p in parts])
    # flows told apart by a condition (the two pull-request flows) share their event: a job
    # is unconditional only when every one of them defines it
    siblings = [f for f in flows if f.condition is not None]
    conditional = all(f.condition is not None for f in contributing)
    all_flows = len(siblings) if conditional else len(contributing)
    check_merge(workflow, jobs, all_flows)
    head = [
        "# Generated from hangar's CI flows (src/hangar/ci/flows.py): do not edit.",
        f"# Regenerate with: {REGENERATE}",
        f"name: {_quote(TITLES[workflow])}",
        "on:",
        *_trigger(trigger, jobs),
        "permissions:",
        "  contents: read",
    ]
    if trigger.startswith("pull_request"):
        head += [
            "# a new push to the pull request replaces the run of the older commit",
            "concurrency:",
            "  group: ${{ github.workflow }}-${{ github.event.pull_request.number }}",
            "  cancel-in-progress: true",
        ]
    if trigger == "workflow_run":  # GitHub lists no pull request in a fork's workflow_run
        head += [
            "# a newer commit of the same fork branch replaces the push of the older one",
            "concurrency:",
            (
                "  group: ${{ github.workflow }}-${{ github.event.workflow_run.head_repository"
                ".full_name }}-${{ github.event.workflow_run.head_branch }}"
            ),
            "  cancel-in-progress: true",
        ]
    groups = {f.concurrency for f in contributing if f.concurrency is not None}
    if len(groups) > 1:
        raise ValueError(f"workflow {workflow}: flows disagree on the concurrency group")
    for group in groups:
        head += [
            f"# {group.why}",
            "concurrency:",
            f"  group: {group.group}",
            f"  cancel-in-progress: {'true' if group.cancel_in_progress else 'false'}",
        ]
    head.append("jobs:")
    body = "\n".join(
        _job(job_id, parts, info=info, all_flows=all_flows, trigger=trigger)
        for job_id, parts in jobs.items()
    )
    return "\n".join(head) + "\n" + body


def _trigger(trigger: str, jobs: dict[str, list[Part]]) -> tuple[str, ...]:
    """The `on:` lines; a workflow following another's run names that workflow."""
    after = {p.stage.after for parts in jobs.values() for p in parts if p.stage.after}
    if trigger == "workflow_run" and len(after) != 1:
        raise ValueError(f"a workflow_run workflow follows one workflow, not {sorted(after)}")
    followed = _quote(TITLES[after.pop()]) if after else ""
    return tuple(line.replace("{after}", followed) for line in TRIGGERS[trigger])


def _jobs_of(workflow: str, flows: Sequence[Flow]) -> dict[str, list[Part]]:
    """Job id -> each flow's stage of that job, in the order the flows list them."""
    jobs: dict[str, list[Part]] = {}
    for flow in flows:
        for stage in flow.stages:
            if stage.workflow == workflow:
                jobs.setdefault(stage.id, []).append(Part(flow=flow, stage=stage))
    return jobs


def _needs(job_id: str, stage: Stage, info: str | None) -> tuple[str, ...]:
    """The jobs a job waits for: the selective-checks job, then its stage's needs."""
    first = (info,) if info else ()
    return tuple(n for n in dict.fromkeys((*first, *stage.needs)) if n != job_id)


def workflow_needs(flows: Sequence[Flow] = FLOWS) -> dict[str, dict[str, tuple[str, ...]]]:
    """File name -> job id -> the jobs it waits for, as the rendered files say."""
    found = {}
    for name in _workflow_names(flows):
        jobs = _jobs_of(name, [f for f in flows if name in f.workflows])
        info = _info_id([p for parts in jobs.values() for p in parts])
        found[_file_name(name)] = {
            job_id: _needs(job_id, parts[0].stage, info) for job_id, parts in jobs.items()
        }
    return found


def _workflow_names(flows: Sequence[Flow]) -> list[str]:
    return sorted({w for f in flows for w in f.workflows})


def _file_name(workflow: str) -> str:
    return f"ci-{workflow}.yml"


def check_merge(workflow: str, jobs: dict[str, list[Part]], all_flows: int) -> None:
    """A job shared by the flows must wait for the same jobs in each; a job only some flows
    define must not be needed by a shared job (GitHub would skip the shared one).
    """
    shared = {job_id for job_id, parts in jobs.items() if len(parts) == all_flows}
    for job_id, parts in jobs.items():
        if len({(p.stage.needs, p.stage.per_python) for p in parts}) > 1:
            raise ValueError(f"{workflow}: job {job_id} differs in needs between flows")
        if job_id in shared:
            for need in parts[0].stage.needs:
                if need not in shared:
                    raise ValueError(f"{workflow}: shared job {job_id} needs {need}")


def workflow_files(flows: Sequence[Flow] = FLOWS) -> dict[str, str]:
    """File name under .github/workflows -> text, for every workflow of the flows."""
    return {_file_name(name): render(name, flows) for name in _workflow_names(flows)}
