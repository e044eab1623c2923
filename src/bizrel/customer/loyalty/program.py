"""The loyalty program: how points are earned, what they are worth, when they expire, and tiers.

A program is configuration, persisted as an aggregate; accounts (`ledger`) apply it. Every
conversion between money and points is exact Decimal (or Fraction) arithmetic with a declared
rounding mode: points are whole numbers and are never rounded with a currency's rounding.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from fractions import Fraction

from attrs import define, field, frozen
from dateutil.relativedelta import relativedelta

from bizrel.core.aggregate import Aggregate
from bizrel.core.clock import local_date, utc, zone
from bizrel.core.errors import ValidationError
from bizrel.core.ids import check_id
from bizrel.core.money import EXACT, Currency, Money, to_decimal
from bizrel.core.periods import Period, PeriodKind, add_months

__all__ = [
    "BonusKind",
    "Campaign",
    "DebtPolicy",
    "ExpiryKind",
    "ExpiryPolicy",
    "Invoice",
    "InvoiceLine",
    "LoyaltyProgram",
    "Tier",
    "TierMetric",
    "TierWindow",
]

_ROUNDINGS = frozenset({ROUND_FLOOR, ROUND_CEILING, ROUND_HALF_EVEN, "ROUND_HALF_UP", "ROUND_DOWN", "ROUND_UP"})


def _rate(field_name: str, value: object) -> Decimal:
    rate = to_decimal(value, field_name)
    if rate < 0:
        raise ValidationError(field_name, value, "must not be negative")
    return rate


def _threshold(value: object) -> Decimal:
    return _rate("threshold", value)


def _multiplier(value: object) -> Decimal:
    return _rate("multiplier", value)


def _points_per_unit(value: object) -> Decimal:
    return _rate("points_per_unit", value)


def _point_value(value: object) -> Decimal:
    return _rate("point_value", value)


def _starts_at(value: object) -> datetime:
    return utc(value, "starts_at")


def _ends_at(value: object) -> datetime:
    return utc(value, "ends_at")


def _currency(value: object) -> str:
    return Currency.of(value).code  # type: ignore[arg-type]


def _non_negative_int(field_name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(field_name, value, "must be a whole number >= 0")
    return value


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The instant a local calendar day starts, in UTC."""
    return utc(datetime.combine(day, time(0), tzinfo=tz), "day")


class ExpiryKind(enum.StrEnum):
    """When earned points expire: never, a number of months after earning, or at the end of a period."""

    NEVER = "never"
    MONTHS_AFTER_EARNING = "months_after_earning"
    END_OF_PERIOD = "end_of_period"


@frozen(kw_only=True)
class ExpiryPolicy:
    """When an earned lot expires. Expiry is at a local midnight in the program's time zone.

    `after_months(12)`: points earned on 15 Jan are usable through 15 Jan a year later and expire
    at the midnight that ends that day. `end_of(YEAR, 1)`: usable until the end of the year after
    the one they were earned in.
    """

    kind: ExpiryKind = ExpiryKind.NEVER
    months: int = 0
    period: PeriodKind = PeriodKind.YEAR
    periods_after: int = 0

    @classmethod
    def never(cls) -> ExpiryPolicy:
        return cls()

    @classmethod
    def after_months(cls, months: int) -> ExpiryPolicy:
        if isinstance(months, bool) or not isinstance(months, int) or months < 1:
            raise ValidationError("months", months, "must be a whole number >= 1")
        return cls(kind=ExpiryKind.MONTHS_AFTER_EARNING, months=months)

    @classmethod
    def end_of(cls, period: PeriodKind | str, periods_after: int = 0) -> ExpiryPolicy:
        return cls(
            kind=ExpiryKind.END_OF_PERIOD,
            period=PeriodKind(period),
            periods_after=_non_negative_int("periods_after", periods_after),
        )

    def expires_at(self, earned_at: datetime, tz: tzinfo) -> datetime | None:
        earned = local_date(earned_at, tz)
        match self.kind:
            case ExpiryKind.NEVER:
                return None
            case ExpiryKind.MONTHS_AFTER_EARNING:
                return local_midnight(add_months(earned, self.months) + timedelta(days=1), tz)
            case ExpiryKind.END_OF_PERIOD:
                period = Period.containing(earned, self.period)
                for _ in range(self.periods_after):
                    period = period.next()
                return local_midnight(period.end, tz)


class DebtPolicy(enum.StrEnum):
    """What happens when a refund reverses points that were already spent."""

    OVERDRAFT = "overdraft"  # the balance goes negative, down to -overdraft_limit; beyond it the refund is refused
    CLAWBACK = "clawback"  # the balance stays at zero and the owed points are taken from future earnings


class TierMetric(enum.StrEnum):
    """What a tier is earned by: points earned or money spent."""

    POINTS_EARNED = "points_earned"
    MONEY_SPENT = "money_spent"


class TierWindow(enum.StrEnum):
    """Over which window tier qualification is measured: rolling months or the calendar year."""

    ROLLING = "rolling"  # the last window_months before now; reviews every review_months from enrolment
    CALENDAR_YEAR = "calendar_year"  # the current local calendar year; reviews on 1 January


class BonusKind(enum.StrEnum):
    """The bonuses a program can award: signup, birthday, referral and the like."""

    SIGNUP = "signup"
    BIRTHDAY = "birthday"
    REFERRAL = "referral"


@frozen(kw_only=True)
class Tier:
    """A level of the program, reached when the qualifying metric is at least `threshold`."""

    name: str
    threshold: Decimal = field(converter=_threshold)
    multiplier: Decimal = field(default=Decimal(1), converter=_multiplier)
    benefits: tuple[str, ...] = ()

    def __attrs_post_init__(self) -> None:
        check_id("tier.name", self.name)


@frozen(kw_only=True)
class Campaign:
    """A time-boxed bonus: invoices in [starts_at, ends_at) earn `multiplier` times the points."""

    name: str
    starts_at: datetime = field(converter=_starts_at)
    ends_at: datetime = field(converter=_ends_at)
    multiplier: Decimal = field(converter=_multiplier)
    categories: tuple[str, ...] = ()  # empty: every category

    def __attrs_post_init__(self) -> None:
        if self.ends_at <= self.starts_at:
            raise ValidationError("ends_at", self.ends_at, f"must be after starts_at {self.starts_at}")

    def applies(self, at: datetime, category: str) -> bool:
        return self.starts_at <= at < self.ends_at and (not self.categories or category in self.categories)


@frozen(kw_only=True)
class InvoiceLine:
    """One line of an invoice points are earned on: its amount and category."""

    id: str
    amount: Money
    category: str = ""
    product: str = ""

    def __attrs_post_init__(self) -> None:
        check_id("line.id", self.id)
        if self.amount.is_negative():
            raise ValidationError("line.amount", self.amount, "must not be negative")


@frozen(kw_only=True)
class Invoice:
    """An invoice or order that earns points; `paid` below the total earns on the paid part only."""

    id: str
    lines: tuple[InvoiceLine, ...]
    paid: Money | None = None

    def __attrs_post_init__(self) -> None:
        check_id("invoice.id", self.id)
        if not self.lines:
            raise ValidationError("lines", self.lines, "an invoice needs at least one line")
        ids = [line.id for line in self.lines]
        if len(set(ids)) != len(ids):
            raise ValidationError("lines", ids, "line ids must be unique")
        currency = self.lines[0].amount.currency
        total = Money.total((line.amount for line in self.lines), currency)
        if self.paid is not None and not Money.zero(currency) <= self.paid <= total:
            raise ValidationError("paid", self.paid, f"must be between 0 and the total {total}")

    @property
    def total(self) -> Money:
        return Money.total((line.amount for line in self.lines), self.lines[0].amount.currency)

    def eligible(self) -> list[Money]:
        """The paid amount of each line: the paid total allocated in proportion to the lines."""
        amounts = [line.amount for line in self.lines]
        if self.paid is None or self.paid == self.total:
            return amounts
        if self.total.is_zero():
            return amounts
        return self.paid.allocate([a.amount for a in amounts])


@define(kw_only=True)
class LoyaltyProgram(Aggregate):
    """The rules of one loyalty program (忠诚度计划)."""

    name: str
    currency: str = field(converter=_currency)
    timezone: str = "UTC"
    # earning
    points_per_unit: Decimal = field(default=Decimal(1), converter=_points_per_unit)
    earn_rounding: str = ROUND_FLOOR
    category_multipliers: dict[str, Decimal] = field(factory=dict)
    product_multipliers: dict[str, Decimal] = field(factory=dict)
    campaigns: list[Campaign] = field(factory=list)
    signup_bonus: int = 0
    birthday_bonus: int = 0
    referral_bonus: int = 0
    max_points_per_transaction: int | None = None
    max_points_per_period: int | None = None
    cap_period: PeriodKind = PeriodKind.MONTH
    # redemption
    point_value: Decimal = field(default=Decimal("0.01"), converter=_point_value)
    value_rounding: str = ROUND_FLOOR
    # lots
    expiry: ExpiryPolicy = field(factory=ExpiryPolicy)
    pending_days: int = 0
    debt_policy: DebtPolicy = DebtPolicy.CLAWBACK
    overdraft_limit: int = 0
    # tiers
    tiers: tuple[Tier, ...] = (Tier(name="member", threshold=Decimal(0)),)
    tier_metric: TierMetric = TierMetric.POINTS_EARNED
    tier_window: TierWindow = TierWindow.CALENDAR_YEAR
    window_months: int = 12
    review_months: int = 12
    soft_landing: bool = False

    def __attrs_post_init__(self) -> None:
        zone(self.timezone)
        for name in ("earn_rounding", "value_rounding"):
            if getattr(self, name) not in _ROUNDINGS:
                raise ValidationError(name, getattr(self, name), f"must be one of {sorted(_ROUNDINGS)}")
        for name in ("signup_bonus", "birthday_bonus", "referral_bonus", "pending_days", "overdraft_limit"):
            _non_negative_int(name, getattr(self, name))
        for name in ("max_points_per_transaction", "max_points_per_period"):
            if getattr(self, name) is not None:
                _non_negative_int(name, getattr(self, name))
        for name in ("window_months", "review_months"):
            if _non_negative_int(name, getattr(self, name)) < 1:
                raise ValidationError(name, getattr(self, name), "must be at least 1")
        for table in ("category_multipliers", "product_multipliers"):
            for key, rate in getattr(self, table).items():
                getattr(self, table)[key] = _rate(f"{table}[{key}]", rate)
        if not self.tiers:
            raise ValidationError("tiers", self.tiers, "a program needs at least one tier")
        if self.tiers[0].threshold != 0:
            raise ValidationError("tiers[0].threshold", self.tiers[0].threshold, "the first tier starts at 0")
        thresholds = [t.threshold for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValidationError("tiers", thresholds, "thresholds must increase strictly")
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise ValidationError("tiers", names, "tier names must be unique")

    # -- time ------------------------------------------------------------------------------------

    @property
    def tz(self) -> tzinfo:
        return zone(self.timezone)

    def expires_at(self, earned_at: datetime) -> datetime | None:
        return self.expiry.expires_at(earned_at, self.tz)

    def available_at(self, earned_at: datetime) -> datetime:
        """When invoice points become usable: after the return window (`pending_days`)."""
        return earned_at + timedelta(days=self.pending_days)

    def cap_period_of(self, at: datetime) -> str:
        return Period.containing(local_date(at, self.tz), self.cap_period).label

    # -- earning ---------------------------------------------------------------------------------

    def add_campaign(self, campaign: Campaign) -> None:
        if any(c.name == campaign.name for c in self.campaigns):
            raise ValidationError("campaign.name", campaign.name, "a campaign with this name exists")
        self.campaigns.append(campaign)

    def multiplier(self, line: InvoiceLine, tier: str, at: datetime) -> Decimal:
        """Product multiplier (else category multiplier) x tier multiplier x every live campaign."""
        base = self.product_multipliers.get(line.product, self.category_multipliers.get(line.category, Decimal(1)))
        result = EXACT.multiply(base, self.tier(tier).multiplier)
        for campaign in self.campaigns:
            if campaign.applies(at, line.category):
                result = EXACT.multiply(result, campaign.multiplier)
        return result

    def points_for_amount(self, amount: Money, multiplier: Decimal) -> int:
        """Points for spending `amount`, rounded to a whole number with `earn_rounding`."""
        if amount.currency.code != self.currency:
            raise ValidationError("amount", amount, f"program {self.id} earns on {self.currency}")
        exact = EXACT.multiply(EXACT.multiply(amount.amount, self.points_per_unit), multiplier)
        return int(exact.quantize(Decimal(1), rounding=self.earn_rounding, context=EXACT))

    def bonus(self, kind: BonusKind) -> int:
        return {
            BonusKind.SIGNUP: self.signup_bonus,
            BonusKind.BIRTHDAY: self.birthday_bonus,
            BonusKind.REFERRAL: self.referral_bonus,
        }[kind]

    # -- value -----------------------------------------------------------------------------------

    def value_of(self, points: int) -> Money:
        """What `points` are worth: exact Decimal product, rounded to the currency with value_rounding.

        290 points at 0.1 are exactly 29.00 and 299 are 29.90; nothing passes through a float.
        """
        return Money.of(EXACT.multiply(Decimal(points), self.point_value), self.currency, rounding=self.value_rounding)

    def points_for(self, amount: Money) -> int:
        """The fewest whole points worth at least `amount` (3030 points at 0.03 pay exactly 90.90)."""
        if amount.currency.code != self.currency:
            raise ValidationError("amount", amount, f"program {self.id} redeems in {self.currency}")
        if not self.point_value:
            raise ValidationError("point_value", self.point_value, "points have no money value")
        exact = Fraction(amount.amount) / Fraction(self.point_value)
        return -(-exact.numerator // exact.denominator)

    # -- tiers -----------------------------------------------------------------------------------

    def tier(self, name: str) -> Tier:
        for t in self.tiers:
            if t.name == name:
                return t
        raise ValidationError("tier", name, f"not a tier of program {self.id}")

    def tier_index(self, name: str) -> int:
        return self.tiers.index(self.tier(name))

    def tier_for(self, value: Decimal) -> Tier:
        """The highest tier whose threshold is at most `value` (a threshold is reached exactly at it)."""
        reached = self.tiers[0]
        for t in self.tiers:
            if value >= t.threshold:
                reached = t
        return reached

    def review_anchor(self, enrolled_at: datetime) -> date:
        enrolled = local_date(enrolled_at, self.tz)
        if self.tier_window is TierWindow.CALENDAR_YEAR:
            return date(enrolled.year, 1, 1)
        return enrolled

    def review_at(self, enrolled_at: datetime, index: int) -> datetime:
        """The `index`-th review (1-based), always computed from the anchor, never chained."""
        return local_midnight(add_months(self.review_anchor(enrolled_at), self.review_months * index), self.tz)

    def enrolled_before(self, index: int, at: datetime) -> datetime:
        """A bound for finding members due: whoever has the `index`-th review at or before `at`
        enrolled before this instant (a superset: month-end clamping is checked exactly later)."""
        latest_anchor = add_months(local_date(at, self.tz), -self.review_months * index)
        if self.tier_window is TierWindow.CALENDAR_YEAR:
            return local_midnight(date(latest_anchor.year + 1, 1, 1), self.tz)
        return local_midnight(latest_anchor + timedelta(days=4), self.tz)

    def window_start(self, at: datetime) -> datetime:
        """Start of the qualifying window that is live at `at`."""
        if self.tier_window is TierWindow.CALENDAR_YEAR:
            return local_midnight(date(local_date(at, self.tz).year, 1, 1), self.tz)
        return at - relativedelta(months=self.window_months)

    def review_window_start(self, review_at: datetime) -> datetime:
        """Start of the window a review at `review_at` judges (it ends at the review)."""
        months = 12 if self.tier_window is TierWindow.CALENDAR_YEAR else self.window_months
        return local_midnight(add_months(local_date(review_at, self.tz), -months), self.tz)
