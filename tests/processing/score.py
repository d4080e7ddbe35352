"""Scores the extractor against the hand-checked evaluation set: precision, recall, F1 per field."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from markaz.processing import Extractor, get_extractor

EVAL_PATH = Path(__file__).parent / "eval" / "eval.jsonl"
DIMENSIONS = ("places", "coordinates", "dates", "categories")
COORD_TOLERANCE = 0.00015  # expected values are rounded to 4 decimals


def load_eval(path: Path = EVAL_PATH) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def _found(result: dict[str, Any], dim: str) -> list[Any]:
    if dim == "places":
        return sorted({p["geonameid"] for p in result["places"]})
    if dim == "coordinates":
        return [[c["lat"], c["lon"]] for c in result["coordinates"]]
    if dim == "dates":
        return sorted({d["date"] for d in result["dates"]})
    return sorted(set(result["categories"]))


def _matches(dim: str, expected: list[Any], found: list[Any]) -> tuple[int, int, int]:
    """(true positives, false positives, false negatives) for one item."""
    if dim != "coordinates":
        exp, got = set(expected), set(found)
        return len(exp & got), len(got - exp), len(exp - got)
    unmatched = list(expected)
    tp = 0
    for lat, lon in found:
        hit = next(
            (
                e
                for e in unmatched
                if abs(e[0] - lat) <= COORD_TOLERANCE and abs(e[1] - lon) <= COORD_TOLERANCE
            ),
            None,
        )
        if hit is not None:
            unmatched.remove(hit)
            tp += 1
    return tp, len(found) - tp, len(unmatched)


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def score(
    extractor: Extractor, items: Iterable[dict[str, Any]], errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    counts = {dim: [0, 0, 0] for dim in DIMENSIONS}
    languages_right = total = 0
    for item in items:
        total += 1
        result = extractor.extract(item["text"]).to_dict()
        languages_right += result["language"] == item["id"].split("-")[0]
        for dim in DIMENSIONS:
            found = _found(result, dim)
            tp, fp, fn = _matches(dim, item[dim], found)
            for i, n in enumerate((tp, fp, fn)):
                counts[dim][i] += n
            if (fp or fn) and errors is not None:
                errors.append(
                    {
                        "id": item["id"],
                        "dim": dim,
                        "expected": item[dim],
                        "found": found,
                        "text": item["text"],
                    }
                )
    report: dict[str, Any] = {"items": total}
    for dim in DIMENSIONS:
        report[dim] = _prf(*counts[dim])
    report["language_accuracy"] = round(languages_right / total, 4) if total else 0.0
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--eval", type=Path, default=EVAL_PATH)
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--errors", action="store_true", help="also list every miss")
    args = parser.parse_args(argv)
    errors: list[dict[str, Any]] = []
    report = score(get_extractor(args.cache_dir), load_eval(args.eval), errors)
    if args.errors:
        report["errors"] = errors
    sys.stdout.write(orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
