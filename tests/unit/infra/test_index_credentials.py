"""An index URL with credentials: they go in a header, never in a URL an error could show."""

from __future__ import annotations

import base64

from hangar.infra.index import split_credentials


def test_credentials_leave_the_url_for_a_basic_header() -> None:
    url, header = split_credentials("https://me%40corp:p%3Ass@idx.example:8443/simple/")
    assert url == "https://idx.example:8443/simple/"
    assert header == "Basic " + base64.b64encode(b"me@corp:p:ss").decode()


def test_a_url_without_credentials_is_kept() -> None:
    assert split_credentials("https://pypi.org/simple") == ("https://pypi.org/simple", None)
