"""The CI flows, defined once: pull requests (from a fork and from the repository itself),
merges ("canary") and scheduled runs. Plain data, no I/O.

A Flow is a set of Stages (a GitHub Actions job each, or one local parallel task) that wait
for each other through `needs`; stages whose needs are met run in parallel. A Stage runs its
Steps in order, and every Step is a `hangar ...` command whose argv holds placeholders:

- `{name}` inside an argument is replaced by a value (`{sha}`, `{python}`, `{image}`, ...);
- an argument that is exactly `{*name}` expands to zero or more arguments (local overrides
  such as `--extras celery,postgres`; nothing on GitHub).

`workflows.py` renders the flows into .github/workflows/*.yml; `hangar ci run` executes the
same definition locally (see hangar.ci.runner).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hangar.errors import BadInput

CI_REPO = "{image}/ci"
SHA_TAG = "{sha}-python{python}"
LATEST_TAG = "latest-python{python}"
# upgraded constraints go inside the build context, so builds can use them
UPGRADED_DIR = "{context}/docker-context-files/ci-constraints"
UPGRADED_LOCATION = "ci-constraints/constraints-{airflow_version}/constraints-{python}.txt"
PLACEHOLDER = re.compile(r"\{(\*?)([a-z_]+)\}")

# the selective-checks outputs steps may be conditioned on (`when`)
CONDITIONS = (
    "ci-image",
    "prod-image",
    "run-tests",
    "upgrade-constraints",
    "push-constraints",
    "push-latest",
)


@dataclass(frozen=True, kw_only=True)
class Artifact:
    """Files one job hands to another: on GitHub an artifact per job (`<name>-<python>` for a
    matrix job), downloaded by pattern into the same folder; locally the folder itself.
    """

    name: str
    path: str  # a folder, with placeholders
    what: str  # the step names say "Upload <what>", "Download <what>"


CONSTRAINTS = Artifact(name="constraints", path=UPGRADED_DIR, what="the upgraded constraints")
# a fork's images, built where no write token is reachable, handed over as OCI archives
ARCHIVES = "{archives}"
CI_ARCHIVES = Artifact(name="ci-images", path=ARCHIVES + "/ci", what="the CI image archives")
PROD_ARCHIVES = Artifact(
    name="prod-images", path=ARCHIVES + "/prod", what="the PROD image archives"
)


@dataclass(frozen=True, kw_only=True)
class Step:
    name: str
    argv: tuple[str, ...]  # after `hangar`
    # selective-checks outputs that must all be "true" ("!x": must be "false")
    when: tuple[str, ...] = ()
    sets_outputs: bool = False  # the selective-checks step: its JSON decides the rest
    changes_state: bool = True  # False: a dry run still runs it
    # programs the step runs besides hangar, git and the engine: its job installs them (cosign)
    tools: tuple[str, ...] = ()
    # talks to the registry alone: no engine, no builder (its job sets up no buildx)
    registry_only: bool = False
    # pushes to the repository's own remote: on GitHub this step alone gets the job's token,
    # for git, through a credential helper that reads it from the environment
    git_push: bool = False

    def conditions(self) -> tuple[tuple[str, bool], ...]:
        """(output name, required value) pairs; () when the step always runs."""
        return tuple((w[1:], False) if w.startswith("!") else (w, True) for w in self.when)


@dataclass(frozen=True, kw_only=True)
class Stage:
    id: str
    title: str
    steps: tuple[Step, ...]
    needs: tuple[str, ...] = ()
    workflow: str  # the workflow file (without .yml) the stage is a job of
    per_python: bool = False  # one job per Python version of the matrix
    # token permissions beyond read: packages, contents; id-token (keyless signing)
    writes: frozenset[str] = frozenset()
    uploads: tuple[Artifact, ...] = ()
    downloads: tuple[Artifact, ...] = ()  # from its workflow's run, or from `after`'s
    # runs once the whole run of this workflow has ended (GitHub: a `workflow_run` trigger),
    # never beside it: the privileged half of a fork's pull request
    after: str | None = None
    # checks out the pull request's head commit, not the merge commit GitHub tests: the
    # images it archives carry the commit their tags and the push's check name
    head_checkout: bool = False


@dataclass(frozen=True, kw_only=True)
class Concurrency:
    """One run of the group at a time on GitHub: a newer run waits for the one in progress
    (`cancel_in_progress` False; GitHub keeps only the newest waiting run) or replaces it.
    """

    group: str
    cancel_in_progress: bool
    why: str  # written as a comment next to it


# canary and scheduled runs both move `latest`, push the registry cache and the constraints:
# one at a time, and never cut short (a cancelled run would stop between its tag moves)
MAIN_LINE = Concurrency(
    group="main-line",
    cancel_in_progress=False,
    why="moves latest, the registry cache and the constraints: one run at a time, never cut"
    " short; a newer run waits, and only the newest waiting one runs",
)


@dataclass(frozen=True, kw_only=True)
class Flow:
    name: str
    event: str  # the local `hangar ci run --event` value
    title: str
    stages: tuple[Stage, ...]
    condition: str | None = None  # GitHub expression telling this flow from its sibling
    workflows: Mapping[str, str] = field(default_factory=dict)  # workflow -> GitHub trigger
    concurrency: Concurrency | None = None  # its workflows' group on GitHub

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise KeyError(stage_id)

    def waits_for(self, stage: Stage) -> tuple[str, ...]:
        """The stages `stage` starts after: its needs, and every stage of the workflow whose
        run it follows.
        """
        after = tuple(s.id for s in self.stages if stage.after and s.workflow == stage.after)
        return (*stage.needs, *after)

    def waves(self) -> tuple[tuple[str, ...], ...]:
        """Stages grouped by depth: each group can run in parallel once the previous ran."""
        depth: dict[str, int] = {}
        for stage in self.stages:  # stages are listed after what they wait for (validate)
            depth[stage.id] = 1 + max((depth[n] for n in self.waits_for(stage)), default=-1)
        groups: dict[int, list[str]] = {}
        for stage_id, level in depth.items():
            groups.setdefault(level, []).append(stage_id)
        return tuple(tuple(groups[level]) for level in sorted(groups))


# -- steps ---------------------------------------------------------------------------------
def words(*parts: str) -> tuple[str, ...]:
    """Arguments from space-separated words (no argument here holds a space)."""
    return tuple(word for part in parts for word in part.split())


def selective_checks(event: str) -> Step:
    return Step(
        name="selective checks",
        argv=words(
            "ci selective-checks --event",
            event,
            "--base {base} --head {sha} --repo {context} {*selective_options}",
        ),
        sets_outputs=True,
        changes_state=False,
    )


def upgrade_constraints(*when: str) -> Step:
    return Step(
        name="generate upgraded constraints",
        argv=words(
            "constraints generate --airflow-version {airflow_version} --python {python}",
            "{*extras} --exclude-newer {upgrade_cutoff} --output-dir",
            UPGRADED_DIR,
        ),
        when=when,
    )


def _build(
    kind: str,
    tag: str,
    *,
    upgraded: bool,
    cache_to: bool = False,
    archived: bool = False,
    when: tuple[str, ...] = (),
) -> Step:
    """Build one image and push it, or (`archived`) leave it in an OCI archive to hand over."""
    repo = CI_REPO if kind == "ci" else "{image}"
    target = "ci" if kind == "ci" else "main"
    head = (
        ("ci", "build-image", "--target", target)
        if kind == "ci" or archived
        else ("image", "build")
    )
    argv = [*head, "--python", "{python}", "{*extras}", "--context", "{context}"]
    if upgraded:
        argv += ["--constraints-location", UPGRADED_LOCATION]
    argv += ["--tag", f"{repo}:{tag}"]
    argv += ["--archive", f"{ARCHIVES}/{kind}"] if archived else ["--push"]
    argv += ["--cache-from", repo]
    if cache_to:
        argv += ["--cache-to", repo]
    what = "original" if not upgraded else "upgraded"
    which = "latest" if tag == LATEST_TAG else "SHA"
    verb = "archive" if archived else "build"
    return Step(
        name=f"{verb} {kind.upper()} image {which} ({what} constraints)",
        argv=tuple(argv),
        when=when,
    )


def _wait(kind: str, *when: str) -> Step:
    repo = CI_REPO if kind == "ci" else "{image}"
    return Step(
        name=f"wait for the {kind.upper()} image",
        argv=words(f"ci wait-for-image {repo}:{SHA_TAG} --timeout {{wait_timeout}} --pull"),
        when=when,
    )


# the DAGs imported in the CI image (import errors, DAGs without tasks, cycles), then the
# DAG folder's own tests run there with pytest
CHECK_DAGS = Step(
    name="DAG check and DAG tests in the CI image",
    argv=("dags", "check", "{context}/{dags}", "--image", f"{CI_REPO}:{SHA_TAG}", "--pytest"),
    when=("run-tests",),
)
VERIFY_PROD = Step(
    name="verify the PROD image",
    argv=("image", "verify", f"{{image}}:{SHA_TAG}"),
    when=("prod-image",),
)
# every final version in the registry: scanned, patched (or rebuilt: setting refresh_mode)
# where Debian security updates are pending, checked, then its tags moved and signed keyless
# (the job's OIDC identity); a summary table
REFRESH_RELEASED = Step(
    name="re-release every released version with pending security updates",
    argv=words("image refresh-released --repository {image} --sign --keyless"),
    tools=("cosign",),
)
PUSH_ARCHIVES_CI, PUSH_ARCHIVES_PROD = (
    Step(
        name=f"push the {kind.upper()} image archives",
        argv=words(f"ci push-archive {ARCHIVES}/{kind} --image {repo} --commit {{sha}}"),
        registry_only=True,
    )
    for kind, repo in (("ci", CI_REPO), ("prod", "{image}"))
)
PUSH_CONSTRAINTS = Step(
    name="push constraints if they changed",
    argv=(
        *words("ci push-constraints --from", UPGRADED_DIR + "/constraints-{airflow_version}"),
        *words("--repo {constraints_repo} --remote {constraints_remote}"),
        *words("--branch {constraints_branch} --message"),
        "Update constraints after a green {event} run of {sha}",
    ),
    when=("push-constraints",),
    git_push=True,
)


# -- flows ---------------------------------------------------------------------------------
def _info(workflow: str, event: str, stage_id: str = "build-info") -> Stage:
    return Stage(
        id=stage_id,
        title="Build info: changed files, Python versions, images and tests to run",
        steps=(selective_checks(event),),
        workflow=workflow,
    )


def _built_here(kind: str, *when: str, archived: bool = False) -> tuple[Step, ...]:
    """Build one image under the commit SHA: with upgraded constraints when the setup
    changed, else with the original ones.
    """
    return (
        _build(
            kind, SHA_TAG, upgraded=True, archived=archived, when=(*when, "upgrade-constraints")
        ),
        _build(
            kind, SHA_TAG, upgraded=False, archived=archived, when=(*when, "!upgrade-constraints")
        ),
    )


def _pr_tests(*, fork: bool) -> tuple[Stage, ...]:
    """The `tests` workflow of a pull request: builds the images itself (same repository) or
    waits for the `build-images` workflow to push them (fork).
    """
    write = frozenset() if fork else frozenset({"packages"})
    ci_steps = (
        (_wait("ci", "ci-image"),)
        if fork
        else (
            upgrade_constraints("ci-image", "upgrade-constraints"),
            *_built_here("ci", "ci-image"),
        )
    )
    prod_steps = (_wait("prod", "prod-image"),) if fork else _built_here("prod", "prod-image")
    return (
        _info("tests", "pull_request"),
        Stage(
            id="ci-image",
            title="CI image [COMMIT_SHA]",
            steps=ci_steps,
            needs=("build-info",),
            workflow="tests",
            per_python=True,
            writes=write,
            uploads=() if fork else (CONSTRAINTS,),
        ),
        Stage(
            id="tests",
            title="Tests in the CI image",
            steps=(_wait("ci", "run-tests"), CHECK_DAGS),
            needs=("ci-image",),
            workflow="tests",
            per_python=True,
        ),
        Stage(
            id="prod-image",
            title="PROD image [COMMIT_SHA]",
            steps=prod_steps,
            needs=("ci-image",),
            workflow="tests",
            per_python=True,
            writes=write,
            downloads=() if fork else (CONSTRAINTS,),
        ),
        Stage(
            id="verify-prod",
            title="Verify the PROD image",
            steps=(_wait("prod", "prod-image"), VERIFY_PROD),
            needs=("prod-image",),
            workflow="tests",
            per_python=True,
        ),
    )


def _fork_builds() -> tuple[Stage, ...]:
    """A fork's pull request, its images built in `build-images` (`pull_request`: a read-only
    token, no secret) into OCI archives, handed over as artifacts to `push-images`, which runs
    only after that whole run has ended, with the repository's own files, and pushes them
    under the commit SHA (`hangar ci push-archive`: checked as data, nothing of them run).
    """
    return (
        _info("build-images", "pull_request", "build-info-images"),
        Stage(
            id="build-ci-image",
            title="Build the CI image [COMMIT_SHA] into an archive",
            steps=(
                upgrade_constraints("ci-image", "upgrade-constraints"),
                *_built_here("ci", "ci-image", archived=True),
            ),
            needs=("build-info-images",),
            workflow="build-images",
            per_python=True,
            uploads=(CONSTRAINTS, CI_ARCHIVES),
            head_checkout=True,
        ),
        Stage(
            id="build-prod-image",
            title="Build the PROD image [COMMIT_SHA] into an archive",
            steps=_built_here("prod", "prod-image", archived=True),
            needs=("build-ci-image",),
            workflow="build-images",
            per_python=True,
            downloads=(CONSTRAINTS,),
            uploads=(PROD_ARCHIVES,),
            head_checkout=True,
        ),
        Stage(
            id="push-images",
            title="Check and push the archived images [COMMIT_SHA]",
            steps=(PUSH_ARCHIVES_CI, PUSH_ARCHIVES_PROD),
            workflow="push-images",
            after="build-images",
            writes=frozenset({"packages"}),
            downloads=(CI_ARCHIVES, PROD_ARCHIVES),
        ),
    )


def _main_line(workflow: str, event: str) -> tuple[Stage, ...]:
    """Canary and scheduled runs: always upgrade, push an early cache, build, verify, test,
    push constraints if they changed, then build and push `latest` images and cache.
    """
    packages = frozenset({"packages"})
    return (
        _info(workflow, event),
        Stage(
            id="early-cache",
            title="Early CI image cache + latest (original constraints)",
            steps=(_build("ci", LATEST_TAG, upgraded=False, cache_to=True),),
            needs=("build-info",),
            workflow=workflow,
            per_python=True,
            writes=packages,
        ),
        Stage(
            id="ci-image",
            title="CI image [COMMIT_SHA], dependencies upgraded",
            steps=(upgrade_constraints(), _build("ci", SHA_TAG, upgraded=True)),
            needs=("build-info",),
            workflow=workflow,
            per_python=True,
            writes=packages,
            uploads=(CONSTRAINTS,),
        ),
        Stage(
            id="tests",
            title="Tests in the CI image",
            steps=(_wait("ci"), CHECK_DAGS),
            needs=("ci-image",),
            workflow=workflow,
            per_python=True,
        ),
        Stage(
            id="prod-image",
            title="PROD image [COMMIT_SHA]",
            steps=(_build("prod", SHA_TAG, upgraded=True),),
            needs=("ci-image",),
            workflow=workflow,
            per_python=True,
            writes=packages,
            downloads=(CONSTRAINTS,),
        ),
        Stage(
            id="verify-prod",
            title="Verify the PROD image",
            steps=(_wait("prod"), VERIFY_PROD),
            needs=("prod-image",),
            workflow=workflow,
            per_python=True,
        ),
        Stage(
            id="push-constraints",
            title="Push constraints if changed",
            steps=(PUSH_CONSTRAINTS,),
            needs=("tests", "verify-prod"),
            workflow=workflow,
            writes=frozenset({"contents"}),
            downloads=(CONSTRAINTS,),
        ),
        Stage(
            id="latest-images",
            title="CI and PROD images [latest] and their cache (pushed constraints)",
            steps=(
                _build("ci", LATEST_TAG, upgraded=True, cache_to=True, when=("push-latest",)),
                _build("prod", LATEST_TAG, upgraded=True, cache_to=True, when=("push-latest",)),
            ),
            needs=("push-constraints",),
            workflow=workflow,
            per_python=True,
            writes=packages,
            downloads=(CONSTRAINTS,),
        ),
    )


FORK = "github.event.pull_request.head.repo.full_name != github.repository"
SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"

FLOWS: tuple[Flow, ...] = (
    Flow(
        name="pull-request-fork",
        event="pull_request_fork",
        title="Pull request from a fork: images built read-only, archived, pushed after",
        stages=(*_fork_builds(), *_pr_tests(fork=True)),
        condition=FORK,
        workflows={
            "build-images": "pull_request",
            "push-images": "workflow_run",
            "tests": "pull_request",
        },
    ),
    Flow(
        name="pull-request",
        event="pull_request",
        title="Pull request from the repository: images built in the tests workflow",
        stages=_pr_tests(fork=False),
        condition=SAME_REPO,
        workflows={"tests": "pull_request"},
    ),
    Flow(
        name="canary",
        event="push",
        title="Merge (canary): upgrade, test, push constraints, latest images and cache",
        stages=_main_line("canary", "push"),
        workflows={"canary": "push"},
        concurrency=MAIN_LINE,
    ),
    Flow(
        name="scheduled",
        event="schedule",
        title="Scheduled: like canary, from the latest cache",
        stages=_main_line("scheduled", "schedule"),
        workflows={"scheduled": "schedule"},
        concurrency=MAIN_LINE,
    ),
    Flow(
        name="refresh",
        event="refresh",
        title="Refresh: released images with pending Debian security updates, re-released",
        stages=(
            _info("refresh", "schedule"),
            Stage(
                id="refresh-released",
                title="Scan every released version; patch or rebuild, check, release",
                steps=(REFRESH_RELEASED,),
                needs=("build-info",),
                workflow="refresh",
                writes=frozenset({"packages", "id-token"}),
            ),
        ),
        workflows={"refresh": "refresh"},
        concurrency=Concurrency(
            group="refresh",
            cancel_in_progress=False,
            why="re-releases move released tags and sign them: a second run (weekly or by"
            " hand) waits for the first to finish rather than racing it on the same tags",
        ),
    ),
)
EVENTS = tuple(f.event for f in FLOWS)


def flow_for(event: str, flows: Sequence[Flow] = FLOWS) -> Flow:
    for flow in flows:
        if flow.event == event:
            return flow
    raise BadInput(f"no CI flow for event {event!r}", hint=f"use one of {', '.join(EVENTS)}")


def validate(flow: Flow) -> None:
    """Stage ids unique, needs listed earlier and in the same workflow (GitHub's `needs` does
    not reach into another workflow), a followed workflow defined earlier, conditions known:
    raise ValueError if not.
    """
    seen: dict[str, Stage] = {}
    for stage in flow.stages:
        if stage.id in seen:
            raise ValueError(f"{flow.name}: stage {stage.id} defined twice")
        missing = [n for n in stage.needs if n not in seen]
        if missing:
            raise ValueError(f"{flow.name}: {stage.id} needs {missing} defined before it")
        elsewhere = [n for n in stage.needs if seen[n].workflow != stage.workflow]
        if elsewhere:
            raise ValueError(f"{flow.name}: {stage.id} needs {elsewhere} of another workflow")
        if stage.workflow not in flow.workflows:
            raise ValueError(f"{flow.name}: {stage.id} in unknown workflow {stage.workflow}")
        if stage.after is not None and not any(s.workflow == stage.after for s in seen.values()):
            raise ValueError(f"{flow.name}: {stage.id} follows {stage.after}, not defined before")
        for step in stage.steps:
            for name, _value in step.conditions():
                if name not in CONDITIONS:
                    raise ValueError(f"{flow.name}: {step.name} conditioned on unknown {name}")
        seen[stage.id] = stage


def placeholders(argv: Sequence[str]) -> frozenset[str]:
    return frozenset(m.group(2) for arg in argv for m in PLACEHOLDER.finditer(arg))


def expand(
    argv: Sequence[str], values: Mapping[str, str], lists: Mapping[str, Sequence[str]]
) -> tuple[str, ...]:
    """Fill the placeholders: `{*name}` arguments from `lists`, `{name}` from `values`."""
    out: list[str] = []
    for arg in argv:
        star = PLACEHOLDER.fullmatch(arg)
        if star and star.group(1):
            out += list(lists.get(star.group(2), ()))
            continue

        def fill(match: re.Match[str]) -> str:
            name = match.group(2)
            if name not in values:
                raise BadInput(f"no value for {{{name}}} in `{' '.join(argv)}`")
            return values[name]

        out.append(PLACEHOLDER.sub(fill, arg))
    return tuple(out)
