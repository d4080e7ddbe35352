"""Benchmarks fusion on a synthetic world with known truth: observations/s, precision, recall (JSON)."""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select

from _pgcluster import throwaway_cluster
from markaz.analysis import fused
from markaz.analysis.fusion import fuse_all
from markaz.centre import Centre
from markaz.collection.intake import observation_rows
from markaz.domain.enums import Role
from markaz.domain.models import ObservationIn
from markaz.settings import Settings
from markaz.storage.members import add_member
from markaz.storage.migrate import upgrade
from markaz.storage.principals import add_principal
from markaz.storage.reports import PreparedReport, insert_reports
from markaz.storage.schema_fusion import fusion_edges, fusion_nodes

MEMBERS = ("IQ", "RU", "SY", "IR")
REGION = (36.0, 29.0, 48.0, 38.0)  # lon/lat box of the synthetic world
CELL_KM = 3.5  # sites sit one per cell of a grid, so two sites are at least ~2.5 km apart
START = datetime(2026, 1, 1, tzinfo=UTC)
SITE_DAYS = 60
SITE_CATEGORIES = ("position", "gathering", "command_post", "weapons_depot", "chemical_lab", "incident")
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
CYRILLIC = str.maketrans("abdefgiklmnoprstuvz", "абдефгиклмнопрстувз")


def _offset(lon: float, lat: float, metres: float, rng: random.Random) -> tuple[float, float]:
    angle = rng.random() * 2 * math.pi
    dlat = metres * math.sin(angle) / 111_195
    dlon = metres * math.cos(angle) / (111_195 * math.cos(math.radians(lat)))
    return lon + dlon, lat + dlat


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        word = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(4))
        key = "".join(c for c in word if c not in VOWELS)
        if key not in taken:
            taken.add(key)
            return f"Liwa {word.capitalize()}"


def world(n: int, seed: int = 7) -> list[tuple[str, dict[str, Any], str]]:
    """(member, observation, truth label) for n observations: sites, moving groups, false reports.

    88% of the observations report sites (about 11 each, over 60 days), 10% sight moving groups
    (about 50 sightings each, one every two hours, names written in Latin or Cyrillic letters), 2% are
    false (a place where nothing is). Every position carries an error of 50-500 m. One site
    report in 50 says the site was destroyed, and others keep reporting it active: contested.
    """
    rng = random.Random(seed)
    out: list[tuple[str, dict[str, Any], str]] = []
    n_site_obs, n_track_obs = int(n * 0.88), int(n * 0.10)
    n_sites = max(1, n_site_obs // 11)
    x0, y0, x1, y1 = REGION
    cell_lat = CELL_KM / 111.195
    cells_y = int((y1 - y0) / cell_lat)
    cell_lon = CELL_KM / (111.195 * math.cos(math.radians((y0 + y1) / 2)))
    cells_x = int((x1 - x0) / cell_lon)
    chosen = rng.sample(range(cells_x * cells_y), min(n_sites, cells_x * cells_y))
    sites = []
    for c in chosen:
        cx, cy = c % cells_x, c // cells_x
        lon = x0 + (cx + 0.5) * cell_lon
        lat = y0 + (cy + 0.5) * cell_lat
        lon, lat = _offset(lon, lat, rng.uniform(0, 400), rng)
        sites.append((lon, lat, rng.choice(SITE_CATEGORIES)))
    for i in range(n_site_obs):
        s = i % len(sites)
        lon, lat, category = sites[s]
        plon, plat = _offset(lon, lat, rng.uniform(50, 500), rng)
        when = START + timedelta(seconds=rng.uniform(0, SITE_DAYS * 86400))
        note = "status:destroyed" if rng.random() < 0.02 else None
        obs: dict[str, Any] = {
            "category": category,
            "geometry": {"type": "Point", "coordinates": [plon, plat]},
        }
        out.append((rng.choice(MEMBERS), {**obs, "observed_at": when, "note": note}, f"site{s}"))
    n_groups = max(1, n_track_obs // 50)
    names: set[str] = set()
    for g in range(n_groups):
        name = _name(rng, names)
        lon, lat = rng.uniform(x0 + 1, x1 - 1), rng.uniform(y0 + 1, y1 - 1)
        heading = rng.random() * 2 * math.pi
        speed_ms = rng.uniform(3, 10)  # 10-36 km/h, with halts
        t = START + timedelta(days=rng.uniform(0, SITE_DAYS))
        for _ in range(n_track_obs // n_groups):
            step = rng.expovariate(1 / 7200)  # a sighting every two hours on average
            t += timedelta(seconds=step)
            moved = speed_ms * step * rng.random()
            heading += rng.gauss(0, 0.3)
            lat += moved * math.sin(heading) / 111_195
            lon += moved * math.cos(heading) / (111_195 * math.cos(math.radians(lat)))
            plon, plat = _offset(lon, lat, rng.uniform(50, 500), rng)
            member = rng.choice(MEMBERS)
            subject = name.lower().translate(CYRILLIC) if member == "RU" else name
            obs = {
                "category": "movement",
                "geometry": {"type": "Point", "coordinates": [plon, plat]},
                "observed_at": t,
                "subject": subject,
            }
            out.append((member, obs, f"group{g}"))
    while len(out) < n:
        lon, lat = rng.uniform(x0, x1), rng.uniform(y0, y1)
        when = START + timedelta(seconds=rng.uniform(0, SITE_DAYS * 86400))
        obs = {
            "category": rng.choice(SITE_CATEGORIES),
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "observed_at": when,
        }
        out.append((rng.choice(MEMBERS), obs, f"false{len(out)}"))
    # Arrival order is not the order of observation: reports come in shuffled.
    rng.shuffle(out)
    return out


def load(centre: Centre, items: list[tuple[str, dict[str, Any], str]]) -> tuple[float, list[str]]:
    """Write the world as reports of up to 100 observations (ingest path, no HTTP); returns seconds."""
    with centre.db.write() as conn:
        authors = {}
        for i, code in enumerate(MEMBERS):
            add_member(conn, centre.db.dialect, code=code, names={"en": f"Member {code}"}, actor="bench")
            authors[code] = add_principal(
                conn,
                centre.db.dialect,
                username=f"bench{i}",
                member=code,
                role=Role.ANALYST,
                kind="system",
                actor="bench",
            )["id"]
    by_member: dict[str, list[int]] = {}
    for index, (member, _, _) in enumerate(items):
        by_member.setdefault(member, []).append(index)
    # Reports interleave members in arrival order; truth follows the observations' ids.
    order: list[list[int]] = []
    for idx in by_member.values():
        order += [idx[i : i + 100] for i in range(0, len(idx), 100)]
    random.Random(3).shuffle(order)
    truth: list[str] = []
    t0 = time.perf_counter()
    now = datetime.now(UTC)
    batch: list[PreparedReport] = []
    for chunk in order:
        member = items[chunk[0]][0]
        from ulid import ULID

        rid = str(ULID())
        obs = [ObservationIn.model_construct(**_model_args(items[i][1])) for i in chunk]
        rows = observation_rows(rid, obs)
        truth += [items[i][2] for i in chunk]
        batch.append(
            PreparedReport(
                row={
                    "id": rid,
                    "originator": member,
                    "author_id": authors[member],
                    "author": "bench",
                    "created_at": now,
                    "observed_at": None,
                    "title": "synthetic bench report",
                    "body": "",
                    "language": None,
                    "precedence": "ROUTINE",
                    "precedence_rank": 3,
                    "source_reliability": random.Random(rid).choice("ABCF"),
                    "information_credibility": random.Random(rid + "c").choice("1236"),
                    "tlp": "AMBER",
                    "releasable_to": ["ALL"],
                    "status": "active",
                    "supersedes": None,
                    "superseded_by": None,
                    "retracted_at": None,
                    "retraction_reason": None,
                    "client_ref": None,
                },
                recipients=frozenset(MEMBERS),
                observations=rows,
                search_text="synthetic bench report",
                digest="0" * 64,
            )
        )
        if len(batch) >= 100:
            with centre.db.write() as conn:
                insert_reports(conn, centre.db.dialect, batch, actor="bench")
            batch = []
    if batch:
        with centre.db.write() as conn:
            insert_reports(conn, centre.db.dialect, batch, actor="bench")
    return time.perf_counter() - t0, truth


class _Geometry:
    def __init__(self, geometry: dict[str, Any]) -> None:
        self.geometry = geometry

    def model_dump(self) -> dict[str, Any]:
        return self.geometry


class _Category:
    def __init__(self, value: str) -> None:
        self.value = value


def _model_args(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": _Category(o["category"]),
        "geometry": _Geometry(o["geometry"]),
        "observed_at": o.get("observed_at"),
        "subject": o.get("subject"),
        "note": o.get("note"),
    }


def pair_scores(centre: Centre, truth: list[str]) -> dict[str, float]:
    """Pairwise precision and recall of the full picture (a viewer that sees everything, every
    report current) against the truth."""
    with centre.db.read() as conn:
        atoms = {int(i): int(a) for i, a in conn.execute(select(fusion_nodes.c.obs_id, fusion_nodes.c.atom))}
        edges = conn.execute(select(fusion_edges.c.a, fusion_edges.c.b).where(fusion_edges.c.matched)).all()
    ids = sorted(atoms)
    # Every observation is in its atom (same-audience matches); stored links join across audiences.
    parent = {i: atoms[i] for i in ids}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    label = {obs_id: truth[k] for k, obs_id in enumerate(ids)}
    cells = Counter((find(i), label[i]) for i in ids)
    predicted = Counter(find(i) for i in ids)
    actual = Counter(label[i] for i in ids)

    def pairs(counter: Counter[Any]) -> int:
        return sum(c * (c - 1) // 2 for c in counter.values())

    tp = pairs(cells)
    return {
        "precision": round(tp / pairs(predicted), 4) if pairs(predicted) else 1.0,
        "recall": round(tp / pairs(actual), 4) if pairs(actual) else 1.0,
        "stored_links": len(edges),
        "atoms": len(set(atoms.values())),
        "fused_items": len(predicted),
        "true_items": len(actual),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="run on a throwaway PostgreSQL cluster from the machine's binaries",
    )
    parser.add_argument("--batch", type=int, default=20_000, help="observations per fusion transaction")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        if args.postgresql:
            url = stack.enter_context(throwaway_cluster()).url()
        centre = Centre(Settings(database_url=url, secret_key="bench-" + "x" * 40))
        upgrade(centre.db)
        t0 = time.perf_counter()
        items = world(args.observations)
        generated = time.perf_counter() - t0
        ingest_s, truth = load(centre, items)
        t0, c0 = time.perf_counter(), time.process_time()
        fused_n = fuse_all(centre, limit=args.batch)
        fusion_s, fusion_cpu = time.perf_counter() - t0, time.process_time() - c0
        scores = pair_scores(centre, truth)
        t0 = time.perf_counter()
        page = fused.list_sites(centre, "IQ", fused.FusedFilter(bbox=(40.0, 32.0, 40.5, 32.5)), limit=100)
        page_s = time.perf_counter() - t0
        first = page["items"][0]["id"] if page["items"] else None
        t0 = time.perf_counter()
        if first:
            fused.get_site(centre, "IQ", first)
        get_s = time.perf_counter() - t0
        centre.close()
    result = {
        "benchmark": "fusion",
        "database": url.split(":", 1)[0],
        "observations": args.observations,
        "fused": fused_n,
        "fusion_seconds": round(fusion_s, 2),
        "fusion_cpu_seconds_of_this_process": round(fusion_cpu, 2),
        "observations_per_second": round(fused_n / fusion_s) if fusion_s else None,
        "per_observation_ms": round(1000 * fusion_s / fused_n, 4) if fused_n else None,
        **scores,
        "ingest_seconds_not_counted": round(ingest_s, 2),
        "world_generation_seconds": round(generated, 2),
        "list_sites_page_in_a_bbox_ms": round(page_s * 1000, 1),
        "list_sites_page_items": len(page["items"]),
        "get_site_ms": round(get_s * 1000, 1),
        "conditions": {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, shared with other work",
            "python": platform.python_version(),
            "batch": args.batch,
        },
    }
    text = orjson.dumps(result, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
