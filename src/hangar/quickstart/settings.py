"""What the quick start runs: its compose files, the settings compose interpolates (the .env
file and the environment), the login it ends up with, and which image and network mode a run
uses. Pure: the caller reads the files and the environment and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hangar.config import Config
from hangar.errors import BadInput, NotFound
from hangar.image.building.plan import default_tag

COMPOSE_FILE = "docker-compose.yaml"
HOSTNET_FILE = "docker-compose.hostnet.yaml"
# the Kerberos override (KDC, `airflow kerberos` side-car, worker with the ticket cache) and
# its host-networking part
KERBEROS_FILE = "docker-compose.kerberos.yaml"
KERBEROS_HOSTNET_FILE = "docker-compose.kerberos.hostnet.yaml"
ENV_FILE = ".env"
MOUNTED_DIRS = ("dags", "logs", "config", "plugins")
IMAGE_VARIABLE = "AIRFLOW_IMAGE_NAME"
DEFAULT_USERNAME = "airflow"
DEFAULT_PASSWORD = "airflow"  # noqa: S105 -- the quick start's documented default login
API_PORT = 8080
ROOT_FALLBACK_UID = 50000
# the variables of the compose files that may come from the environment
_COMPOSE_PREFIXES = ("_AIRFLOW", "AIRFLOW", "QUICKSTART_")
NETWORK_SETTING = "quickstart_network"
NETWORK_MODES = ("", "host")


@dataclass(frozen=True, kw_only=True)
class Login:
    url: str
    username: str
    password: str


@dataclass(frozen=True, kw_only=True)
class ImageChoice:
    """The Airflow image of a run, and why that one."""

    ref: str
    source: str  # for people: "--image", "AIRFLOW_IMAGE_NAME in .env", ...
    default: bool = False  # the default tag of `hangar image build`: it must be built here


@dataclass(frozen=True, kw_only=True)
class NetworkChoice:
    """Host networking (docker-compose.hostnet.yaml) or compose's own network, and why."""

    hostnet: bool
    source: str

    @property
    def mode(self) -> str:
        return "host" if self.hostnet else "compose's own"


def read_env_file(text: str) -> dict[str, str]:
    """KEY=VALUE lines of a compose .env file (comments, blanks and `export` allowed)."""
    values: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def compose_settings(
    *, env_file: Mapping[str, str], environ: Mapping[str, str], extra: Mapping[str, str]
) -> dict[str, str]:
    """What compose interpolates, in its order: the .env file, then the environment, then
    the variables hangar passes.
    """
    values = dict(env_file)
    values.update({k: v for k, v in environ.items() if k.startswith(_COMPOSE_PREFIXES)})
    values.update(extra)
    return values


def login(settings: Mapping[str, str]) -> Login:
    """The URL and admin login the deployment ends up with (same defaults as the compose file)."""
    return Login(
        url=f"http://localhost:{API_PORT}",
        username=settings.get("_AIRFLOW_WWW_USER_USERNAME") or DEFAULT_USERNAME,
        password=settings.get("_AIRFLOW_WWW_USER_PASSWORD") or DEFAULT_PASSWORD,
    )


def airflow_uid(uid: int) -> int:
    """The AIRFLOW_UID to use for a user: their own UID, but not root's (Airflow would run as
    root); then the image's airflow user.
    """
    return ROOT_FALLBACK_UID if uid == 0 else uid


def with_airflow_uid(env_text: str, *, uid: int) -> tuple[str, str]:
    """The .env text with an AIRFLOW_UID line added for `uid`, and that line."""
    if env_text and not env_text.endswith("\n"):
        env_text += "\n"
    line = f"AIRFLOW_UID={airflow_uid(uid)}"
    return f"{env_text}# added by `hangar quickstart up`\n{line}\n", line


def project_files(
    directory: Path, *, hostnet: bool, kerberos: bool = False, extra: Sequence[Path] = ()
) -> tuple[Path, ...]:
    """The compose files of a run, in compose's order: the main file, the host-networking
    override, the Kerberos override (and its host-networking part), then the user's own.
    """
    names = [COMPOSE_FILE]
    if hostnet:
        names.append(HOSTNET_FILE)
    if kerberos:
        names += [KERBEROS_FILE, *([KERBEROS_HOSTNET_FILE] if hostnet else [])]
    files = [directory / name for name in names]
    files += [p if p.is_absolute() else directory / p for p in extra]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise NotFound(
            f"compose file not found: {', '.join(missing)}",
            hint="run from the repository root, or pass --dir (the folder of docker-compose.yaml)",
        )
    return tuple(files)


def default_image(config: Config) -> str:
    """The image `make image` / `hangar image build` makes by default on this machine."""
    return default_tag(
        config, python=config["default_python"], airflow_version=config["airflow_version"]
    )


def choose_image(
    *,
    given: str | None,
    env_file: Mapping[str, str],
    environ: Mapping[str, str],
    default: str,
    env_path: Path,
) -> ImageChoice:
    """--image, else an AIRFLOW_IMAGE_NAME the user set (environment, then .env, as compose
    reads them), else the default tag of `hangar image build`.
    """
    if given:
        return ImageChoice(ref=given, source="--image")
    if environ.get(IMAGE_VARIABLE):
        return ImageChoice(
            ref=environ[IMAGE_VARIABLE], source=f"{IMAGE_VARIABLE} in the environment"
        )
    if env_file.get(IMAGE_VARIABLE):
        return ImageChoice(ref=env_file[IMAGE_VARIABLE], source=f"{IMAGE_VARIABLE} in {env_path}")
    return ImageChoice(ref=default, source="the default tag of `hangar image build`", default=True)


def choose_network(*, given: bool | None, config: Config) -> NetworkChoice:
    """--hostnet / --no-hostnet, else the `quickstart_network` setting ("host": host
    networking, as the machine-wide overlay sets where there is no bridge network).
    """
    if given is not None:
        return NetworkChoice(hostnet=given, source="--hostnet" if given else "--no-hostnet")
    setting = config.settings[NETWORK_SETTING]
    if setting.value not in NETWORK_MODES:
        raise BadInput(
            f"{NETWORK_SETTING} = {setting.value!r} (from {setting.source}) is not a network "
            "mode of the quick start",
            hint='use "" (compose\'s own network) or "host" (host networking)',
        )
    if setting.source == "default":
        return NetworkChoice(hostnet=False, source="the default; --hostnet for host networking")
    return NetworkChoice(
        hostnet=setting.value == "host",
        source=f"{NETWORK_SETTING} = {setting.value!r} from {setting.source}",
    )


def choice_note(image: ImageChoice, network: NetworkChoice) -> str:
    """The one line that says what a run uses, and why."""
    return f"image {image.ref} ({image.source}); network: {network.mode} ({network.source})"
