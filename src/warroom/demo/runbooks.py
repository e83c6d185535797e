"""The demo services' runbooks, in the reference document's structure, with one common
issue for each recurring problem in the plan (so the incident page can match alerts to
them and drills can practise them)."""

from dataclasses import dataclass

from warroom.demo.plan import ServicePlan, TeamPlan


@dataclass(frozen=True, slots=True)
class Know:
    symptoms: str
    diagnosis: str
    resolution: tuple[str, ...]


KNOWN: dict[str, Know] = {
    "payments-api/auth-errors": Know(
        "Payment authorisation errors above 2%, declined-by-processor spikes, 502 from /charge",
        "Split errors by processor and card network on the payments dashboard; check the "
        "processor status page and our outbound IP allow-list",
        (
            "Fail over to the secondary processor (feature flag `processor.failover`)",
            "Post a customer update if the failure rate stays above 2% for 10 minutes",
            "Open a ticket with the processor with three failing request ids",
        ),
    ),
    "payments-api/db-pool": Know(
        "Database connection pool exhausted, connection timeout errors, request latency "
        "climbing on every endpoint",
        "Check pool usage and waiting threads on the payments dashboard; look for long "
        "transactions in pg_stat_activity",
        (
            "Kill idle-in-transaction connections older than 5 minutes",
            "Restart the two pods with the most waiting threads",
            "Raise the pool size only after the leak is understood",
        ),
    ),
    "payments-api/processor-latency": Know(
        "Card processor latency p99 above 3s, checkout timeouts, retries piling up",
        "Compare processor latency with our own by region; check the retry budget",
        (
            "Lower the retry count to 1 for the affected region",
            "Fail over to the secondary processor if p99 stays above 3s for 15 minutes",
        ),
    ),
    "checkout-web/5xx": Know(
        "Checkout 5xx rate high, error page shown to customers, synthetic checkout failing",
        "Check the last deploy and the error logs grouped by route",
        (
            "Roll back the last deploy if it went out in the past hour",
            "Purge the CDN cache for /checkout if static assets fail",
            "Confirm the synthetic checkout passes",
        ),
    ),
    "checkout-web/memory": Know(
        "High memory usage on checkout pods, OOM kills, pods restarting",
        "Check memory per pod and the heap profile of the largest one",
        (
            "Restart the affected pods one at a time",
            "Scale out by two replicas until the leak is fixed",
            "Capture a heap dump before the next restart",
        ),
    ),
    "api-gateway/502": Know(
        "Gateway 502s from upstream, upstream connect errors, spikes in one route",
        "Find the upstream with failing health checks in the gateway dashboard",
        (
            "Take the failing upstream out of rotation",
            "Page the owning team through warroom if it is not ours",
            "Put the upstream back once its health checks pass",
        ),
    ),
    "api-gateway/cert-expiry": Know(
        "TLS certificate expires in 7 days, certificate expiry alert",
        "Check cert-manager's Certificate resource and its last renewal error",
        (
            "Fix the DNS challenge record if renewal failed",
            "Trigger a renewal with `cmctl renew`",
            "Verify the new expiry date with openssl s_client",
        ),
    ),
    "postgres-primary/replication-lag": Know(
        "Replication lag above 60s, stale reads on replicas, read-after-write errors",
        "Check replay lag and WAL generation rate; look for long-running queries on the replica",
        (
            "Cancel long-running queries on the lagging replica",
            "Route reads to the primary for the affected service",
            "Rebuild the replica if lag keeps growing for 30 minutes",
        ),
    ),
    "postgres-primary/disk": Know(
        "Disk usage above 85%, WAL directory growing, autovacuum warnings",
        "Find the biggest tables and check for an inactive replication slot holding WAL",
        (
            "Drop inactive replication slots",
            "Grow the volume by 20%",
            "Schedule a VACUUM FULL of the largest bloated table",
        ),
    ),
    "search-api/latency": Know(
        "Search latency p99 above 800ms, slow queries, timeouts in the storefront",
        "Check cluster CPU, heap and the slow query log by index",
        (
            "Disable expensive facets with the `search.lite` flag",
            "Add two data nodes if CPU stays above 80%",
        ),
    ),
    "search-api/stale-index": Know(
        "Search index out of date, products missing from search, indexer lag alert",
        "Check the indexer consumer lag and its last successful batch",
        (
            "Restart the indexer",
            "Re-index changed products since the last good batch",
        ),
    ),
    "recommendations/model-errors": Know(
        "Recommendation model errors, empty recommendation carousels, model server 500s",
        "Check the model server logs and the version deployed last",
        (
            "Roll back to the previous model version",
            "Serve the popular-items fallback while investigating",
        ),
    ),
    "event-pipeline/consumer-lag": Know(
        "Event consumer lag above 10 minutes, dashboards behind, partition lag alert",
        "Check per-partition lag and consumer restarts; look for a poison message",
        (
            "Skip the poison message to the dead-letter topic",
            "Scale the consumer group to the partition count",
        ),
    ),
    "event-pipeline/etl-failed": Know(
        "Nightly ETL job failed, reports not refreshed, ETL failure alert",
        "Read the failed task's log in the scheduler; check upstream schema changes",
        (
            "Fix or revert the schema mapping",
            "Re-run the failed task and its downstream tasks",
            "Tell the analytics channel when the reports are fresh",
        ),
    ),
}


def runbook_markdown(team: TeamPlan, service: ServicePlan) -> str:
    issues = []
    for number, problem in enumerate(service.problems, 1):
        know = KNOWN[problem.key]
        steps = "\n".join(f"{i}. {step}" for i, step in enumerate(know.resolution, 1))
        issues.append(
            f"### Issue {number}: {problem.title}\n"
            f"**Symptoms**: {know.symptoms}\n"
            f"**Diagnosis**: {know.diagnosis}\n"
            f"**Resolution**:\n{steps}\n"
        )
    name = service.name
    return (
        f"# {name} Runbook\n\n"
        "## Service Overview\n"
        f"- Purpose: {service.description}\n"
        f"- Dependencies: PostgreSQL, the API gateway, the {team.name} team's queues\n"
        f"- Impact: customers see the {service.component} component degraded or down\n\n"
        "## Key Metrics\n"
        f"- Dashboard: https://grafana.example.com/d/{name}\n"
        "- Key metrics to monitor:\n"
        "  - Request rate\n"
        "  - Error rate\n"
        "  - Latency (p50, p95, p99)\n\n"
        "## Common Issues\n\n" + "\n".join(issues) + "\n"
        "## Emergency Procedures\n\n"
        "### Rollback\n"
        "```bash\n"
        f"kubectl rollout undo deployment/{name}\n"
        "```\n\n"
        "### Emergency Scale\n"
        "```bash\n"
        f"kubectl scale deployment/{name} --replicas=10\n"
        "```\n"
    )
