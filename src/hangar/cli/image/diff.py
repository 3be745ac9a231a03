"""`hangar image diff A B`: what changed between two images, read without running them."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Sequence

import rich_click as click

from hangar.cli import render
from hangar.cli.options import current_app, output_option
from hangar.image.inspecting.diff import Change, ImageDiff, image_diff
from hangar.image.inspecting.sbom import read_contents

MB = 1_000_000
INSTRUCTION_WIDTH = 110


@click.command(name="diff")
@click.argument("image_a", metavar="A")
@click.argument("image_b", metavar="B")
@output_option
def command(*, image_a: str, image_b: str, output: str) -> None:
    """What changed from image A to image B: Python distributions added, removed, upgraded or
    downgraded (Airflow and its providers first), Debian packages, labels, and the layers B
    does not share with A, with their sizes. Both images must be in the engine (pull them
    first); nothing runs in them. Exit 0 whether or not they differ.
    """
    engine = current_app().engine()
    engine.ensure_available()
    inspected = (engine.inspect_image(image_a), engine.inspect_image(image_b))
    contents = (
        read_contents(engine, image_a, inspected[0]),
        read_contents(engine, image_b, inspected[1]),
    )
    history = (engine.history(image_a), engine.history(image_b))
    result = image_diff(contents[0], contents[1], inspected=inspected, history=history)
    if output == "json":
        render.print_json(dataclasses.asdict(result))
        return
    show(result)


def _counts(found: Sequence[Change]) -> str:
    kinds = Counter(c.kind for c in found)
    order = ("added", "removed", "upgraded", "downgraded", "changed")
    return ", ".join(f"{kinds[k]} {k}" for k in order if kinds[k]) or "none"


def _rows(found: Sequence[Change]) -> list[tuple[str, str, str, str]]:
    return [(c.name, c.old or "-", c.new or "-", c.kind) for c in found]


def show(result: ImageDiff) -> None:
    columns = ("name", "A", "B", "change")
    if result.python:
        render.table("Python distributions", columns, _rows(result.python))
    if result.debian:
        render.table("Debian packages", columns, _rows(result.debian))
    if result.labels:
        render.table("Labels", columns, _rows(result.labels))
    a, b = result.layers_a, result.layers_b
    own = [("A", e) for e in a.own] + [("B", e) for e in b.own]
    if own:
        render.table(
            f"Layers only one of them has ({a.shared} shared)",
            ("image", "instruction", "MB"),
            [(side, e.created_by[:INSTRUCTION_WIDTH], f"{e.size / MB:,.1f}") for side, e in own],
        )
    click.echo(f"A: {result.a}\nB: {result.b}")
    if result.identical:
        click.echo("The images are the same: same distributions, packages, labels and layers.")
        return
    click.echo(
        f"Python distributions: {_counts(result.python)}; Debian packages: "
        f"{_counts(result.debian)}; labels: {len(result.labels)} changed; layers: "
        f"{a.shared} of A's {a.count} are in B, B has {len(b.own)} of its own "
        f"({sum(e.size for e in b.own) / MB:,.1f} MB); size {a.size / MB:,.0f} MB -> "
        f"{b.size / MB:,.0f} MB"
    )
