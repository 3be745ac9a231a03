"""The writers of a dry run: each adapter that changes state has one here (or, for programs,
`hangar.infra.process.DryRunRunner`), printing what it would change and changing nothing.
`App.dry()` swaps them all in at once, so no command has to remember to skip a write.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from hangar.ports import Registry


def _say(out: IO[str], line: str) -> None:
    out.write(line + "\n")
    out.flush()


@dataclass(frozen=True, kw_only=True)
class DryRunRegistry:
    """A registry whose reads are real and whose writes are printed: a copy answers with the
    digest the tag would get (the source's), so a plan built on it is faithful.
    """

    inner: Registry
    host: str
    out: IO[str]

    def ensure_available(self) -> None:
        self.inner.ensure_available()

    def list_tags(self, repository: str) -> tuple[str, ...]:
        return self.inner.list_tags(repository)

    def digest(self, repository: str, reference: str) -> str | None:
        return self.inner.digest(repository, reference)

    def manifest(self, repository: str, reference: str) -> tuple[str, bytes]:
        return self.inner.manifest(repository, reference)

    def blob(self, repository: str, digest: str) -> bytes:
        return self.inner.blob(repository, digest)

    def has_blob(self, repository: str, digest: str) -> bool:
        return self.inner.has_blob(repository, digest)

    def push_blob(self, repository: str, digest: str, data: bytes) -> None:
        _say(self.out, f"# would upload {digest} ({len(data)} bytes) to {self.host}/{repository}")

    def put_manifest(self, repository: str, reference: str, media_type: str, body: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        _say(
            self.out, f"# would store {media_type} {digest} as {self.host}/{repository}:{reference}"
        )
        return digest

    def copy(
        self, *, source_repository: str, source_reference: str, repository: str, tag: str
    ) -> str:
        digest = self.inner.digest(source_repository, source_reference) or source_reference
        _say(
            self.out,
            f"# would tag {self.host}/{repository}:{tag} as "
            f"{self.host}/{source_repository}@{digest}",
        )
        return digest


@dataclass(frozen=True, kw_only=True)
class DryRunFiles:
    """Files that are not written: a build context is named, not made; logs go nowhere."""

    out: IO[str]

    def assemble_context(
        self, recipe: Path, folder: Path, dest: Path, *, extra: Sequence[str] = ()
    ) -> Path:
        parts = ", ".join(f"{folder / name}" for name in ("docker-context-files", "dags", *extra))
        _say(self.out, f"# would assemble the build context {dest} from {recipe} and {parts}")
        return dest

    def open_log(self, path: Path) -> AbstractContextManager[IO[str]]:
        del path  # a dry run keeps no log
        return _nowhere()

    def make_folder(self, path: Path) -> Path:
        if not path.is_dir():
            _say(self.out, f"# would make the folder {path}")
        return path


@contextmanager
def _nowhere() -> Iterator[IO[str]]:
    yield io.StringIO()
