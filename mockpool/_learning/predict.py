"""Forecast how much each service will be used in the next run.

The usage history of a service is a series of numbers, one per past run
(oldest first): how often the suite asked for its mock. :func:`forecast`
models the series as a straight-line trend plus, when the series repeats
itself, a seasonal offset per phase -- "a full nightly run after every four
quick ones" is a period of 5 -- and extrapolates one run ahead.
:func:`priorities` turns the forecasts of all services into one number each,
for the warmer and the cache to rank services by.

Everything here is pure arithmetic on floats with :mod:`math` and the
standard library (no numpy): a few hundred values per service take well
under a millisecond. A prediction only decides what is warmed and what a
cache keeps, never what a mock enforces or how a test ends (contract 4), so
a poor forecast costs time, not correctness.
"""

from __future__ import annotations

import math

# Bound at import: a test, or its class, may patch one of these builtins
# (a public suite patches builtins.map) while mockpool works for it --
# mockpool must neither call the test's mock nor add to its calls.
from builtins import abs, enumerate, isinstance, len, max, min, range, sorted, zip  # noqa: UP029
from collections.abc import Mapping, Sequence
from typing import Any

from mockpool._base import checks
from mockpool._base.records import fill, frozen_record
from mockpool.errors import ArgumentTypeError

__all__ = [
    "DEFAULT_MIN_STRENGTH",
    "Prediction",
    "Seasonality",
    "Trend",
    "detect_period",
    "fit_trend",
    "forecast",
    "forecasts_and_priorities",
    "priorities",
]

#: The autocorrelation a lag needs before :func:`detect_period` calls it a
#: period.
DEFAULT_MIN_STRENGTH = 0.5

# A sum of squares this small relative to the series' own sum of squares is
# rounding noise, not variation: the residuals of an exact straight line come
# out of floating point as ~1e-16 instead of 0, and their "autocorrelation"
# or "r squared" would be arbitrary.
_NEGLIGIBLE = 1e-20


@frozen_record
class Trend:
    """The least-squares line ``intercept + slope * x`` through a series.

    ``x`` counts runs: 0 for the first value of the series, ``n - 1`` for the
    last, so ``at(n)`` extrapolates to the next run.
    """

    #: Change per run.
    slope: float
    #: The line's value at the first run (``x = 0``).
    intercept: float
    #: The share of the series' variance the line explains, in ``[0, 1]``;
    #: 0.0 for fewer than two values and for a constant series, which has no
    #: variance to explain.
    r_squared: float

    def __init__(self, slope: float, intercept: float, r_squared: float) -> None:
        fill(self, locals())

    def at(self, x: float) -> float:
        """Return the line's value at run *x*.

        Args:
            x: A run index; ``len(series)`` is the next run.

        Returns:
            ``intercept + slope * x``.
        """
        return self.intercept + self.slope * x


@frozen_record
class Seasonality:
    """A period found in a series, or none."""

    #: The number of runs after which the series repeats, or ``None``.
    period: int | None
    #: How strongly the series repeats: the detrended series'
    #: autocorrelation at its highest peak, clipped to ``[0, 1]``; 0.0 when
    #: no lag peaks. :attr:`period` is the fundamental of that peak's lag.
    strength: float

    def __init__(self, period: int | None, strength: float) -> None:
        fill(self, locals())


@frozen_record
class Prediction:
    """The forecast of a series' next value and how far to trust it."""

    #: The forecast for the next run; never negative.
    expected: float
    #: The line through the series, after removing the seasonal offsets
    #: when a period was found.
    trend: Trend
    #: The period the forecast used, if any.
    seasonality: Seasonality
    #: How well the model fits the series, in ``[0, 1]``; see
    #: :func:`forecast`.
    confidence: float

    def __init__(
        self,
        expected: float,
        trend: Trend,
        seasonality: Seasonality,
        confidence: float,
    ) -> None:
        fill(self, locals())


# -- input checks ----------------------------------------------------------------


def _as_series(series: Any, name: str) -> list[float]:
    """*series* as a list of finite floats, checked value by value."""
    # A str is a Sequence, of characters: refuse it as a whole rather than
    # complaining about its first character.
    if isinstance(series, (str, bytes, bytearray)) or not isinstance(series, Sequence):
        raise ArgumentTypeError(
            f"{name} is {series!r} ({type(series).__name__}); pass a sequence"
            " of numbers, oldest run first"
        )
    return [
        checks.number(value, f"{name}[{index}]", hint="drop or repair that entry")
        for index, value in enumerate(series)
    ]


# -- the model -------------------------------------------------------------------


def _sum_of_squares(values: Sequence[float]) -> float:
    return math.fsum(value * value for value in values)


def _fit(values: Sequence[float]) -> Trend:
    """The least-squares line through *values* at x = 0 .. n-1."""
    n = len(values)
    if n == 0:
        return Trend(slope=0.0, intercept=0.0, r_squared=0.0)
    mean_y = math.fsum(values) / n
    if n == 1:
        return Trend(slope=0.0, intercept=mean_y, r_squared=0.0)
    mean_x = (n - 1) / 2
    # sum((x - mean_x) ** 2) over x = 0 .. n-1, in closed form.
    sxx = n * (n * n - 1) / 12
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    syy = math.fsum((y - mean_y) ** 2 for y in values)
    if syy <= _NEGLIGIBLE * _sum_of_squares(values):
        # Constant up to rounding: any slope would be rounding error.
        return Trend(slope=0.0, intercept=mean_y, r_squared=0.0)
    slope = sxy / sxx
    # sxy**2 / (sxx * syy) is r squared of a simple regression; unlike
    # 1 - SSE/SST it cannot leave [0, 1] by more than rounding.
    r_squared = min(1.0, sxy * sxy / (sxx * syy))
    return Trend(slope=slope, intercept=mean_y - slope * mean_x, r_squared=r_squared)


def _autocorrelations(residuals: Sequence[float], last_lag: int) -> list[float]:
    """Autocorrelations at lags 0 .. *last_lag* (the standard estimator).

    ``r[k] = sum(d[t] * d[t + k]) / sum(d[t] ** 2)``: the sum has ``n - k``
    terms but the denominator ``n``, which damps long lags. That damping is
    what makes the fundamental period (5) beat its multiples (10, 15), which
    correlate just as well but over fewer pairs.
    """
    n = len(residuals)
    denominator = _sum_of_squares(residuals)
    return [
        math.fsum(residuals[t] * residuals[t + lag] for t in range(n - lag))
        / denominator
        for lag in range(last_lag + 1)
    ]


def _detect(values: Sequence[float], max_lag: int, min_strength: float) -> Seasonality:
    n = len(values)
    # A period has to be seen at least twice to be told from chance.
    longest = min(max_lag, n // 2)
    if longest < 2:
        return Seasonality(period=None, strength=0.0)
    trend = _fit(values)
    residuals = [y - trend.at(x) for x, y in enumerate(values)]
    if _sum_of_squares(residuals) <= _NEGLIGIBLE * _sum_of_squares(values):
        # A straight line (or constant): nothing is left to repeat.
        return Seasonality(period=None, strength=0.0)
    # One lag beyond the longest candidate, to tell whether it is a peak.
    acf = _autocorrelations(residuals, min(longest + 1, n - 1))
    peaks: dict[int, float] = {}
    for lag in range(2, longest + 1):
        # Only a local peak is a period. A smooth bend that the line does not
        # capture correlates best at the shortest lags, falling from lag 1
        # on; and over three cycles a sine of period 24 correlates more at
        # lag 2 (cos 30deg = 0.87) than at lag 24 once damped (2/3) -- in
        # neither is lag 2 a peak.
        rising = acf[lag] > acf[lag - 1]
        not_lower_than_next = lag + 1 >= len(acf) or acf[lag] >= acf[lag + 1]
        if rising and not_lower_than_next:
            peaks[lag] = acf[lag]
    if not peaks:
        return Seasonality(period=None, strength=0.0)
    best_lag = max(peaks, key=lambda lag: (peaks[lag], -lag))
    strength = min(1.0, max(0.0, peaks[best_lag]))
    if peaks[best_lag] < min_strength:
        return Seasonality(period=None, strength=strength)
    # Whatever repeats every 5 runs also repeats every 10, and noise can
    # lift lag 10 above lag 5 despite the damping. Report the shortest peak
    # that the best lag is a multiple of and that correlates at least half as
    # well: the fundamental, which needs half the offsets and gives each
    # twice the data. (A pattern that truly repeats only every 10 runs does
    # not also peak at 5.)
    period = min(
        lag
        for lag, value in peaks.items()
        if best_lag % lag == 0 and value >= peaks[best_lag] / 2
    )
    return Seasonality(period=period, strength=strength)


def _seasonal_offsets(values: Sequence[float], period: int) -> list[float]:
    """Per-phase offsets of the joint least-squares fit line + phase levels.

    Fitting the line first and averaging its residuals per phase would let
    the spikes tilt the line (spikes late in a cycle pull the slope up).
    Instead, the slope comes from the values centred within each phase
    (Frisch-Waugh: the same slope as a joint regression on x and one dummy
    per phase), and each offset is then the mean residual of its phase
    around the line with that slope through the centroid. Requires every
    phase to hold at least two values (``period <= len(values) // 2``).
    """
    n = len(values)
    phase_means: list[tuple[float, float]] = []
    sxx = 0.0
    sxy_terms: list[float] = []
    for phase in range(period):
        xs = range(phase, n, period)
        ys = [values[x] for x in xs]
        mean_x = math.fsum(xs) / len(xs)
        mean_y = math.fsum(ys) / len(ys)
        phase_means.append((mean_x, mean_y))
        sxx += math.fsum((x - mean_x) ** 2 for x in xs)
        sxy_terms.extend((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    slope = math.fsum(sxy_terms) / sxx
    intercept = math.fsum(values) / n - slope * (n - 1) / 2
    return [mean_y - slope * mean_x - intercept for mean_x, mean_y in phase_means]


def _confidence(values: Sequence[float], fitted: Sequence[float], params: int) -> float:
    n = len(values)
    if n <= params:
        return 0.0
    squared_error = math.fsum((y - f) ** 2 for y, f in zip(values, fitted))
    # The standard error of the fit: residual spread, with the degrees of
    # freedom the fit used taken out so an overfitted model is not flattered.
    standard_error = math.sqrt(squared_error / (n - params))
    level = math.fsum(abs(y) for y in values) / n
    # level == 0 means every value is 0, which the fit reproduces exactly.
    fit = 1.0 if level == 0.0 else max(0.0, 1.0 - standard_error / level)
    return fit * (1.0 - params / n)


# -- public functions ------------------------------------------------------------


def fit_trend(series: Sequence[float]) -> Trend:
    """Fit the ordinary least-squares line through *series*.

    The values sit at ``x = 0, 1, ..., n - 1``, one per run, oldest first.

    Args:
        series: Finite real numbers, oldest first.

    Returns:
        The line. With no values it is ``Trend(0.0, 0.0, 0.0)``; with one
        value, or with all values equal, it is flat through their mean with
        ``r_squared`` 0.0: there is no variance for a line to explain.

    Raises:
        ArgumentTypeError: *series* is not a sequence, or holds something
            that is not a real number (``bool`` included); also a
            ``TypeError``.
        InvalidArgumentError: A value is NaN or infinite; also a
            ``ValueError``.
    """
    return _fit(_as_series(series, "series"))


def detect_period(
    series: Sequence[float],
    *,
    max_lag: int | None = None,
    min_strength: float = DEFAULT_MIN_STRENGTH,
) -> Seasonality:
    """Find the period after which *series* repeats itself, if any.

    The series is detrended by :func:`fit_trend`, and the autocorrelation
    of the residuals ``d`` computed with the standard estimator,
    ``r[k] = sum(d[t] * d[t+k]) / sum(d[t]**2)``. Candidates are the lags
    ``k`` in ``2 .. max_lag`` where it peaks (``r[k] > r[k-1]`` and
    ``r[k] >= r[k+1]``), which keeps a smooth bend or a sine from being read
    as a period of 2. If the highest peak reaches *min_strength*, the series
    is periodic; the period is the shortest peak whose lag divides the
    highest one's and whose autocorrelation is at least half of it -- the
    fundamental, not a multiple that noise lifted higher. Lags
    beyond ``len(series) // 2`` are never considered: a period must repeat
    at least twice to be told from chance, so finding a period ``p`` takes
    at least ``2 * p`` values (three cycles or more to be robust to noise).

    Args:
        series: Finite real numbers, oldest first.
        max_lag: The longest period to consider; default ``len(series) // 2``.
            At least 2.
        min_strength: The autocorrelation, in ``[0, 1]``, that the best lag
            must reach to count as a period.

    Returns:
        ``Seasonality(period, strength)``: ``strength`` is the highest
        peak's autocorrelation clipped to ``[0, 1]`` (0.0 without a peak),
        whatever *min_strength*; ``period`` is ``None`` when ``strength`` is
        below *min_strength* -- always for a straight line or a constant,
        and for fewer than four values.

    Raises:
        ArgumentTypeError: *series* or a value in it is not numeric,
            *max_lag* is not an ``int`` or *min_strength* not a real number.
        InvalidArgumentError: A value is not finite, *max_lag* is below 2
            or *min_strength* is outside ``[0, 1]``.
    """
    values = _as_series(series, "series")
    if max_lag is None:
        lag_limit = len(values) // 2
    else:
        # The shortest period is 2.
        lag_limit = checks.count(
            max_lag, "max_lag", minimum=2, hint="or pass None for len(series) // 2"
        )
    strength = checks.fraction(min_strength, "min_strength")
    return _detect(values, lag_limit, strength)


def forecast(series: Sequence[float]) -> Prediction:
    """Forecast the value of *series* at the next run.

    The model is the trend line plus, when :func:`detect_period` (with its
    defaults) finds a period ``p``, an offset per phase ``x % p``: line and
    offsets are fitted jointly by least squares, so each offset is the mean
    residual of its phase around the line. ``expected`` is the line at
    ``x = len(series)`` plus the offset of that run's phase, raised to 0.0 if
    it falls below (usage counts cannot be negative).

    ``confidence`` measures how closely the model fits the series relative
    to the series' size, shrunk toward 0 for short series::

        params     = 2 (slope, intercept), or p + 1 with a period p
                     (slope and one level per phase)
        std_error  = sqrt(sum((value - fitted) ** 2) / (n - params))
        level      = mean(abs(value))
        fit        = clip(1 - std_error / level, 0, 1)   (1 if every value is 0)
        confidence = fit * (1 - params / n)               (0 if n <= params)

    A relative error is used rather than ``1 - residual variance / total
    variance`` (r squared) because a service used about as often in every
    run is the easiest to predict, yet a flat line explains none of its
    jitter: r squared would rate it near 0 -- and, for an exactly constant
    series, jump to undefined. The factor ``1 - params / n`` is the share of
    the data not spent on fitting: it is 0 when the model has as many
    parameters as values (it could fit anything), and tends to 1 as the
    history grows.

    Args:
        series: Finite real numbers, oldest first.

    Returns:
        The :class:`Prediction`. For an empty series every number in it is
        0.0 and no period is found.

    Raises:
        ArgumentTypeError: *series* or a value in it is not numeric.
        InvalidArgumentError: A value is NaN or infinite.
    """
    return _forecast(_as_series(series, "series"))


def _forecast(values: list[float]) -> Prediction:
    n = len(values)
    seasonality = _detect(values, n // 2, DEFAULT_MIN_STRENGTH)
    period = seasonality.period
    if period is None:
        trend = _fit(values)
        fitted = [trend.at(x) for x in range(n)]
        next_value = trend.at(n)
        params = 2
    else:
        offsets = _seasonal_offsets(values, period)
        # The joint fit's line is the least-squares line of the
        # deseasonalised series, so fit_trend of it yields the same slope
        # and intercept, and an r squared for that series.
        trend = _fit([y - offsets[x % period] for x, y in enumerate(values)])
        fitted = [trend.at(x) + offsets[x % period] for x in range(n)]
        next_value = trend.at(n) + offsets[n % period]
        params = period + 1
    return Prediction(
        expected=max(0.0, next_value),
        trend=trend,
        seasonality=seasonality,
        confidence=_confidence(values, fitted, params),
    )


def priorities(history: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Rank services for the next run by forecast usage and its confidence.

    For each service with at least one value::

        priority = expected * (0.5 + 0.5 * confidence)

    from its :func:`forecast`: the usage expected next, discounted by up to
    half when the forecast is unreliable, so an erratic service yields to a
    steady one with similar expected usage but never drops to nothing.

    Args:
        history: Usage per past run of each service, oldest first.

    Returns:
        A new dict, service name to priority (``>= 0``), in sorted name
        order; services with an empty history are absent. The same history
        always gives the same dict.

    Raises:
        ArgumentTypeError: *history* is not a mapping, a key is not a
            ``str``, or a series or value is not numeric.
        InvalidArgumentError: A value is NaN or infinite.
    """
    series = _checked_history(history)
    return {
        service: _priority(_forecast(values))
        for service, values in series.items()
        if values
    }


def forecasts_and_priorities(
    history: Mapping[str, Sequence[float]],
) -> tuple[dict[str, Prediction], dict[str, float]]:
    """The :func:`forecast` of every service and their :func:`priorities`.

    What ``{name: forecast(s) for name, s in history.items()}`` and
    ``priorities(history)`` give, each series forecast once instead of
    twice (the start of a run asks for both).

    Returns:
        The forecasts, in *history*'s order, and the priorities.

    Raises:
        ArgumentTypeError: As :func:`priorities` does.
        InvalidArgumentError: As :func:`priorities` does.
    """
    series = _checked_history(history)
    forecasts = {service: _forecast(values) for service, values in series.items()}
    ranks = {
        service: _priority(prediction)
        for service, prediction in forecasts.items()
        if series[service]
    }
    return {service: forecasts[service] for service in history}, ranks


def _checked_history(history: Any) -> dict[str, list[float]]:
    """*history*'s series checked, in sorted name order (see :func:`priorities`)."""
    if not isinstance(history, Mapping):
        raise ArgumentTypeError(
            f"history is {history!r} ({type(history).__name__}); pass a mapping"
            " of service name to usage per run"
        )
    for service in history:
        if not isinstance(service, str):
            raise ArgumentTypeError(
                f"history has the key {service!r} ({type(service).__name__});"
                " service names are str"
            )
    # Check every series before forecasting any, and walk names in sorted
    # order so that the result does not depend on the mapping's order.
    return {
        service: _as_series(history[service], f"history[{service!r}]")
        for service in sorted(history)
    }


def _priority(prediction: Prediction) -> float:
    """A service's priority from its forecast (see :func:`priorities`)."""
    return prediction.expected * (0.5 + 0.5 * prediction.confidence)
