"""`hangar image release VERSION`: tag the per-Python images of a version as released
(`X.Y.Z-pythonA.B`, `X.Y.Z`, `latest-pythonA.B`, `latest`, or their `slim-` variants, and each
image's dated tag), check every tag's digest; `--patch`, `--refresh-base` and `--rollback`
keep a released version patched (cli/image/rerelease.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import rich_click as click

from hangar.app import App
from hangar.cli import render
from hangar.cli.builds import release_bare_python, release_requirement
from hangar.cli.image.rerelease import (
    date_of,
    run_every_released,
    run_rerelease,
    run_rollback,
    show_every_released,
    show_rerelease,
)
from hangar.cli.image.sign import KEY_HELP, KEY_TYPE, KEYLESS_HELP, sign_released, signing_key
from hangar.cli.options import current_app, output_option
from hangar.config import Config
from hangar.errors import BadInput, StepFailed
from hangar.image.building.plan import resolve_pythons
from hangar.image.building.tags import check_date
from hangar.image.releasing.release import (
    DEFAULT_SOURCE,
    SOURCE_FIELDS,
    ReleaseParams,
    ReleasePlan,
    ReleaseResult,
    execute_release,
    plan_release,
)
from hangar.image.releasing.rerelease import KeptTag, reachable_tags, rollback_plan
from hangar.image.trust.sign import Signing, plan_refs, release_refs
from hangar.ports import Registry
from hangar.values import parse_ref, validate_airflow_version

F = TypeVar("F", bound=Callable[..., Any])


# -- options, shared by the release commands ---------------------------------------------------
def _options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


PYTHONS = click.option(
    "--python",
    "pythons",
    multiple=True,
    metavar="A.B",
    help="Python version(s) to release (repeatable or comma-separated; default: all configured).",
)
SLIM = click.option("--slim", is_flag=True, help="The slim images (no extras): `slim-` tags.")
SOURCE = _options(
    click.option(
        "--source",
        default=None,
        metavar="PATTERN",
        help=f"Where each Python's image is now (default `{DEFAULT_SOURCE}`; fields: "
        f"{SOURCE_FIELDS}).",
    ),
    click.option(
        "--skip-latest",
        is_flag=True,
        help="Never move the `latest` tags (old-branch patch releases).",
    ),
)
WHERE = _options(
    click.option(
        "--repository",
        metavar="REGISTRY/NAME",
        default=None,
        help="Where the tags are, e.g. ghcr.io/org/airflow (instead of --registry, --image-name).",
    ),
    click.option(
        "--registry", default=None, help="Registry to release to (default: config `registry`)."
    ),
    click.option(
        "--image-name",
        default=None,
        help="Repository name in the registry (default: config `image_name`).",
    ),
)
DATE = click.option(
    "--date",
    metavar="YYYYMMDD",
    default=None,
    help="The date of the dated tags this run publishes (default: today, UTC).",
)
DRY_RUN = click.option(
    "--dry-run",
    is_flag=True,
    help="Show the whole plan (tags, digests, signing) and change nothing.",
)
SIGN = _options(
    click.option(
        "--sign",
        is_flag=True,
        help="Sign every digest the run moves a tag to and attest its SBOM and provenance "
        "(with --key, or --keyless).",
    ),
    click.option("--key", type=KEY_TYPE, default=None, metavar="COSIGN.KEY", help=KEY_HELP),
    click.option("--keyless", is_flag=True, help=KEYLESS_HELP),
)
# the options of the commands that publish new images of a released version
REPUBLISH = _options(PYTHONS, SLIM, WHERE, DATE, SIGN, output_option)
MODES = {"release", "patch", "refresh", "rollback", "every-released"}
# the old spellings of `hangar image release`, kept for one release: flag -> the new command
OLD_SPELLINGS = {
    "--patch": "hangar image patch VERSION",
    "--refresh-base": "hangar image refresh-base VERSION",
    "--rollback": "hangar image rollback VERSION --to YYYYMMDD",
    "--every-released": "hangar image refresh-released",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Asked:
    """What one release command asks for; `mode`: one of MODES."""

    mode: str
    version: str | None = None
    pythons: tuple[str, ...] = ()
    slim: bool = False
    source: str | None = None
    skip_latest: bool = False
    rollback: str | None = None  # the date a rollback returns to
    every_mode: str | None = None  # refresh-released: patch or refresh (None: the setting)
    repository: str | None = None
    date: str | None = None
    registry: str | None = None
    image_name: str | None = None
    dry_run: bool = False
    sign: bool = False
    key: Path | None = None
    keyless: bool = False
    output: str = "text"


@click.command(name="release")
@click.argument("version", required=False)
@PYTHONS
@SLIM
@SOURCE
@click.option("--patch", is_flag=True, hidden=True)
@click.option("--refresh-base", is_flag=True, hidden=True)
@click.option("--rollback", metavar="YYYYMMDD", default=None, hidden=True)
@click.option("--every-released", is_flag=True, hidden=True)
@WHERE
@DATE
@DRY_RUN
@SIGN
@output_option
def command(
    *,
    version: str | None,
    patch: bool,
    refresh_base: bool,
    rollback: str | None,
    every_released: bool,
    **given: Any,  # noqa: ANN401 -- click's shared options, checked by Asked
) -> None:
    """Tag VERSION's per-Python images as a release and check every tag resolves to the digest
    it should. Pre-releases and versions older than the newest release never move `latest`.
    Every image also gets an immutable dated tag (`X.Y.Z-pythonA.B-YYYYMMDD`).

    Keeping a released version patched: `hangar image patch`, `refresh-base`, `rollback` and
    `refresh-released`.

    Exit codes: 0 released (or planned), 1 a tag or a check failed, 4 registry unreachable,
    5 bad version or Python, 8 a source image is missing.
    """
    old = [
        flag
        for flag, on in (
            ("--patch", patch),
            ("--refresh-base", refresh_base),
            ("--rollback", rollback),
            ("--every-released", every_released),
        )
        if on
    ]
    if len(old) > 1:
        raise BadInput(f"{' and '.join(old)} cannot go together", hint="choose one")
    for flag in old:
        render.note(
            f"`hangar image release {flag}` is now `{OLD_SPELLINGS[flag]}`; this spelling goes"
            " in the next release"
        )
    if every_released and version:
        raise BadInput("--every-released takes no VERSION", hint="drop it")
    every_mode = None
    mode = "release"
    if patch or refresh_base:
        every_mode = mode = "patch" if patch else "refresh"
    if rollback:
        mode = "rollback"
    if every_released:
        mode = "every-released"
    run(Asked(mode=mode, version=version, rollback=rollback, every_mode=every_mode, **given))


@click.command(name="patch")
@click.argument("version", required=False)
@REPUBLISH
def patch_command(*, version: str | None, **given: Any) -> None:  # noqa: ANN401 -- click's shared options, checked by Asked
    """Add one layer of the pending Debian security updates to each of VERSION's released
    images (default: the config's `airflow_version`), check it, publish it under a dated tag,
    then move the version's tags (the old images keep dated tags).

    Exit codes: 0 patched (or nothing pending), 1 a check or a tag failed, 4 registry
    unreachable, 5 bad input.
    """
    run(Asked(mode="patch", version=version, **given))


@click.command(name="refresh-base")
@click.argument("version", required=False)
@REPUBLISH
def refresh_base_command(*, version: str | None, **given: Any) -> None:  # noqa: ANN401 -- click's shared options, checked by Asked
    """Rebuild each of VERSION's released images on the current base from its released inputs
    (constraints, extras), check it, publish it under a dated tag, then move the tags.

    Exit codes: 0 refreshed (or nothing pending), 1 a build, a check or a tag failed, 4 registry
    unreachable, 5 bad input.
    """
    run(Asked(mode="refresh", version=version, **given))


@click.command(name="rollback")
@click.argument("version", required=False)
@click.option(
    "--to",
    "to",
    required=True,
    metavar="YYYYMMDD",
    help="Move the version's tags back to its images of that date (their dated tags).",
)
@PYTHONS
@SLIM
@WHERE
@DRY_RUN
@output_option
def rollback_command(*, version: str | None, to: str, **given: Any) -> None:  # noqa: ANN401 -- click's shared options, checked by Asked
    """Move VERSION's tags back to its images of a date; the current images keep dated tags, so
    they stay pullable.

    Exit codes: 0 rolled back (or planned), 1 a tag failed, 4 registry unreachable, 5 bad
    input, 8 no image of that date.
    """
    run(Asked(mode="rollback", version=version, rollback=to, **given))


@click.command(name="refresh-released")
@click.option(
    "--mode",
    "every_mode",
    type=click.Choice(["patch", "refresh-base"]),
    default=None,
    help="Patch or rebuild (default: the `refresh_mode` setting).",
)
@PYTHONS
@SLIM
@WHERE
@DATE
@SIGN
@output_option
def refresh_released_command(*, every_mode: str | None, **given: Any) -> None:  # noqa: ANN401 -- click's shared options, checked by Asked
    """Every final version in the repository: scanned, and patched or rebuilt where Debian
    security updates are pending, checked and re-released; a summary table.

    Exit codes: 0 done, 1 a check or a tag failed, 4 registry unreachable, 5 bad input.
    """
    mode = {"patch": "patch", "refresh-base": "refresh"}.get(every_mode or "")
    run(Asked(mode="every-released", every_mode=mode, **given))


def run(asked: Asked) -> None:
    """The body of every release command."""
    if asked.dry_run and asked.mode in ("patch", "refresh", "every-released"):
        raise BadInput(
            "--dry-run shows the plan of a release or a rollback only",
            hint="see what a patch or a refresh would take with `hangar image scan IMAGE`",
        )
    app = current_app().dry(dry_run=asked.dry_run)
    signing = _signing(
        app,
        sign=asked.sign,
        key=asked.key,
        keyless=asked.keyless,
        rollback=asked.rollback,
        dry_run=asked.dry_run,
    )
    config = app.config({"registry": asked.registry, "image_name": asked.image_name})
    version = validate_airflow_version(asked.version or config["airflow_version"])
    params = ReleaseParams(
        repository=(asked.repository or config.image_repository()).lower(),
        version=version,
        pythons=resolve_pythons(
            asked.pythons or ("all",),
            config,
            airflow_version=version,
            requires_python=release_requirement(app, config, version),
        ),
        default_python=release_bare_python(app, config, version),
        slim=asked.slim,
        source=asked.source or DEFAULT_SOURCE,
        skip_latest=asked.skip_latest,
        date=check_date(asked.date or app.utc_now().strftime("%Y%m%d")),
    )
    reg = _registry(app, params)
    _note_no_bare_tags(params, release=asked.mode == "release")
    output = asked.output
    if asked.dry_run:
        _show_plan(app, params, reg, rollback=asked.rollback, signing=signing, output=output)
    elif asked.mode == "rollback":
        result = run_rollback(app, params, reg, date=check_date(asked.rollback or ""))
        render_result(result, output)
        _raise_for(result)
    elif asked.mode == "every-released":
        mode = asked.every_mode or _mode(config)
        every = run_every_released(app, params, config, reg, mode=mode, date=params.date or "")
        show_every_released(every, output, mode=mode)
        for _version, done in every:
            _raise_for(done.release)
        _sign(app, [done.release for _version, done in every], signing)
    elif asked.mode in ("patch", "refresh"):
        done = run_rerelease(app, params, config, reg, mode=asked.mode, date=params.date or "")
        show_rerelease(done, output, mode=asked.mode)
        _raise_for(done.release)
        _sign(app, [done.release], signing)
    else:
        _sign(app, [_release(params, reg, output=output)], signing)


def _show_plan(
    app: App,
    params: ReleaseParams,
    reg: Registry,
    *,
    rollback: str | None,
    signing: Signing | None,
    output: str,
) -> None:
    """A dry run: the plan of a release (with what it would sign) or of a rollback (with the
    dated tags that keep the current images pullable); nothing is changed.
    """
    if rollback:
        current, plan = rollback_plan(params, date=check_date(rollback), registry=reg)
        render_plan(plan, output, kept=reachable_tags(params, reg, current, date_of(app, reg)))
    else:
        render_plan(plan_release(params, reg), output, signing=signing)


def _note_no_bare_tags(params: ReleaseParams, *, release: bool) -> None:
    """Say so when a release makes no un-suffixed tags: their Python is not released."""
    if release and params.default_python not in params.pythons:
        render.note(
            f"no un-suffixed tags ({params.prefix}{params.version}, {params.prefix}latest): they"
            f" carry Python {params.default_python}, which this release leaves out"
            " (`bare_tag_python` in hangar.toml chooses another)"
        )


def _registry(app: App, params: ReleaseParams) -> Registry:
    host = parse_ref(params.repository).registry
    if not host:
        raise BadInput(
            f"{params.repository} names no registry to release to",
            hint="set `registry` in hangar.toml or pass --registry",
        )
    return app.registry(host)


def _release(params: ReleaseParams, reg: Registry, *, output: str) -> ReleaseResult:
    plan = plan_release(params, reg)
    result = execute_release(plan, reg)
    render_result(result, output)
    _raise_for(result)
    return result


def _signing(
    app: App,
    *,
    sign: bool,
    key: Path | None,
    keyless: bool,
    rollback: str | None,
    dry_run: bool,
) -> Signing | None:
    """How `--sign` signs (None: no signing); checked, with cosign, before anything moves."""
    if not sign:
        if key is not None or keyless:
            flag = "--key" if key is not None else "--keyless"
            raise BadInput(f"{flag} goes with --sign", hint=f"add --sign, or drop {flag}")
        return None
    chosen = signing_key(app, key=key, keyless=keyless, what="--sign")
    if rollback:
        raise BadInput(
            "--rollback publishes no new image to sign", hint="its images were signed when released"
        )
    if not dry_run:  # a dry run plans the signing; cosign is needed only to sign
        app.signer().ensure_available()
    return Signing(key=chosen)


def _sign(app: App, results: Iterable[ReleaseResult | None], signing: Signing | None) -> None:
    if signing is None:
        return
    refs = tuple(dict.fromkeys(ref for r in results if r is not None for ref in release_refs(r)))
    if not refs:
        render.note("nothing to sign: no tag moved")
        return
    sign_released(app, refs, key=signing.key)


def _mode(config: Config) -> str:
    mode = config["refresh_mode"]
    if mode not in ("patch", "refresh-base"):
        raise BadInput(
            f"refresh_mode is {mode!r}", hint="set it to patch or refresh-base (hangar.toml)"
        )
    return "patch" if mode == "patch" else "refresh"


def _raise_for(result: ReleaseResult | None) -> None:
    if result is None:
        return
    bad = [c for c in result.checks if not c.ok]
    if bad:
        raise StepFailed(
            f"{len(bad)} tag(s) do not resolve to the digest they should: "
            + ", ".join(c.tag for c in bad),
            hint="re-run the release; if it persists, check nothing else pushes these tags",
        )


# -- rendering ---------------------------------------------------------------------------------


def plan_json(plan: ReleasePlan) -> dict[str, object]:
    return {
        "version": plan.params.version,
        "repository": plan.params.repository,
        "slim": plan.params.slim,
        "latest": {"moves": plan.latest.move, "reason": plan.latest.reason},
        "tags": [
            {**dataclasses.asdict(t), "kind": str(t.kind), "action": str(t.action)}
            for t in plan.tags
        ],
    }


def _change(current: str | None, digest: str) -> str:
    if current == digest:
        return "unchanged"
    return "new" if current is None else f"moves from {current}"


def render_plan(
    plan: ReleasePlan,
    output: str,
    *,
    kept: Sequence[KeptTag] = (),
    signing: Signing | None = None,
) -> None:
    """The whole plan of a dry run: the tags it moves, the dated tags it gives the current
    images to keep them pullable (a rollback), and what it signs (`--sign`).
    """
    repository = parse_ref(plan.params.repository)
    keeps = [(str(repository.with_tag(k.tag)), k.digest) for k in kept]
    signs = plan_refs(plan) if signing is not None else ()
    how = "" if signing is None else ("keyless" if signing.key is None else f"key {signing.key}")
    if output == "json":
        found = plan_json(plan)
        found["keeps"] = [{"tag": tag, "digest": digest} for tag, digest in keeps]
        found["signs"] = [{"image": ref, "with": how} for ref in signs]
        render.print_json({"dry_run": True, "plan": found})
        return
    render.table(
        f"release plan: {plan.params.repository} {plan.params.version} (dry run)",
        ("tag", "from", "digest", "change"),
        (
            *((t.tag, t.source, t.digest, _change(t.current, t.digest)) for t in plan.tags),
            *(
                (tag, "(the current image)", digest, "new: keeps it pullable")
                for tag, digest in keeps
            ),
        ),
    )
    render.note(f"latest: {'moves' if plan.latest.move else 'stays'} ({plan.latest.reason})")
    if signing is not None:
        for ref in signs:
            render.note(f"would sign and attest (SBOM, provenance) {ref} ({how})")
        if not signs:
            render.note("nothing to sign: no tag would move")


def render_result(result: ReleaseResult, output: str) -> None:
    if output == "json":
        render.print_json(result_json(result))
        return
    render.table(
        f"released {result.plan.params.repository} {result.plan.params.version}",
        ("tag", "digest", "check"),
        (
            (c.tag, c.expected, render.ok_or_failed(ok=c.ok, failed=f"points at {c.actual or '-'}"))
            for c in result.checks
        ),
    )
    latest = result.plan.latest
    render.note(f"latest: {'moved' if latest.move else 'not moved'} ({latest.reason})")


def result_json(result: ReleaseResult) -> dict[str, object]:
    return {
        "ok": result.ok,
        "plan": plan_json(result.plan),
        "checks": [{**dataclasses.asdict(c), "ok": c.ok} for c in result.checks],
    }
