"""`bizrel report`: the story of one tenant, figure by figure, computed from a store as of one moment.

Each section holds the result objects bizrel's analytics return (so a chart can be drawn from
them) and tables of their exact figures (so a reader can check every number). A section with
nothing recorded says so instead of showing an empty table. `report_html` renders the sections as
one self-contained page; `report_json` as machine-readable JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from attrs import field, frozen

from bizrel import analytics
from bizrel.adapters import Store
from bizrel.core.money import Money
from bizrel.core.periods import Period
from bizrel.core.primitives import to_json
from bizrel.customer import loyalty
from bizrel.sales import RateTable, target_attainment

__all__ = ["SECTIONS", "Report", "Section", "Table", "build_report", "cell_text", "end_of_day", "report_json"]


@frozen
class Table:
    """Exact figures under named columns (cells are numbers, money, text or None)."""

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]

    @classmethod
    def of(cls, caption: str, rows: Sequence[Mapping[str, object]]) -> Table:
        """A table of result rows (`to_rows()`): the columns are the first row's keys."""
        columns = tuple(rows[0]) if rows else ()
        return cls(caption, columns, tuple(tuple(row.get(c) for c in columns) for row in rows))


@frozen
class Section:
    """One chapter of the report: what it is about, a one-paragraph reading, its charts and tables.

    `charts` pairs a `bizrel.plot` function name with the result object it draws.
    """

    key: str
    title: str
    summary: str
    tables: tuple[Table, ...] = ()
    charts: tuple[tuple[str, object], ...] = ()


@frozen
class Report:
    """The sections of one tenant's report, as of one moment."""

    tenant_id: str
    as_of: datetime
    sections: tuple[Section, ...] = field(factory=tuple)


def end_of_day(day: date) -> datetime:
    """`--as-of DATE` includes the whole day: its last microsecond in UTC."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def _money(value: Money | None) -> str:
    return "n/a" if value is None else value.format()


def _funnel(store: Store, tenant: str, as_of: datetime) -> Section:
    with store.unit_of_work(tenant) as uow:
        pipelines = uow.pipelines.list()
    reports = [analytics.funnel_report(p, store, tenant_id=tenant, as_of=as_of) for p in pipelines]
    reports = [r for r in reports if r.opportunities]
    if not reports:
        return Section("funnel", "Funnel and velocity", "No opportunities are recorded for this tenant.")
    readings = [
        f"{r.pipeline}: {r.opportunities} deals, {r.won} won and {r.lost} lost (win rate {_pct(r.win_rate)}), "
        f"average won {_money(r.average_won_amount)} after {r.average_cycle_days or 'n/a'} days; "
        f"velocity {_money(r.velocity_per_day)} per day."
        for r in reports
    ]
    tables = [Table.of(f"{r.pipeline}: deals reaching each stage", r.to_rows()) for r in reports]
    return Section(
        "funnel",
        "Funnel and velocity",
        " ".join(readings),
        tuple(tables),
        tuple(("funnel", r) for r in reports),
    )


def _currency(store: Store, tenant: str) -> str:
    """The currency most of the tenant's opportunities are in (the forecast's reporting currency)."""
    with store.unit_of_work(tenant) as uow:
        counts = Counter(o.amount.currency.code for o in uow.opportunities.list())
    return counts.most_common(1)[0][0] if counts else "USD"


def _forecast(store: Store, tenant: str, as_of: datetime) -> Section:
    with store.unit_of_work(tenant) as uow:
        pipelines = uow.pipelines.list()
    currency = _currency(store, tenant)
    forecast = analytics.build_forecast(store, pipelines, rates=RateTable(currency), as_of=as_of, tenant_id=tenant)
    rows = [
        {
            "period": period.label,
            "won": t.won.amount,
            "commit": t.commit.amount,
            "best_case": t.best_case.amount,
            "pipeline": t.pipeline.amount,
            "weighted": t.weighted.amount,
        }
        for (_, period), t in sorted(forecast.totals(by_owner=False).items(), key=lambda kv: kv[0][1].start)
    ]
    if not rows:
        return Section("forecast", "Forecast", "No open or won deals to forecast.")
    return Section(
        "forecast",
        "Forecast",
        f"Open and won deals by expected quarter in {currency}: won is booked, commit and best case are the "
        "reps' calls, pipeline the rest; weighted multiplies each deal by its stage probability.",
        (Table.of(f"Forecast by period ({currency})", rows),),
        (("forecast", forecast),),
    )


def _attainment(store: Store, tenant: str, as_of: datetime) -> Section:
    with store.unit_of_work(tenant) as uow:
        periods = sorted(
            {t.period for t in uow.targets.list() if t.owner_kind.value == "rep" and t.period.start <= as_of.date()},
            key=lambda p: (p.start, p.end),
        )
        statements = uow.commission_statements.list()
        report = (
            target_attainment(
                uow, metric="bookings", owner_kind="rep", period=periods[-1], as_of=min(as_of.date(), periods[-1].end)
            )
            if periods
            else None
        )
    tables: list[Table] = []
    readings: list[str] = []
    charts: list[tuple[str, object]] = []
    if report is not None:
        tables.append(Table.of(f"Bookings attainment per rep, {report.period}", report.to_rows()))
        charts.append(("attainment", report))
        on_track = sum(1 for r in report.rows if r.on_track)
        readings.append(
            f"Bookings against each rep's target for {report.period} as of {report.as_of}, with "
            f"{_pct(report.elapsed_share)} of the period elapsed: {on_track} of {len(report.rows)} reps on track."
        )
    if statements:
        rows = [
            {
                "statement": s.id,
                "rep": s.rep_id,
                "period": str(s.period),
                "credited": s.credited.amount,
                "attainment": s.attainment,
                "commission": s.total.amount,
                "currency": s.total.currency.code,
            }
            for s in sorted(statements, key=lambda s: (s.period.start, s.rep_id, s.id))
        ]
        tables.append(Table.of("Commission statements issued", rows))
        readings.append(f"{len(statements)} commission statement(s) issued.")
    if not tables:
        return Section("attainment", "Attainment and commissions", "No rep targets or commission statements.")
    return Section("attainment", "Attainment and commissions", " ".join(readings), tuple(tables), tuple(charts))


def _receivables(store: Store, tenant: str, as_of: datetime) -> Section:
    with store.unit_of_work(tenant) as uow:
        if uow.contracts.count() == 0:
            return Section("receivables", "Receivables", "No contracts are recorded for this tenant.")
    quarter = Period.containing(as_of.date(), "quarter")
    aging = analytics.aging(store, as_of.date(), tenant_id=tenant)
    dso = analytics.dso(store, quarter, tenant_id=tenant)
    cycle = analytics.collection_cycle(store, tenant_id=tenant)
    return Section(
        "receivables",
        "Receivables",
        f"Open invoices by age as of {as_of.date()}: {_money(aging.total.total)} outstanding. "
        f"DSO in {quarter}: {dso if dso is not None else 'n/a'} days; average collection cycle "
        f"{cycle.average_days if cycle.average_days is not None else 'n/a'} days over {len(cycle.rows)} "
        "fully paid contracts.",
        (Table.of("Receivables aging by owner", aging.to_rows()),),
        (("aging", aging),),
    )


def _health(store: Store, tenant: str, as_of: datetime) -> Section:
    with store.unit_of_work(tenant) as uow:
        customers = uow.customers.list()
    if not customers:
        return Section("health", "Customer health", "No customers are recorded for this tenant.")
    bands = Counter(c.health.band.value if c.health else "not scored" for c in customers)
    stages = Counter(c.stage for c in customers)
    return Section(
        "health",
        "Customer health",
        f"{len(customers)} customers by their latest health score: "
        + ", ".join(f"{n} {band.replace('_', ' ')}" for band, n in bands.most_common())
        + ".",
        (
            Table.of("Customers per health band", [{"band": b, "customers": n} for b, n in sorted(bands.items())]),
            Table.of(
                "Customers per lifecycle stage", [{"stage": s, "customers": n} for s, n in sorted(stages.items())]
            ),
        ),
    )


def _nps(store: Store, tenant: str, as_of: datetime) -> Section:
    breakdown = analytics.nps_by_period(store, "quarter", tenant_id=tenant)
    rows = breakdown.to_rows()
    if not rows:
        return Section("nps", "Net Promoter Score", "No NPS answers are recorded for this tenant.")
    last = rows[-1]
    return Section(
        "nps",
        "Net Promoter Score",
        f"NPS per quarter with its margin of error (95%); latest {last['period']}: {last['score']} "
        f"± {last['margin_of_error']} from {last['responses']} answers.",
        (Table.of("NPS by quarter", rows),),
        (("nps_over_time", breakdown),),
    )


def _rfm(store: Store, tenant: str, as_of: datetime) -> Section:
    summary = analytics.rfm_summary(store, as_of=as_of, tenant_id=tenant)
    if not len(summary):
        return Section("rfm", "RFM segments", "No purchases are recorded for this tenant.")
    counts = Counter(r.segment for r in summary)
    rows = [{"segment": s, "customers": n} for s, n in counts.most_common()]
    return Section(
        "rfm",
        "RFM segments",
        f"{len(summary)} buyers scored on recency, frequency and monetary value; the largest segment is "
        f"{rows[0]['segment']} ({rows[0]['customers']}).",
        (Table.of("Buyers per RFM segment", rows),),
        (("rfm_segments", summary),),
    )


def _cohorts(store: Store, tenant: str, as_of: datetime) -> Section:
    retention = analytics.cohort_retention(store, as_of=as_of, tenant_id=tenant)
    rows = retention.to_rows()
    if not rows:
        return Section("cohorts", "Cohort retention", "No purchases are recorded for this tenant.")
    return Section(
        "cohorts",
        "Cohort retention",
        "Customers grouped by the month of their first purchase: the share still buying in each later month.",
        (Table.of("Retention by first-purchase cohort", rows),),
        (("cohort_retention", retention),),
    )


def _loyalty(store: Store, tenant: str, as_of: datetime) -> Section:
    with store.unit_of_work(tenant) as uow:
        programs = [(p, uow.loyalty_accounts.list(program_id=p.id)) for p in uow.loyalty_programs.list()]
    if not programs:
        return Section("loyalty", "Loyalty liability", "No loyalty program is set up for this tenant.")
    tables, readings = [], []
    month = Period.containing(as_of.date(), "month").next()
    expiring_from, expiring_to = (datetime.combine(day, time(0), tzinfo=UTC) for day in (month.start, month.end))
    for program, accounts in programs:
        liability = loyalty.liability(program, accounts, at=as_of, expiring_from=expiring_from, expiring_to=expiring_to)
        rows = [{"tier": t, "members": m, "points": p} for t, m, p in liability.to_rows()]
        tables.append(Table.of(f"{program.name}: members and points per tier", rows))
        readings.append(
            f"{program.name}: {liability.points:,} points outstanding worth {liability.value.format()} (the "
            f"liability); {liability.expiring_points:,} points worth {liability.expiring_value.format()} expire in "
            f"{month.label}."
        )
    return Section("loyalty", "Loyalty liability", " ".join(readings), tuple(tables))


def _closed_loop(store: Store, tenant: str, as_of: datetime) -> Section:
    report = analytics.closed_loop_report(store, tenant_id=tenant, as_of=as_of)
    rows = report.to_rows()
    if not rows:
        return Section("closed-loop", "The closed loop", "No won deals handed over to customer success yet.")
    return Section(
        "closed-loop",
        "The closed loop",
        "Each seller's won deals followed into customer success: how many customers stayed, their NPS, "
        "gross and net revenue retention and lifetime value next to the bookings.",
        (Table.of(f"Won deals by {report.by}: what became of the customers", rows),),
    )


SECTIONS: tuple[Callable[[Store, str, datetime], Section], ...] = (
    _funnel,
    _forecast,
    _attainment,
    _receivables,
    _health,
    _nps,
    _rfm,
    _cohorts,
    _loyalty,
    _closed_loop,
)
"""The report's sections in reading order: the sales story first, then the customers', then the loop."""


def build_report(store: Store, tenant_id: str, as_of: datetime) -> Report:
    """Compute every section of `tenant_id`'s report from `store` as of `as_of` (timezone-aware)."""
    return Report(tenant_id, as_of, tuple(section(store, tenant_id, as_of) for section in SECTIONS))


def cell_text(value: Any) -> str:
    """A table cell as printed: exact decimals and money as they are, a missing value as a dash."""
    if value is None:
        return "–"
    if isinstance(value, Money):
        return value.format()
    return str(value)


def report_json(report: Report) -> str:
    """The report as JSON: each section's title, reading and tables, money and decimals exact (strings)."""
    return to_json(
        {
            "tenant_id": report.tenant_id,
            "as_of": report.as_of,
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "summary": s.summary,
                    "tables": [
                        {"caption": t.caption, "rows": [dict(zip(t.columns, row, strict=True)) for row in t.rows]}
                        for t in s.tables
                    ],
                }
                for s in report.sections
            ],
        },
        indent=2,
    )
