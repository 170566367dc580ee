"""Example source: GET <base_url>/posts?tag=... answers {"items": [...]}, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.platforms.example import item_to_post

from monitor.http import env_value
from monitor.sources.base import Page, Source, build_page


@dataclass(frozen=True)
class ExampleSettings:
    enabled: bool = True
    base_url: str = "http://127.0.0.1:9"
    token_env: str = "EXAMPLE_TOKEN"


class ExampleSource(Source):
    name = "example"
    Settings = ExampleSettings
    config_snippet = """\
[sources.example]
# The example platform, with a token from the variable named here.
enabled = true
base_url = "http://127.0.0.1:9"
token_env = "EXAMPLE_TOKEN"
"""

    def missing_credentials(self) -> str | None:
        return None if env_value(self.env, self.settings.token_env) else "set EXAMPLE_TOKEN"

    def fetch(
        self, instance: str, tag: str, token: dict[str, Any] | None, since: Any, horizon: datetime
    ) -> Page:
        secret = env_value(self.env, self.settings.token_env)
        self.http.add_secret(secret)
        body, _ = self.http.get_json(
            f"{instance}/posts",
            params={"tag": tag},
            headers={"Authorization": f"Bearer {secret}"},
            what="example posts",
        )
        return build_page(
            body["items"],
            item_to_post,
            lambda item: item["at"],
            lambda item: f"example {item.get('example_id', '?')}",
            None,
        )
