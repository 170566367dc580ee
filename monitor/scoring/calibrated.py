"""A scorer calibrated on the user's own hand labels: TF-IDF word 1-2-grams and character 2-5-grams
plus VADER's four numbers, class-balanced multinomial logistic regression (scikit-learn), fitted
by ``monitor calibrate``. It reads the languages it saw enough labelled examples of.

The character n-grams were added after measuring on the train splits of the public labelled
sets (500 labels, the rest of the train split held out, three draws): macro-F1 +0.01 to +0.04
and the share distance lower on all four sets (``bench/tune_calibration.py``).

The model file is data only (JSON: vocabulary, idf weights, coefficients, and a checksum of all
of it): loading it runs no code, and a file changed by hand is refused. Its checksum is part of
the scorer version, so a new model makes earlier scores stale. Its "compound" is
P(positive) - P(negative), its pos / neu / neg the three probabilities.
"""

from __future__ import annotations

import hashlib
import json
import math
import stat
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.errors import ConfigError, MonitorError
from monitor.models import LABELS
from monitor.quantify import Rates
from monitor.scoring.base import Numbers, Scorer, TermWeights
from monitor.scoring.vader import VaderScorer

if TYPE_CHECKING:
    from collections.abc import Mapping

    import numpy as np

    from monitor.settings import Labels, Scoring

FORMAT = "sentiment-monitor calibrated model 2"
# Each feature family: how its TF-IDF vectorizer is built (fitted vocabulary and idf are data).
FAMILIES = {
    "words": {"analyzer": "word", "ngram_range": (1, 2)},
    "chars": {"analyzer": "char_wb", "ngram_range": (2, 5)},
}
MIN_DF = 2
REGULARISATION = 1.0  # scikit-learn's C
VADER_NUMBERS = 4  # compound, pos, neu, neg beside the n-grams
TEXTS_PER_BLOCK = 1000  # texts whose features are built at once (a batch is up to 10,000)


def checksum(model: dict[str, Any]) -> str:
    body = {k: v for k, v in model.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _vectorizer(family: str, vocabulary: dict[str, int] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        **FAMILIES[family],
        min_df=1 if vocabulary else MIN_DF,
        sublinear_tf=True,
        vocabulary=vocabulary,
    )


def _features(vectorizers: dict[str, Any], texts: list[str]) -> Any:
    import numpy as np
    from scipy import sparse

    vader = np.array(VaderScorer().numbers(texts), dtype=float).reshape(len(texts), VADER_NUMBERS)
    grams = [vectorizers[family].transform(texts) for family in FAMILIES]
    return sparse.hstack([*grams, sparse.csr_matrix(vader)]).tocsr()


def fit(
    texts: list[str],
    truth: list[str],
    languages: list[str],
    rates: dict[str, Any] | None = None,
    fitted_on: list[str] | None = None,
) -> dict[str, Any]:
    """A model (plain data) fitted on labelled texts; ``rates`` (its cross-validated
    misclassification counts) and ``fitted_on`` (the keys of its labels) are kept with it."""
    import sklearn
    from sklearn.linear_model import LogisticRegression

    vectorizers = {family: _vectorizer(family).fit(texts) for family in FAMILIES}
    regression = LogisticRegression(C=REGULARISATION, class_weight="balanced", max_iter=5000).fit(
        _features(vectorizers, texts), truth
    )
    order = [list(regression.classes_).index(label) for label in LABELS]
    model = {
        "format": FORMAT,
        "scikit_learn": sklearn.__version__,
        "languages": sorted(set(languages)),
        "classes": list(LABELS),
        "families": {
            family: {
                "vocabulary": {term: int(i) for term, i in vectorizer.vocabulary_.items()},
                "idf": [round(float(x), 6) for x in vectorizer.idf_],
            }
            for family, vectorizer in vectorizers.items()
        },
        "coef": [[round(float(x), 6) for x in regression.coef_[i]] for i in order],
        "intercept": [float(regression.intercept_[i]) for i in order],
        "n": len(texts),
    }
    if rates is not None:
        model["rates"] = rates
    if fitted_on is not None:
        model["fitted_on"] = fitted_on
    model["checksum"] = checksum(model)
    return model


def probabilities(model: dict[str, Any], texts: list[str]) -> np.ndarray:
    """P(negative), P(neutral), P(positive) per text. The texts' features are built
    ``TEXTS_PER_BLOCK`` at a time: each text's row is its own, and a whole batch's n-gram
    matrices at once would be the scoring worker's largest allocation."""
    import numpy as np

    vectorizers = _loaded_vectorizers(model["checksum"], json.dumps(model["families"]))
    weights = np.asarray(model["coef"]).T
    blocks = range(0, len(texts), TEXTS_PER_BLOCK)
    scores = np.vstack(
        [_features(vectorizers, texts[i : i + TEXTS_PER_BLOCK]) @ weights for i in blocks]
        or [np.zeros((0, len(LABELS)))]
    )
    scores = scores + model["intercept"]
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    return scores / scores.sum(axis=1, keepdims=True)


@cache
def _loaded_vectorizers(_: str, families: str) -> dict[str, Any]:
    """The model's vectorizers, rebuilt from their vocabulary and idf (once per model)."""
    import numpy as np

    built = {}
    for family, fitted in json.loads(families).items():
        vectorizer = _vectorizer(family, fitted["vocabulary"])
        vectorizer.idf_ = np.asarray(fitted["idf"])
        built[family] = vectorizer
    return built


@cache
def _load_once(path: str, _mtime_ns: int) -> dict[str, Any]:
    """``load``, once per process for each version of the file (the pool's workers receive
    the scorer with every batch)."""
    return load(Path(path))


def load(path: Path) -> dict[str, Any]:
    """A model file, checked: a regular file of at most MAX_MODEL_BYTES, JSON of the expected
    shape whose checksum matches, every field of the right type, shape and range (a file
    edited with its checksum recomputed must not score every post negative, or crash later)."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise MonitorError(f"{path}: not a model file (not a regular file)")
        if info.st_size > MAX_MODEL_BYTES:
            raise MonitorError(
                f"{path}: not a model file ({info.st_size / 2**20:,.0f} MB; a model "
                f"'monitor calibrate' writes is at most {MAX_MODEL_BYTES // 2**20} MB)"
            )
        model = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MonitorError(f"{path}: no such model file (run 'monitor calibrate')") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MonitorError(f"{path}: not a model file ({exc})") from None
    if not isinstance(model, dict) or model.get("format") != FORMAT:
        raise MonitorError(f"{path}: not a model file written by 'monitor calibrate'")
    if model.get("checksum") != checksum(model):
        raise MonitorError(f"{path}: the model file was changed after it was written")
    problem = _problem(model)
    if problem:
        raise MonitorError(f"{path}: the model file's {problem}")
    return model


MAX_MODEL_BYTES = 256 * 2**20
MAX_WEIGHT = 1e4  # a fitted coefficient or intercept is a few units; past this, no model


def _problem(model: dict[str, Any]) -> str | None:
    """What is wrong with a model's fields (after its checksum matched), or None."""
    families = model.get("families")
    if not isinstance(families, dict) or set(families) != set(FAMILIES):
        return f"feature families are not {', '.join(FAMILIES)}"
    width = VADER_NUMBERS
    for name in FAMILIES:
        family = families[name]
        vocabulary, idf = family.get("vocabulary"), family.get("idf")
        if not isinstance(vocabulary, dict) or not all(
            isinstance(term, str) and type(index) is int for term, index in vocabulary.items()
        ):
            return f"{name} vocabulary is not terms and column numbers"
        if sorted(vocabulary.values()) != list(range(len(vocabulary))):
            return f"{name} vocabulary's column numbers are not 0 to {len(vocabulary) - 1}"
        if not _numbers(idf, len(vocabulary), 1.0, 100.0):
            return f"{name} idf weights are not {len(vocabulary)} numbers from 1 to 100"
        width += len(vocabulary)
    coef = model.get("coef")
    if not isinstance(coef, list) or len(coef) != len(LABELS):
        return f"coefficients are not {len(LABELS)} rows"
    if not all(_numbers(row, width, -MAX_WEIGHT, MAX_WEIGHT) for row in coef):
        return f"coefficients are not rows of {width} finite numbers within ±{MAX_WEIGHT:g}"
    if not _numbers(model.get("intercept"), len(LABELS), -MAX_WEIGHT, MAX_WEIGHT):
        return f"intercepts are not {len(LABELS)} finite numbers within ±{MAX_WEIGHT:g}"
    if model.get("classes") != list(LABELS):
        return f"classes are not {', '.join(LABELS)}"
    languages = model.get("languages")
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        return "languages are not a list of language codes"
    if type(model.get("n")) is not int or model["n"] < 1:
        return "label count is not a positive whole number"
    if not isinstance(model.get("scikit_learn"), str):
        return "scikit-learn version is not text"
    fitted_on = model.get("fitted_on", [])
    if not isinstance(fitted_on, list) or not all(isinstance(x, str) for x in fitted_on):
        return "list of the labels it was fitted on is not text"
    if "rates" in model and not (
        isinstance(model["rates"], dict)
        and Rates.valid(model["rates"].get("confusion"))
        and isinstance(model["rates"].get("source"), str)
        and ("probabilities" not in model["rates"] or Rates.valid(model["rates"]["probabilities"]))
    ):
        return "misclassification rates are not counts"
    return None


def _numbers(values: Any, length: int, low: float, high: float) -> bool:
    """Whether ``values`` is a list of ``length`` finite numbers (not booleans) in [low, high]."""
    return (
        isinstance(values, list)
        and len(values) == length
        and all(type(x) in (int, float) and math.isfinite(x) and low <= x <= high for x in values)
    )


class CalibratedScorer(Scorer):
    """A model fitted on the user's hand labels; reads the languages it was fitted on."""

    name = "calibrated"
    title = "a scorer calibrated on your hand labels (TF-IDF words + VADER, logistic regression)"
    gives_probabilities = True

    def __init__(self, path: Path) -> None:
        self.path = path
        stat = path.stat() if path.exists() else None
        self.model = _load_once(str(path), stat.st_mtime_ns if stat else 0)
        super().__init__(self.model["languages"])

    @classmethod
    def from_settings(
        cls, scoring: Scoring, labels: Labels, lexicon: Mapping[str, float], config_file: str
    ) -> CalibratedScorer:
        if scoring.model is None:
            raise ConfigError(
                f"{config_file}: scoring.model: the calibrated scorer needs a model "
                "file (run 'monitor calibrate LABELS.csv --out MODEL')"
            )
        return cls(scoring.model)

    def settings(self) -> dict[str, Any]:
        return {"model": self.model["checksum"]}

    def package_version(self) -> str:
        return f"sklearn{self.model['scikit_learn']}"

    def term_weights(self) -> TermWeights:
        """The word and word-pair features: each one's weight towards positive minus its
        weight towards negative (character n-grams and VADER's numbers are left out: no reader
        can act on "ace")."""
        negative, positive = (self.model["coef"][LABELS.index(k)] for k in ("negative", "positive"))
        families = list(FAMILIES)  # columns: each family's features in this order, then VADER's
        offset = sum(
            len(self.model["families"][f]["vocabulary"])
            for f in families[: families.index("words")]
        )
        vocabulary = self.model["families"]["words"]["vocabulary"]
        weights = {t: positive[offset + j] - negative[offset + j] for t, j in vocabulary.items()}
        vectorizers = _loaded_vectorizers(
            self.model["checksum"], json.dumps(self.model["families"])
        )
        analyse = vectorizers["words"].build_analyzer()

        def split(text: str) -> set[str]:
            return {term for term in analyse(text) if term in weights}

        return TermWeights(weights, split, "model weight, log-odds supportive vs skeptical")

    def measured_rates(self) -> Rates | None:
        kept = self.model.get("rates")
        if kept is None:  # a model written before calibrate kept them
            return None
        return Rates.from_table(kept["confusion"], kept["source"], kept.get("probabilities"))

    @property
    def fitted_on(self) -> frozenset[str]:
        return frozenset(self.model.get("fitted_on", ()))

    def score_read(self, texts: list[str]) -> list[tuple[str, Numbers]]:
        if not texts:
            return []
        out = []
        for negative, neutral, positive in probabilities(self.model, texts).tolist():
            label = LABELS[max(range(3), key=(negative, neutral, positive).__getitem__)]
            out.append((label, (positive - negative, positive, neutral, negative)))
        return out

    def __getstate__(self) -> dict[str, Any]:
        # The pool sends the scorer to its workers with every batch: send the path, and let
        # each worker load (and check) the model once.
        return {"path": self.path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["path"])
