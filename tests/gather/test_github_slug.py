"""A repository's GitHub name from its origin remote, when the config names none."""

from __future__ import annotations

import pytest

from learnd.gather.github import slug_from_remote

API = "https://api.github.com"


@pytest.mark.parametrize(
    ("url", "api", "slug"),
    [
        ("git@github.com:acme/widgets.git", API, "acme/widgets"),
        ("https://github.com/acme/widgets", API, "acme/widgets"),
        ("https://github.com/acme/widgets.git/", API, "acme/widgets"),
        ("ssh://git@github.com/acme/widgets.git", API, "acme/widgets"),
        # GitHub Enterprise: the remote's host is the API's host.
        ("git@ghe.example.com:team/tool.git", "https://ghe.example.com/api/v3", "team/tool"),
        ("https://ghe.example.com/team/tool", "https://ghe.example.com/api/v3", "team/tool"),
        # Somewhere else entirely: no GitHub name, so no GitHub calls.
        ("git@gitlab.com:acme/widgets.git", API, None),
        ("/srv/git/widgets.git", API, None),
        (None, API, None),
        ("https://github.com/acme", API, None),
    ],
)
def test_slug_from_remote(url: str | None, api: str, slug: str | None) -> None:
    assert slug_from_remote(url, api) == slug
