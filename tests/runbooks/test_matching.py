"""Which common issue an alert looks like: ranked by shared words, and explained by
naming them (pure, no database)."""

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from warroom.domain.runbook import CommonIssue, parse_runbook
from warroom.domain.runbook_match import match_issues, stem, text_of, words

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runbooks"


def _issues(name: str) -> list[CommonIssue]:
    return parse_runbook((EXAMPLES / f"{name}.md").read_text()).common_issues


def test_it_ranks_the_issue_an_alertmanager_alert_describes_first_and_says_why() -> None:
    alert = [
        "DatabaseConnectionPoolExhausted",  # the alertname label, CamelCase
        "payments-api: connection pool in use 50/50 on payments-api-7d9f",
        "requests timing out waiting for a connection",
        "prod",
    ]
    matches = match_issues(_issues("payments-api"), alert)
    best = matches[0]
    assert best.issue.title == "Database connection pool exhausted"
    assert {"connection", "pool", "exhausted", "database"} <= set(best.matched_terms)
    assert best.why.startswith("matched: ")
    assert "pool" in best.why
    assert all(best.score > m.score for m in matches[1:])
    assert 0 < best.score <= 1


def test_it_matches_latency_alerts_on_the_words_that_set_them_apart() -> None:
    matches = match_issues(_issues("payments-api"), "Card processor latency p99 above 3s")
    assert matches[0].issue.title == "Card processor latency high"
    assert matches[0].matched_terms[:4] == ["processor", "latency", "card", "p99"]


def test_it_reads_custom_details_keys_and_label_values() -> None:
    details = {"p99_latency_ms": 2300, "cluster": {"name": "opensearch-prod"}, "ok": False}
    texts = list(text_of(details))
    assert texts == ["p99_latency_ms", "2300", "cluster", "name", "opensearch-prod", "ok"]
    assert list(text_of({"alertname": "SearchSlow"}, keys=False)) == ["SearchSlow"]
    matches = match_issues(_issues("search-api"), [*texts, "search slow"])
    assert matches[0].issue.title == "Search latency high"


def test_an_alert_sharing_no_words_matches_nothing() -> None:
    assert match_issues(_issues("checkout-web"), "TLS certificate renewal") == []
    assert match_issues([], "anything at all") == []


def test_words_are_normalised_so_forms_of_a_word_meet() -> None:
    assert stem("latencies") == stem("latency")
    assert stem("exhausted") == stem("exhaust")
    assert stem("restarting") == stem("restart")
    assert stem("pods") == stem("pod")
    assert [w for _, w in words("OOMKilled the HighMemory alert")] == [
        "oom",
        "killed",
        "high",
        "memory",
    ]


def test_ties_keep_the_runbooks_order() -> None:
    issues = [
        CommonIssue("Disk full on db", 1, ["disk"], [], []),
        CommonIssue("Disk full on web", 5, ["disk"], [], []),
    ]
    assert [m.issue.line for m in match_issues(issues, "disk full")] == [1, 5]


@settings(max_examples=100, deadline=None)
@given(alert=st.text(max_size=200))
def test_matching_never_crashes_and_scores_stay_between_zero_and_one(alert: str) -> None:
    for match in match_issues(_issues("payments-api"), alert):
        assert 0 < match.score <= 1
        assert match.matched_terms
