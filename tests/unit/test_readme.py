"""The README's build-arg reference cannot drift from the Dockerfile."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def dockerfile_args() -> dict[str, str | None]:
    """ARG name -> default (None when declared without one), multi-line defaults joined."""
    text = (REPO / "Dockerfile").read_text().replace("\\\n", " ")
    args: dict[str, str | None] = {}
    for match in re.finditer(r"^ARG ([A-Z_]+)(?:=\"([^\"]*)\")?", text, re.MULTILINE):
        name, default = match.group(1), match.group(2)
        if default is not None or name not in args:
            args[name] = " ".join(default.split()) if default is not None else None
    return args


# Every build arg of the official image's Dockerfile (Airflow 3.3.x): a plain `docker buildx build
# --build-arg` of any of them must not be ignored here.
OFFICIAL_BUILD_ARGS = (
    # before the first stage
    "AIRFLOW_EXTRAS", "ADDITIONAL_AIRFLOW_EXTRAS", "ADDITIONAL_PYTHON_DEPS", "AIRFLOW_HOME",
    "AIRFLOW_IMAGE_TYPE", "AIRFLOW_UID", "AIRFLOW_USER_HOME_DIR", "AIRFLOW_VERSION", "BASE_IMAGE",
    "AIRFLOW_PYTHON_VERSION", "PYTHON_LTO", "AIRFLOW_PIP_VERSION", "AIRFLOW_UV_VERSION",
    "AIRFLOW_USE_UV", "AIRFLOW_IMAGE_REPOSITORY", "AIRFLOW_IMAGE_README_URL",
    "AIRFLOW_SOURCES_FROM", "AIRFLOW_SOURCES_TO", "AIRFLOW_VERSION_SPECIFICATION",
    "PIP_PROGRESS_BAR",
    # the build stage
    "DEV_APT_DEPS", "ADDITIONAL_DEV_APT_DEPS", "DEV_APT_COMMAND", "ADDITIONAL_DEV_APT_COMMAND",
    "ADDITIONAL_DEV_APT_ENV", "INSTALL_MYSQL_CLIENT", "INSTALL_MYSQL_CLIENT_TYPE",
    "INSTALL_MSSQL_CLIENT", "INSTALL_POSTGRES_CLIENT", "DOCKER_CONTEXT_FILES", "AIRFLOW_REPO",
    "AIRFLOW_BRANCH", "CONSTRAINTS_GITHUB_REPOSITORY", "AIRFLOW_CONSTRAINTS_MODE",
    "AIRFLOW_CONSTRAINTS_REFERENCE", "AIRFLOW_CONSTRAINTS_LOCATION", "DEFAULT_CONSTRAINTS_BRANCH",
    "AIRFLOW_FALLBACK_NO_CONSTRAINTS_INSTALLATION", "AIRFLOW_INSTALLATION_METHOD",
    "UPGRADE_RANDOM_INDICATOR_STRING", "ADDITIONAL_PIP_INSTALL_FLAGS", "INCLUDE_PRE_RELEASE",
    "INSTALL_DISTRIBUTIONS_FROM_CONTEXT", "USE_CONSTRAINTS_FOR_CONTEXT_DISTRIBUTIONS",
    "VERSION_SUFFIX", "TARGETARCH", "DEPENDENCY_CACHE_EPOCH",
    # the main stage
    "RUNTIME_APT_DEPS", "ADDITIONAL_RUNTIME_APT_DEPS", "RUNTIME_APT_COMMAND",
    "ADDITIONAL_RUNTIME_APT_COMMAND", "ADDITIONAL_RUNTIME_APT_ENV", "BUILD_ID", "COMMIT_SHA",
    "AIRFLOW_IMAGE_DATE_CREATED",
)  # fmt: skip
# what the README's "official image" column may say of an official build arg
HONOURED, ALIAS, STOPS = "same", "alias of", "stops"


def readme_rows() -> dict[str, list[str]]:
    """Build arg -> the cells of its row in the build-arg reference (default, effect, official):
    the documentation site's page, linked from the README.
    """
    text = (REPO / "docs" / "reference" / "build-args.md").read_text()
    table = text.split("<!-- build-args:start -->")[1].split("<!-- build-args:end -->")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def readme_table() -> dict[str, str]:
    return {name: cells[0] for name, cells in readme_rows().items()}


def test_every_build_arg_is_documented_in_the_readme() -> None:
    missing = sorted(set(dockerfile_args()) - set(readme_table()))
    assert not missing, f"build args missing from the README table: {missing}"


def test_readme_documents_no_build_arg_the_dockerfile_lacks() -> None:
    extra = sorted(set(readme_table()) - set(dockerfile_args()))
    assert not extra, f"README documents build args the Dockerfile does not have: {extra}"


def test_readme_defaults_match_the_dockerfile() -> None:
    table = readme_table()
    for name, default in dockerfile_args().items():
        if default is None or name in {"AIRFLOW_EXTRAS", "DEV_APT_DEPS"}:
            continue  # described in words in the table
        shown = table[name]
        expected = f"`{default}`" if default else "(empty)"
        assert shown == expected, f"{name}: README says {shown}, Dockerfile says {expected}"


def test_readme_exit_codes_match_the_code() -> None:
    from hangar.errors import ExitCode

    text = (REPO / "README.md").read_text()
    table = text.split("<!-- exit-codes:start -->")[1].split("<!-- exit-codes:end -->")[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].isdigit():
            rows[int(cells[0])] = cells[1].strip("`")
    assert rows == {int(code): code.name for code in ExitCode}


def test_every_official_build_arg_is_honoured_aliased_or_stopped() -> None:
    """Each official build arg is declared by the Dockerfile (so BuildKit passes it on, and
    `hangar image build --build-arg` takes it), and its row says which: the same meaning, an
    alias of hangar's own, or a stop at the start of the build, which the check script makes.
    """
    args, rows = dockerfile_args(), readme_rows()
    checks = (REPO / "scripts" / "docker" / "check-build-args.sh").read_text()
    undeclared = [name for name in OFFICIAL_BUILD_ARGS if name not in args]
    assert not undeclared, f"official build args the Dockerfile does not declare: {undeclared}"
    for name in OFFICIAL_BUILD_ARGS:
        official = [*rows[name], "", ""][2]
        assert official.startswith((HONOURED, ALIAS, STOPS)), f"{name}: says {official!r}"
        if official.startswith(STOPS):
            assert f"{name}=" in checks, f"{name}: the README says it stops the build; nothing does"
