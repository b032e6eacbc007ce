"""Tests for mockpool._learning.predict: trend, seasonality, forecast and priorities.

Synthetic histories have a known slope, period or phase; noise comes from
seeded :class:`random.Random` instances, so each test sees the same numbers
on every run while the expectations stay those of the generating model.
"""

from __future__ import annotations

import math
import random
import unittest
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mockpool._learning.predict import (
    DEFAULT_MIN_STRENGTH,
    Prediction,
    Seasonality,
    Trend,
    detect_period,
    fit_trend,
    forecast,
    forecasts_and_priorities,
    priorities,
)
from mockpool.errors import ArgumentTypeError, InvalidArgumentError

SEEDS = range(10)

#: Values whose squares and products stay far from overflow and underflow.
FINITE = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
SERIES = st.lists(FINITE, min_size=0, max_size=40)


def line(intercept: float, slope: float, n: int) -> list[float]:
    return [intercept + slope * x for x in range(n)]


def noisy_line(
    intercept: float, slope: float, n: int, sigma: float, seed: int
) -> list[float]:
    rng = random.Random(seed)
    return [intercept + slope * x + rng.gauss(0.0, sigma) for x in range(n)]


def spiky(
    n: int,
    *,
    period: int = 5,
    base: float = 10.0,
    spike: float = 50.0,
    slope: float = 0.0,
    sigma: float = 2.0,
    seed: int = 0,
) -> list[float]:
    """Quick runs at *base*, a full run at *spike* every *period*-th run."""
    rng = random.Random(seed)
    return [
        (spike if x % period == period - 1 else base)
        + slope * x
        + rng.gauss(0.0, sigma)
        for x in range(n)
    ]


def pure_noise(n: int, seed: int, low: float = 0.0, high: float = 20.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.uniform(low, high) for _ in range(n)]


def squared_error(series: Sequence[float], trend: Trend) -> float:
    return math.fsum((y - trend.at(x)) ** 2 for x, y in enumerate(series))


class InputValidationMixin:
    """Every function refuses what is not a sequence of finite numbers."""

    def call(self, series: Any) -> object:
        raise NotImplementedError

    def test_nan_names_value_and_index(self) -> None:
        """A NaN raises InvalidArgumentError (a ValueError) naming it."""
        case: Any = self
        with case.assertRaisesRegex(
            InvalidArgumentError, r"series\[2\] must be a finite number, not nan"
        ):
            self.call([1.0, 2.0, math.nan, 4.0])
        with case.assertRaises(ValueError):
            self.call([math.nan])

    def test_infinity_names_value(self) -> None:
        """An infinite value raises InvalidArgumentError naming it."""
        case: Any = self
        for bad in (math.inf, -math.inf):
            with (
                case.subTest(bad=bad),
                case.assertRaisesRegex(InvalidArgumentError, repr(bad)),
            ):
                self.call([1.0, bad])

    def test_non_numbers_name_value(self) -> None:
        """A str, None, bool or complex value raises ArgumentTypeError."""
        case: Any = self
        for bad in ("3", None, True, 1j, b"1"):
            with case.subTest(bad=bad):
                with case.assertRaisesRegex(ArgumentTypeError, repr(bad)[:4]):
                    self.call([1.0, bad, 3.0])
                with case.assertRaises(TypeError):
                    self.call([bad])

    def test_non_sequences_refused(self) -> None:
        """A str, a set, a number or None is not a series."""
        case: Any = self
        for bad in ("123", b"123", {1.0, 2.0}, 3.0, None):
            with (
                case.subTest(bad=bad),
                case.assertRaisesRegex(ArgumentTypeError, "series is"),
            ):
                self.call(bad)

    def test_other_real_types_accepted(self) -> None:
        """int, Fraction and tuple inputs give the same result as floats."""
        case: Any = self
        values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8]
        case.assertEqual(
            self.call(tuple(Fraction(v) for v in values)),
            self.call([float(v) for v in values]),
        )


class FitTrendTests(InputValidationMixin, unittest.TestCase):
    """fit_trend() is the ordinary least-squares line over x = 0 .. n-1."""

    def call(self, series: Any) -> object:
        return fit_trend(series)

    @given(
        intercept=st.floats(-1e3, 1e3),
        slope=st.floats(-100, 100).filter(lambda s: abs(s) > 1e-3),
        n=st.integers(2, 60),
    )
    def test_exact_line_recovered(self, intercept: float, slope: float, n: int) -> None:
        """A noiseless line gives back its slope and intercept, and r² = 1."""
        trend = fit_trend(line(intercept, slope, n))
        self.assertAlmostEqual(trend.slope, slope, delta=1e-9 * (1 + abs(slope)))
        self.assertAlmostEqual(
            trend.intercept, intercept, delta=1e-7 * (1 + abs(intercept) + abs(slope))
        )
        self.assertAlmostEqual(trend.r_squared, 1.0, places=9)

    def test_noisy_slope_within_tolerance(self) -> None:
        """With seeded noise (sd 5), the slope is within 0.15 of the truth."""
        # The slope's standard error here is 5 / sqrt(sum((x - 39.5)**2)) =
        # 0.024, so 0.15 is over 6 standard errors: a failure is a bug.
        for seed in SEEDS:
            for slope in (-2.0, 0.0, 0.5, 3.0):
                with self.subTest(seed=seed, slope=slope):
                    trend = fit_trend(noisy_line(40.0, slope, 80, 5.0, seed))
                    self.assertAlmostEqual(trend.slope, slope, delta=0.15)
                    self.assertAlmostEqual(trend.intercept, 40.0, delta=4.0)

    def test_noise_lowers_r_squared(self) -> None:
        """r² falls as the noise around the same line grows."""
        for seed in SEEDS:
            with self.subTest(seed=seed):
                r2 = [
                    fit_trend(noisy_line(0.0, 1.0, 50, sigma, seed)).r_squared
                    for sigma in (0.1, 5.0, 50.0)
                ]
                self.assertGreater(r2[0], r2[1])
                self.assertGreater(r2[1], r2[2])

    @given(series=st.lists(FINITE, min_size=2, max_size=40))
    def test_no_other_line_fits_better(self, series: list[float]) -> None:
        """Moving the slope or the intercept never lowers the squared error."""
        trend = fit_trend(series)
        best = squared_error(series, trend)
        tolerance = 1e-9 * (1.0 + math.fsum(y * y for y in series))
        for d_slope, d_intercept in ((1e-3, 0), (-1e-3, 0), (0, 1e-2), (0, -1e-2)):
            other = Trend(trend.slope + d_slope, trend.intercept + d_intercept, 0.0)
            self.assertLessEqual(best, squared_error(series, other) + tolerance)

    @given(series=st.lists(st.integers(-1000, 1000), min_size=2, max_size=40))
    def test_r_squared_is_explained_share(self, series: list[int]) -> None:
        """r² = 1 - SSE / SST, in [0, 1], and 0 for a constant series."""
        trend = fit_trend(series)
        self.assertGreaterEqual(trend.r_squared, 0.0)
        self.assertLessEqual(trend.r_squared, 1.0)
        mean = sum(series) / len(series)
        total = math.fsum((y - mean) ** 2 for y in series)
        if total == 0:
            self.assertEqual(trend, Trend(0.0, float(series[0]), 0.0))
        else:
            expected = 1.0 - squared_error(series, trend) / total
            self.assertAlmostEqual(trend.r_squared, expected, places=7)

    @given(value=FINITE, n=st.integers(1, 40))
    def test_constant_is_flat_with_zero_r_squared(self, value: float, n: int) -> None:
        """A constant series: slope 0, intercept the value, r² 0."""
        trend = fit_trend([value] * n)
        self.assertEqual(trend.slope, 0.0)
        self.assertAlmostEqual(trend.intercept, value, delta=1e-9 * (1 + abs(value)))
        self.assertEqual(trend.r_squared, 0.0)

    def test_empty_series(self) -> None:
        """No values: the zero line."""
        self.assertEqual(fit_trend([]), Trend(0.0, 0.0, 0.0))

    @given(value=FINITE)
    def test_single_value(self, value: float) -> None:
        """One value: flat through it, r² 0."""
        self.assertEqual(fit_trend([value]), Trend(0.0, value, 0.0))

    @given(intercept=st.floats(-1e3, 1e3), slope=st.floats(-1e3, 1e3), x=FINITE)
    def test_at_evaluates_the_line(
        self, intercept: float, slope: float, x: float
    ) -> None:
        """Trend.at(x) is intercept + slope * x."""
        self.assertEqual(Trend(slope, intercept, 0.5).at(x), intercept + slope * x)


class DetectPeriodTests(InputValidationMixin, unittest.TestCase):
    """detect_period() finds repeating patterns and nothing else."""

    def call(self, series: Any) -> object:
        return detect_period(series)

    def test_nightly_run_every_fifth(self) -> None:
        """A full run every 5th run, with noise, from 3 cycles on: period 5."""
        for n in (15, 16, 20, 30, 50):
            for seed in SEEDS:
                with self.subTest(n=n, seed=seed):
                    found = detect_period(spiky(n, seed=seed))
                    self.assertEqual(found.period, 5)
                    self.assertGreaterEqual(found.strength, DEFAULT_MIN_STRENGTH)
                    self.assertLessEqual(found.strength, 1.0)

    def test_other_periods_with_noise(self) -> None:
        """Spikes every 2nd, 3rd, 4th, 6th, 7th or 8th run: that period."""
        for period in (2, 3, 4, 6, 7, 8):
            for seed in SEEDS:
                with self.subTest(period=period, seed=seed):
                    series = spiky(max(5 * period, 24), period=period, seed=seed)
                    self.assertEqual(detect_period(series).period, period)

    def test_spike_phase_does_not_matter(self) -> None:
        """Shifting the series by any number of runs keeps its period."""
        series = spiky(60, period=6, seed=3)
        for shift in range(6):
            with self.subTest(shift=shift):
                self.assertEqual(detect_period(series[shift : shift + 40]).period, 6)

    def test_period_on_top_of_a_trend(self) -> None:
        """A growing suite with a full run every 4th run: period 4."""
        for seed in SEEDS:
            with self.subTest(seed=seed):
                series = spiky(32, period=4, slope=3.0, seed=seed)
                self.assertEqual(detect_period(series).period, 4)

    def test_smooth_seasonality(self) -> None:
        """A sine of period 24 over three cycles is found at 24, not at 2."""
        rng = random.Random(0)
        series = [
            50 + 20 * math.sin(2 * math.pi * x / 24) + rng.gauss(0, 2)
            for x in range(72)
        ]
        self.assertEqual(detect_period(series).period, 24)

    def test_no_period_in_pure_noise(self) -> None:
        """Uniform or Gaussian noise has no period."""
        for seed in range(20):
            rng = random.Random(seed)
            for series in (
                pure_noise(60, seed),
                [rng.gauss(100, 10) for _ in range(60)],
            ):
                with self.subTest(seed=seed):
                    found = detect_period(series)
                    self.assertIsNone(found.period)
                    self.assertLess(found.strength, DEFAULT_MIN_STRENGTH)

    @given(
        intercept=st.floats(-1e3, 1e3),
        slope=st.floats(-100, 100),
        n=st.integers(0, 80),
    )
    def test_no_period_in_a_straight_line(
        self, intercept: float, slope: float, n: int
    ) -> None:
        """A straight line or a constant has no period and strength 0."""
        self.assertEqual(
            detect_period(line(intercept, slope, n)), Seasonality(None, 0.0)
        )

    def test_no_period_in_a_bend(self) -> None:
        """A parabola or an exponential, which a line leaves bent, has none."""
        for series in (
            [(x - 20.0) ** 2 for x in range(40)],
            [math.exp(x / 10) for x in range(40)],
            [math.sqrt(x) for x in range(40)],
        ):
            with self.subTest(series=series[:3]):
                self.assertIsNone(detect_period(series).period)

    def test_short_series_have_no_period(self) -> None:
        """Fewer than four values cannot show a period of 2 twice."""
        for series in ([], [1.0], [1.0, 9.0], [1.0, 9.0, 1.0]):
            with self.subTest(series=series):
                self.assertEqual(detect_period(series), Seasonality(None, 0.0))
        self.assertEqual(detect_period([1.0, 9.0] * 3).period, 2)

    def test_min_strength_is_the_threshold(self) -> None:
        """A period is reported exactly when the strength reaches min_strength."""
        thresholds = [t / 20 for t in range(21)]
        for seed in SEEDS:
            series = spiky(30, sigma=8.0, seed=seed)
            results = [detect_period(series, min_strength=t) for t in thresholds]
            with self.subTest(seed=seed):
                self.assertEqual(results[0].period, 5)
                self.assertIsNone(results[-1].period)
                # The strength is the evidence, whatever the threshold.
                self.assertEqual(
                    {found.strength for found in results}, {results[0].strength}
                )
                for threshold, found in zip(thresholds, results):
                    if found.period is None:
                        self.assertLess(found.strength, threshold)
                    else:
                        self.assertGreaterEqual(found.strength, threshold)
                # Once no period qualifies, none does at higher thresholds.
                periods = [found.period for found in results]
                first_none = periods.index(None)
                self.assertEqual(periods[first_none:], [None] * (21 - first_none))

    def test_fundamental_rather_than_multiple(self) -> None:
        """With heavy noise, a found period is 5, never a multiple of it."""
        found = [
            detect_period(spiky(n, sigma=8.0, seed=seed)).period
            for seed in range(30)
            for n in (30, 45)
        ]
        self.assertEqual(set(found) - {None}, {5})
        # The noise is heavy, not overwhelming: most series show the period.
        self.assertGreater(found.count(5), len(found) // 2)

    def test_max_lag_bounds_the_period(self) -> None:
        """No period above max_lag, nor above half the series."""
        series = spiky(40, period=5, seed=1)
        self.assertEqual(detect_period(series, max_lag=5).period, 5)
        self.assertNotEqual(detect_period(series, max_lag=4).period, 5)
        # Period 7, but only 12 values: 7 is not seen twice whatever max_lag.
        short = spiky(12, period=7, sigma=0.0)
        found = detect_period(short, max_lag=11, min_strength=0.0)
        self.assertTrue(found.period is None or found.period <= 6, found)

    def test_bad_max_lag(self) -> None:
        """max_lag must be an int of at least 2."""
        for bad, error in ((1, InvalidArgumentError), (-3, InvalidArgumentError)):
            with self.subTest(bad=bad), self.assertRaisesRegex(error, repr(bad)):
                detect_period([1.0] * 10, max_lag=bad)
        for bad_type in (2.0, "5", True):
            with (
                self.subTest(bad=bad_type),
                self.assertRaisesRegex(ArgumentTypeError, repr(bad_type)),
            ):
                detect_period([1.0] * 10, max_lag=bad_type)  # type: ignore[arg-type]

    def test_bad_min_strength(self) -> None:
        """min_strength must be a number in [0, 1]."""
        for bad in (-0.1, 1.5, math.nan):
            with (
                self.subTest(bad=bad),
                self.assertRaisesRegex(InvalidArgumentError, repr(bad)),
            ):
                detect_period([1.0] * 10, min_strength=bad)
        for bad_type in ("0.5", None, False):
            with (
                self.subTest(bad=bad_type),
                self.assertRaisesRegex(ArgumentTypeError, repr(bad_type)),
            ):
                detect_period([1.0] * 10, min_strength=bad_type)  # type: ignore[arg-type]


class ForecastTests(InputValidationMixin, unittest.TestCase):
    """forecast() extrapolates trend and phase, with a sound confidence."""

    def call(self, series: Any) -> object:
        return forecast(series)

    @given(
        intercept=st.floats(0, 1e3),
        slope=st.floats(0, 100),
        n=st.integers(2, 60),
    )
    def test_line_is_extrapolated(self, intercept: float, slope: float, n: int) -> None:
        """The next value of a growing line is the line one run ahead."""
        prediction = forecast(line(intercept, slope, n))
        self.assertIsNone(prediction.seasonality.period)
        self.assertAlmostEqual(
            prediction.expected, intercept + slope * n, delta=1e-6 * (1 + intercept)
        )

    def test_periodic_series_picks_the_phase(self) -> None:
        """After 4 quick runs the forecast is a full run, else a quick one."""
        for seed in SEEDS:
            full = spiky(40, seed=seed)
            for n in range(20, 31):
                with self.subTest(seed=seed, n=n):
                    prediction = forecast(full[:n])
                    self.assertEqual(prediction.seasonality.period, 5)
                    # Run n is a full one when n % 5 == 4, as in spiky().
                    truth = 50.0 if n % 5 == 4 else 10.0
                    self.assertAlmostEqual(prediction.expected, truth, delta=5.0)

    def test_periodic_series_with_trend(self) -> None:
        """Trend and phase add up: a growing suite with a nightly run."""
        for seed in SEEDS:
            for n in (24, 25):
                with self.subTest(seed=seed, n=n):
                    series = spiky(n, period=5, slope=2.0, seed=seed)
                    prediction = forecast(series)
                    truth = (50.0 if n % 5 == 4 else 10.0) + 2.0 * n
                    self.assertAlmostEqual(prediction.expected, truth, delta=6.0)
                    self.assertAlmostEqual(prediction.trend.slope, 2.0, delta=0.3)

    def test_spikes_do_not_tilt_the_trend(self) -> None:
        """Without growth, spikes late in each cycle leave the slope at 0."""
        series = spiky(20, sigma=0.0)
        # A plain line through the spikes tilts upwards ...
        self.assertGreater(fit_trend(series).slope, 0.1)
        # ... the joint fit of line and phase offsets does not.
        self.assertAlmostEqual(forecast(series).trend.slope, 0.0, places=9)

    @given(series=SERIES)
    def test_expected_never_negative(self, series: list[float]) -> None:
        """expected >= 0 and confidence in [0, 1], for any finite series."""
        prediction = forecast(series)
        self.assertGreaterEqual(prediction.expected, 0.0)
        self.assertGreaterEqual(prediction.confidence, 0.0)
        self.assertLessEqual(prediction.confidence, 1.0)

    def test_falling_usage_is_clipped_at_zero(self) -> None:
        """A service on its way out is forecast at 0, not below."""
        series = line(9.0, -1.0, 10)  # 9, 8, ..., 0: next would be -1
        prediction = forecast(series)
        self.assertLess(prediction.trend.at(len(series)), 0.0)
        self.assertEqual(prediction.expected, 0.0)

    def test_confidence_ordering(self) -> None:
        """Clean line > noisy line > pure noise, for every seed."""
        for seed in SEEDS:
            with self.subTest(seed=seed):
                clean = forecast(noisy_line(10.0, 1.0, 40, 0.1, seed)).confidence
                noisy = forecast(noisy_line(10.0, 1.0, 40, 5.0, seed)).confidence
                noise = forecast(pure_noise(40, seed)).confidence
                self.assertGreater(clean, noisy)
                self.assertGreater(noisy, noise)

    def test_clean_periodic_beats_noisy_periodic(self) -> None:
        """The same nightly pattern with less noise gets more confidence."""
        for seed in SEEDS:
            with self.subTest(seed=seed):
                clean = forecast(spiky(30, sigma=0.5, seed=seed))
                noisy = forecast(spiky(30, sigma=4.0, seed=seed))
                self.assertEqual(clean.seasonality.period, 5)
                self.assertEqual(noisy.seasonality.period, 5)
                self.assertGreater(clean.confidence, noisy.confidence)

    def test_short_histories_are_trusted_less(self) -> None:
        """The same clean line earns more confidence the longer it is."""
        series = noisy_line(10.0, 1.0, 60, 0.1, seed=0)
        confidences = [forecast(series[:n]).confidence for n in (2, 3, 5, 10, 30, 60)]
        self.assertEqual(confidences[0], 0.0)
        self.assertEqual(confidences, sorted(confidences))
        self.assertEqual(len(set(confidences)), len(confidences))

    @given(series=st.lists(st.floats(0, 1e4), min_size=3, max_size=40))
    def test_confidence_follows_its_definition(self, series: list[float]) -> None:
        """Without a period: (1 - std error / mean |value|) * (1 - 2 / n)."""
        prediction = forecast(series)
        if prediction.seasonality.period is not None:
            return
        n = len(series)
        trend = fit_trend(series)
        std_error = math.sqrt(squared_error(series, trend) / (n - 2))
        level = sum(series) / n
        fit = 1.0 if level == 0 else min(1.0, max(0.0, 1.0 - std_error / level))
        self.assertAlmostEqual(prediction.confidence, fit * (1 - 2 / n), places=6)

    def test_steady_service_is_trusted(self) -> None:
        """A service used about as often in every run is predictable."""
        for seed in SEEDS:
            rng = random.Random(seed)
            with self.subTest(seed=seed):
                steady = [100.0 + rng.gauss(0, 1) for _ in range(30)]
                prediction = forecast(steady)
                self.assertAlmostEqual(prediction.expected, 100.0, delta=3.0)
                self.assertGreater(prediction.confidence, 0.8)

    def test_empty_series(self) -> None:
        """No history: nothing expected, no confidence."""
        self.assertEqual(
            forecast([]),
            Prediction(0.0, Trend(0.0, 0.0, 0.0), Seasonality(None, 0.0), 0.0),
        )

    @given(value=st.floats(0, 1e6))
    def test_single_value(self, value: float) -> None:
        """One run: expect the same again, with no confidence."""
        prediction = forecast([value])
        self.assertEqual(prediction.expected, value)
        self.assertEqual(prediction.confidence, 0.0)


class PrioritiesTests(unittest.TestCase):
    """priorities() ranks services by expected use and confidence."""

    def test_is_expected_times_confidence_factor(self) -> None:
        """priority = expected * (0.5 + 0.5 * confidence), per service."""
        history = {
            "db": noisy_line(30.0, 0.5, 25, 2.0, seed=1),
            "cache": spiky(25, seed=2),
            "mailer": pure_noise(25, seed=3),
        }
        result = priorities(history)
        for service, series in history.items():
            with self.subTest(service=service):
                prediction = forecast(series)
                self.assertAlmostEqual(
                    result[service],
                    prediction.expected * (0.5 + 0.5 * prediction.confidence),
                    places=12,
                )

    def test_busier_service_first(self) -> None:
        """Of two steady services, the one used more ranks higher."""
        rng = random.Random(0)
        history = {
            "busy": [100 + rng.gauss(0, 2) for _ in range(20)],
            "idle": [10 + rng.gauss(0, 2) for _ in range(20)],
        }
        result = priorities(history)
        self.assertGreater(result["busy"], result["idle"])

    def test_growing_beats_shrinking(self) -> None:
        """Same mean usage: the growing service outranks the shrinking one."""
        for seed in SEEDS:
            with self.subTest(seed=seed):
                result = priorities(
                    {
                        "growing": noisy_line(10.0, 1.0, 21, 1.0, seed),
                        "shrinking": noisy_line(30.0, -1.0, 21, 1.0, seed + 100),
                    }
                )
                self.assertGreater(result["growing"], result["shrinking"])

    def test_steady_beats_erratic(self) -> None:
        """Same flat trend: the predictable service outranks the erratic one."""

        def around_20(series: list[float]) -> list[float]:
            # Remove the series' own least-squares line, so that both
            # services are forecast at exactly 20 and only confidence differs.
            trend = fit_trend(series)
            return [20.0 + y - trend.at(x) for x, y in enumerate(series)]

        for seed in SEEDS:
            rng = random.Random(seed)
            steady = around_20([rng.gauss(0, 0.5) for _ in range(40)])
            erratic = around_20(pure_noise(40, seed, -15.0, 15.0))
            with self.subTest(seed=seed):
                self.assertIsNone(forecast(erratic).seasonality.period)
                self.assertAlmostEqual(forecast(erratic).expected, 20.0, places=9)
                result = priorities({"steady": steady, "erratic": erratic})
                self.assertGreater(result["steady"], result["erratic"])

    def test_nightly_service_rises_before_its_run(self) -> None:
        """A nightly-heavy service outranks a steady one only on its phase."""
        nightly = spiky(40, base=5.0, spike=80.0, seed=4)
        rng = random.Random(5)
        steady = [30 + rng.gauss(0, 1) for _ in range(40)]
        for n in range(20, 31):
            with self.subTest(n=n):
                result = priorities({"nightly": nightly[:n], "steady": steady[:n]})
                if n % 5 == 4:
                    self.assertGreater(result["nightly"], result["steady"])
                else:
                    self.assertLess(result["nightly"], result["steady"])

    def test_services_without_history_are_absent(self) -> None:
        """An empty series leaves its service out; others stay."""
        result = priorities({"new": [], "old": [3.0, 4.0], "gone": ()})
        self.assertEqual(set(result), {"old"})
        self.assertEqual(priorities({}), {})

    @given(
        history=st.dictionaries(
            st.text(min_size=1, max_size=5), SERIES, min_size=0, max_size=6
        ),
        seed=st.integers(0, 2**32),
    )
    def test_deterministic(self, history: dict[str, list[float]], seed: int) -> None:
        """Same history in any order: same dict, in sorted name order."""
        first = priorities(history)
        items = list(history.items())
        random.Random(seed).shuffle(items)
        second = priorities(dict(items))
        self.assertEqual(list(first.items()), list(second.items()))
        self.assertEqual(list(first), sorted(first))
        self.assertEqual(set(first), {name for name, s in history.items() if s})
        self.assertTrue(all(p >= 0 for p in first.values()))

    def test_history_must_be_a_mapping(self) -> None:
        """A list of pairs is refused with ArgumentTypeError."""
        with self.assertRaisesRegex(ArgumentTypeError, "history is"):
            priorities([("db", [1.0])])  # type: ignore[arg-type]

    def test_service_names_are_str(self) -> None:
        """A non-str key is named in the error."""
        with self.assertRaisesRegex(ArgumentTypeError, "42"):
            priorities({"db": [1.0], 42: [2.0]})  # type: ignore[dict-item]

    def test_bad_value_names_service_and_run(self) -> None:
        """A NaN or a str in one history names the service and the index."""
        with self.assertRaisesRegex(
            InvalidArgumentError,
            r"history\['cache'\]\[1\] must be a finite number, not nan",
        ):
            priorities({"db": [1.0], "cache": [2.0, math.nan]})
        with self.assertRaisesRegex(ArgumentTypeError, r"history\['db'\]\[0\]"):
            priorities({"db": ["1"]})  # type: ignore[list-item]
        with self.assertRaisesRegex(ArgumentTypeError, r"history\['db'\] is"):
            priorities({"db": "123"})  # type: ignore[dict-item]


class ForecastsAndPrioritiesTests(unittest.TestCase):
    """forecasts_and_priorities() gives what forecast() and priorities() give."""

    @given(
        history=st.dictionaries(
            st.text(min_size=1, max_size=5), SERIES, min_size=0, max_size=6
        )
    )
    def test_same_as_forecast_and_priorities(
        self, history: dict[str, list[float]]
    ) -> None:
        """Forecasts in the history's order, priorities as priorities() has them."""
        forecasts, ranks = forecasts_and_priorities(history)
        self.assertEqual(
            list(forecasts.items()),
            [(name, forecast(series)) for name, series in history.items()],
        )
        self.assertEqual(list(ranks.items()), list(priorities(history).items()))

    def test_refuses_what_priorities_refuses(self) -> None:
        """A bad history raises the error priorities() raises, word for word."""
        bad: list[Any] = [
            [("db", [1.0])],
            {"db": [1.0], 42: [2.0]},
            {"db": [1.0], "cache": [2.0, math.nan]},
            {"db": ["1"]},
            {"db": "123"},
        ]
        for history in bad:
            with self.subTest(history=history):
                with self.assertRaises(
                    (ArgumentTypeError, InvalidArgumentError)
                ) as want:
                    priorities(history)
                with self.assertRaises(type(want.exception)) as got:
                    forecasts_and_priorities(history)
                self.assertEqual(str(got.exception), str(want.exception))


if __name__ == "__main__":
    unittest.main()
