"""Example scorer: "good" is supportive, "bad" skeptical, anything else neutral."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from monitor.scoring.base import Numbers, Scorer
from monitor.settings import Labels, Scoring


class KeywordScorer(Scorer):
    name = "example"
    title = "an example scorer: the words good and bad"

    @classmethod
    def from_settings(
        cls, scoring: Scoring, labels: Labels, lexicon: Mapping[str, float], config_file: str
    ) -> KeywordScorer:
        return cls(scoring.languages)

    def settings(self) -> dict[str, Any]:
        return {}

    def package_version(self) -> str:
        return "1"

    def score_read(self, texts: list[str]) -> list[tuple[str, Numbers]]:
        out = []
        for text in texts:
            words = set(text.lower().split())
            value = 0.5 if "good" in words else -0.5 if "bad" in words else 0.0
            label = "positive" if value > 0 else "negative" if value < 0 else "neutral"
            out.append((label, (value, max(value, 0), 1 - abs(value), max(-value, 0))))
        return out
