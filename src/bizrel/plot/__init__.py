"""Charts of bizrel's results on matplotlib (`pip install 'bizrel[plot]'`).

Each function takes the result object bizrel already returns and an optional matplotlib `ax`,
draws on it (on a new figure without one) and returns the Axes, so an analyst goes from a result
to a chart in one line and keeps styling it with matplotlib. matplotlib is imported on the call;
without it the call raises MissingExtra naming the pip command. Bar heights are floats (that is
what a screen draws); every label printed on a chart is the exact figure.
"""

from bizrel.plot.customer import cohort_retention, nps_over_time, rfm_segments
from bizrel.plot.sales import aging, attainment, forecast, funnel

__all__ = [
    "aging",
    "attainment",
    "cohort_retention",
    "forecast",
    "funnel",
    "nps_over_time",
    "rfm_segments",
]
