"""Count outcomes the way Jepsen-style tests do: lost, duplicated, unexpected.

``expected`` is what must have happened exactly once (e.g. every accepted
registration's partner id); ``observed`` is every effect seen, duplicates included
(e.g. one row per applied event). All three counts must be 0.
"""
from __future__ import annotations

import collections
import dataclasses
from collections.abc import Hashable, Iterable


@dataclasses.dataclass
class Outcome:
    scenario: str
    expected: int
    lost: list
    duplicated: dict
    unexpected: list

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected)

    def summary(self) -> str:
        return (f"{self.scenario}: expected {self.expected}, lost {len(self.lost)}, "
                f"duplicated {sum(n - 1 for n in self.duplicated.values())}, "
                f"unexpected {len(self.unexpected)}")


def check(scenario: str, expected: Iterable[Hashable], observed: Iterable[Hashable]) -> Outcome:
    expected_set = set(expected)
    counts = collections.Counter(observed)
    outcome = Outcome(
        scenario=scenario,
        expected=len(expected_set),
        lost=sorted(map(str, expected_set - set(counts))),
        duplicated={key: n for key, n in counts.items() if n > 1},
        unexpected=sorted(map(str, set(counts) - expected_set)),
    )
    print(outcome.summary())  # shown with -s and in the CI log of a failure
    return outcome


def assert_clean(outcome: Outcome) -> None:
    assert outcome.clean, outcome.summary() + (
        f"\nlost: {outcome.lost[:5]}\nduplicated: {list(outcome.duplicated.items())[:5]}"
        f"\nunexpected: {outcome.unexpected[:5]}")
