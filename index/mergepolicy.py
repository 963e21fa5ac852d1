"""When segments are merged: the policy of a commit (index/merge.py merges them).

A bulk build (a first build or --rebuild) leaves at most MAX_BULK_SEGMENTS: its smallest segments are merged
together until it does. An update merges segments of the same size tier (a tier spans a factor of
TIER_FACTOR in live documents) once a tier holds TIER_SEGMENTS of them, so updates do not pile up small
segments: the index holds at most TIER_SEGMENTS - 1 segments per tier besides the large ones. A segment
larger than LARGE_FACTOR times the run's own documents (and than LARGE_FLOOR) is never rewritten by that run,
so a small update never rewrites a large segment.
"""
from __future__ import annotations

import math

#: Segments a bulk build may leave: queries visit each segment, and 100,000 generated questions written
#: with `--jobs 2` within the memory limit fill about four.
MAX_BULK_SEGMENTS = 4
#: Size tiers of the update policy: live documents within a factor of 4 share a tier, and a tier is merged
#: when it holds 4 segments (the merged one lands in the next tier), so each document is rewritten about
#: log4(index / update) times over the life of an index.
TIER_FACTOR = 4
TIER_SEGMENTS = 4
#: A run never rewrites a segment holding more than this many times its own documents (at least
#: LARGE_FLOOR): adding 1,000 documents to a 100,000-document index merges small segments only.
LARGE_FACTOR = 10
LARGE_FLOOR = 2_000


def _tier(size: int) -> int:
    return int(math.log(max(size, 1), TIER_FACTOR))


def plan(old: list[int], new: list[int], bulk: bool) -> list[list[int]]:
    """Which segments to merge: groups of indexes into old + new (sizes in live documents), each group
    becoming one segment; segments in no group stay as they are."""
    sizes = list(old) + list(new)
    groups: list[list[int]] = []
    if bulk:
        # Merge the two smallest (segments or groups already planned) until at most MAX_BULK_SEGMENTS remain.
        units = [([i], size) for i, size in enumerate(sizes)]
        while len(units) > MAX_BULK_SEGMENTS:
            units.sort(key=lambda unit: unit[1])
            (a, sa), (b, sb) = units[0], units[1]
            units = units[2:] + [(a + b, sa + sb)]
        return [sorted(members) for members, _ in units if len(members) > 1]
    run = sum(new)
    large = max(LARGE_FACTOR * run, LARGE_FLOOR)
    units = [([i], size) for i, size in enumerate(sizes) if size <= large]
    while True:
        by_tier: dict[int, list] = {}
        for unit in units:
            by_tier.setdefault(_tier(unit[1]), []).append(unit)
        full = sorted(t for t, members in by_tier.items() if len(members) >= TIER_SEGMENTS)
        if not full:
            break
        merged = by_tier[full[0]]
        members = sorted(i for unit in merged for i in unit[0])
        units = [unit for unit in units if unit not in merged] + [(members, sum(unit[1] for unit in merged))]
    groups = [sorted(members) for members, _ in units if len(members) > 1]
    return groups
