"""The scorer contract: one module per scorer in this package, registered by name.

A scorer reads the languages it names and turns texts into ``Score``s: each text's detected
language, and for texts in a language it reads, a label and four numbers (compound, pos, neu,
neg, VADER's convention). Texts in other languages are not scored: no label, never neutral.
Its ``version`` names everything that changes a score (the scorer, its package version, its
settings, the language rule), so a change makes earlier scores stale and ``rescore`` redoes
them. The process pool (``pool.ScoringPool``) runs whichever scorer is active.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from monitor.language import detect, load_detectors, rule_version
from monitor.models import Score

if TYPE_CHECKING:
    from monitor.quantify import Rates
    from monitor.settings import Labels, Scoring

Numbers = tuple[float, float, float, float]  # compound, pos, neu, neg


@dataclass(frozen=True)
class TermWeights:
    """The terms a scorer weighs and how much each pulls a post towards supportive (> 0) or
    skeptical (< 0), for the report's drivers; ``split`` gives the weighed terms in a text."""

    weights: Mapping[str, float]
    split: Callable[[str], set[str]]
    meaning: str  # what a weight is, for the reader: "VADER valence", ...


@dataclass(frozen=True)
class Agreement:
    """A scorer against human labels on one public set of texts it was never fitted on (the set's
    test split), as measured and published with the scorer."""

    name: str
    n: int
    macro_f1: float
    accuracy: float
    human_negative: float
    vader_negative: float
    human_positive: float
    vader_positive: float
    share_distance: float  # total-variation distance between the two label splits


class Scorer(ABC):
    """One way of scoring texts. Instances are small and picklable (they travel to the pool's
    workers); anything heavy (a lexicon, a model) is built once per process, lazily."""

    name: ClassVar[str]
    # What the README and the report call it.
    title: ClassVar[str]
    # Whether its pos, neu and neg are the probabilities of the three labels (a calibrated
    # model's), its compound pos - neg: then the published shares weigh each post by them
    # (quantify's PACC; the trend index keeps neg and compound, from which pos follows).
    gives_probabilities: ClassVar[bool] = False

    def __init__(self, languages: Sequence[str]) -> None:
        self.languages = tuple(languages)

    @classmethod
    @abstractmethod
    def from_settings(
        cls, scoring: Scoring, labels: Labels, lexicon: Mapping[str, float], config_file: str
    ) -> Scorer:
        """The scorer as the config's ``[scoring]``, ``[labels]`` and ``[lexicon]`` set it up
        (``config_file`` names the file in errors)."""

    @abstractmethod
    def settings(self) -> dict[str, Any]:
        """Everything of this scorer's own that changes a score (hashed into the version)."""

    @abstractmethod
    def package_version(self) -> str:
        """The version of the code or model behind the scores."""

    @abstractmethod
    def score_read(self, texts: list[str]) -> list[tuple[str, Numbers]]:
        """(label, numbers) for texts in a language this scorer reads."""

    def term_weights(self) -> TermWeights | None:
        """The terms behind this scorer's labels, for drivers; None when it has none."""
        return None

    def published_agreement(self) -> tuple[Agreement, ...]:
        """How this scorer agreed with people on public labelled sets, for the report's "How
        to read the numbers"; empty when none is published for it."""
        return ()

    def measured_rates(self) -> Rates | None:
        """Misclassification counts measured when the scorer was made (a calibrated model's
        cross-validation); None when it carries none."""
        return None

    @property
    def fitted_on(self) -> frozenset[str]:
        """The keys of the hand labels the scorer was fitted on (``HandLabel.fingerprint``):
        a check on them is no check."""
        return frozenset()

    @property
    def version(self) -> str:
        """name-packageversion+hash of the settings and the language rule."""
        settings = {**self.settings(), "languages": sorted(self.languages)}
        blob = json.dumps([settings, rule_version()], sort_keys=True, ensure_ascii=True)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:12]
        return f"{self.name}-{self.package_version()}+{digest}"

    def load(self) -> None:
        """Build the language detectors and this scorer's models now rather than on the first
        text that needs them: the pool's workers do it as they start."""
        load_detectors()
        self.score_read(["ready"])

    def reads(self, language: str) -> bool:
        """Undetermined ("und") texts only when the scorer names "und" (a calibrated model
        fitted on enough of them)."""
        return language in self.languages

    def score(self, texts: Sequence[str]) -> list[Score]:
        """Each text's language, and a label and numbers where this scorer reads it."""
        languages = [detect(text) for text in texts]
        reads = [self.reads(language) for language in languages]
        scored = iter(self.score_read([t for t, read in zip(texts, reads, strict=True) if read]))
        scores = []
        for language, read in zip(languages, reads, strict=True):
            if read:
                label, numbers = next(scored)
                scores.append(Score(language, label, *numbers))
            else:
                scores.append(Score(language))
        return scores
