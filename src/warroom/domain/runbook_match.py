"""Which common issue of a runbook an alert looks like (SPEC §5), ranked and explained.

Responders trust a suggestion they can check, so the score is plain word overlap: the
alert's words and each issue's title and symptoms are normalised (lower case, CamelCase
and snake_case split, stop words dropped, a light suffix stemmer) and compared by cosine
similarity with TF-IDF weights computed over the runbook's own issues — a word every
issue mentions ("service", "errors") counts for little, a word one issue owns ("pool")
counts for much. A title word weighs double: it is the issue's name. Each match names
the words it shares with the alert.
"""

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from warroom.domain.runbook import CommonIssue

TITLE_WEIGHT = 2.0

# English function words, and words every alert or runbook carries that say nothing
# about which issue this is.
_STOP_TEXT = """
a about above after again against all am an and any are as at be because been before
being below between both but by can could did do does doing down during each few for
from further had has have having he her here hers herself him himself his how i if in
into is it its itself just me more most my myself no nor not now of off on once only or
other our ours ourselves out over own same she should so some such than that the their
theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your
yours yourself yourselves via per also may might must e g eg ie etc
alert alerts alerting alertname firing fired triggered issue issues incident
severity critical warning info summary description http https www com
"""
STOP_WORDS = frozenset(_STOP_TEXT.split())

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"[a-z0-9]+")
_VOWEL = re.compile(r"[aeiouy]")


def stem(word: str) -> str:
    """A deliberately small stemmer: plurals, -ed/-ing, a final e and y→i, so that
    "latencies"/"latency", "exhausted"/"exhaustion"… meet; never shorter than 3 letters."""
    w = word
    if len(w) <= 3 or w.isdigit():
        return w
    if w.endswith("sses"):
        w = w[:-2]
    elif w.endswith("ies"):
        w = w[:-3] + "i"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    for suffix in ("ing", "ed", "ion"):
        base = w[: -len(suffix)]
        if w.endswith(suffix) and len(base) >= 3 and _VOWEL.search(base):
            w = base
            if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
                w = w[:-1]  # running → run, dropped → drop
            break
    if len(w) > 3 and w.endswith("y"):
        w = w[:-1] + "i"
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[tuple[str, str]]:
    """(stem, the word as written) for each meaningful word, in order."""
    split = _CAMEL.sub(" ", text).replace("_", " ")
    out: list[tuple[str, str]] = []
    for word in _WORD.findall(split.lower()):
        if word in STOP_WORDS or len(word) < 2 or (word.isdigit() and len(word) < 3):
            continue
        out.append((stem(word), word))
    return out


def text_of(value: object, *, keys: bool = True) -> Iterable[str]:
    """Every string in a JSON-like value (an alert's labels or custom details); with
    `keys`, the keys too (`p99_latency_ms: 2300` says "latency")."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if keys:
                yield str(key)
            yield from text_of(item, keys=keys)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from text_of(item, keys=keys)
    elif isinstance(value, str):
        yield value
    elif value is not None and not isinstance(value, bool):
        yield str(value)


@dataclass(frozen=True, slots=True)
class Match:
    issue: CommonIssue
    score: float  # cosine similarity, 0 (nothing shared) to 1
    matched_terms: list[str]  # the alert's words the issue shares, most telling first
    why: str


def _issue_weights(issue: CommonIssue) -> dict[str, float]:
    """Term frequencies of the title and symptoms; a title word weighs double."""
    tf: dict[str, float] = {}
    for text, weight in [(issue.title, TITLE_WEIGHT)] + [(s, 1.0) for s in issue.symptoms]:
        for stemmed, _ in words(text):
            tf[stemmed] = tf.get(stemmed, 0.0) + weight
    return tf


def match_issues(issues: Sequence[CommonIssue], alert_text: str | Iterable[str]) -> list[Match]:
    """Issues sharing at least one word with the alert, best first (ties keep the
    runbook's order)."""
    texts = [alert_text] if isinstance(alert_text, str) else list(alert_text)
    alert_tf: dict[str, float] = {}
    alert_spelled: dict[str, str] = {}
    for text in texts:
        for stemmed, word in words(text):
            # Repeats in an alert are mostly labels echoing the summary: count once.
            alert_tf[stemmed] = 1.0
            alert_spelled.setdefault(stemmed, word)

    weighted = [_issue_weights(issue) for issue in issues]
    df: dict[str, int] = {}
    for tf in weighted:
        for term in tf:
            df[term] = df.get(term, 0) + 1
    n = len(issues)

    def idf(term: str) -> float:
        return math.log((1 + n) / (1 + df.get(term, 0))) + 1.0

    # The alert's length counts only in words some issue knows: noise in a label cannot
    # lower one issue against another, and scores stay comparable between alerts.
    alert_norm = math.sqrt(sum(idf(t) ** 2 for t in alert_tf if t in df))
    matches: list[Match] = []
    for issue, tf in zip(issues, weighted, strict=True):
        shared = [t for t in tf if t in alert_tf]
        if not shared:
            continue
        issue_norm = math.sqrt(sum((w * idf(t)) ** 2 for t, w in tf.items()))
        dot = sum(tf[t] * idf(t) ** 2 for t in shared)
        score = dot / (issue_norm * alert_norm)
        shared.sort(key=lambda t: -tf[t] * idf(t) ** 2)
        terms = [alert_spelled[t] for t in shared]
        why = (
            f"matched: {', '.join(terms)} "
            f"({len(shared)} of the {len(tf)} words of its title and symptoms)"
        )
        matches.append(Match(issue, round(min(score, 1.0), 3), terms, why))
    order = {id(issue): i for i, issue in enumerate(issues)}
    matches.sort(key=lambda m: (-m.score, order[id(m.issue)]))
    return matches
