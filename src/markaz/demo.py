"""The demo centre: four members, their logins, and a few hundred SYNTHETIC reports."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from markaz.centre import Centre
from markaz.collection import intake
from markaz.domain.enums import MemberStatus, Role
from markaz.errors import NotFound
from markaz.governance.chair import setup as setup_rotation
from markaz.storage.members import add_member, get_member
from markaz.storage.principals import (
    Principal,
    add_principal,
    create_token,
    find_principal,
    hash_token,
)
from markaz.storage.schema import api_tokens, chair_rotation

DEMO_ACTOR = "demo-loader"

MEMBERS: list[tuple[str, dict[str, str]]] = [
    (
        "IQ",
        {
            "en": "General Staff of Iraq",
            "ar": "رئاسة أركان الجيش العراقي",
            "fa": "ستاد کل ارتش عراق",
            "ru": "Генеральный штаб Ирака",
        },
    ),
    (
        "RU",
        {
            "en": "General Staff of Russia",
            "ar": "هيئة الأركان العامة الروسية",
            "fa": "ستاد کل نیروهای مسلح روسیه",
            "ru": "Генеральный штаб России",
        },
    ),
    (
        "SY",
        {
            "en": "General Staff of Syria",
            "ar": "هيئة الأركان العامة السورية",
            "fa": "ستاد کل ارتش سوریه",
            "ru": "Генеральный штаб Сирии",
        },
    ),
    (
        "IR",
        {
            "en": "General Staff of Iran",
            "ar": "هيئة الأركان العامة الإيرانية",
            "fa": "ستاد کل نیروهای مسلح ایران",
            "ru": "Генеральный штаб Ирана",
        },
    ),
]

# Real towns of the region; the demo reports place made-up activity near them.
PLACES: list[tuple[str, str, str, str, float, float]] = [
    ("Mosul", "الموصل", "موصل", "Мосул", 36.335, 43.119),
    ("Raqqa", "الرقة", "رقه", "Ракка", 35.953, 39.009),
    ("Deir ez-Zor", "دير الزور", "دیرالزور", "Дейр-эз-Зор", 35.336, 40.141),
    ("Aleppo", "حلب", "حلب", "Алеппо", 36.202, 37.158),
    ("Palmyra", "تدمر", "تدمر", "Пальмира", 34.560, 38.267),
    ("Ramadi", "الرمادي", "رمادی", "Рамади", 33.426, 43.299),
    ("Fallujah", "الفلوجة", "فلوجه", "Эль-Фаллуджа", 33.350, 43.784),
    ("Tikrit", "تكريت", "تکریت", "Тикрит", 34.616, 43.679),
    ("Kirkuk", "كركوك", "کرکوک", "Киркук", 35.468, 44.392),
    ("Abu Kamal", "البوكمال", "البوکمال", "Абу-Кемаль", 34.451, 40.918),
    ("Al-Qaim", "القائم", "القائم", "Эль-Каим", 34.369, 41.093),
    ("Hasakah", "الحسكة", "حسکه", "Эль-Хасака", 36.502, 40.747),
    ("Idlib", "إدلب", "ادلب", "Идлиб", 35.930, 36.634),
    ("Homs", "حمص", "حمص", "Хомс", 34.727, 36.723),
    ("Baiji", "بيجي", "بیجی", "Байджи", 34.929, 43.493),
    ("Tal Afar", "تلعفر", "تلعفر", "Тель-Афар", 36.377, 42.449),
]

CATEGORY_WORDS: dict[str, tuple[str, str, str, str]] = {
    "gathering": ("gathering place", "مكان تجمع", "محل تجمع", "место сбора"),
    "command_post": ("command post", "مركز قيادة", "مرکز فرماندهی", "командный пункт"),
    "weapons_depot": ("weapons depot", "مستودع أسلحة", "انبار سلاح", "склад оружия"),
    "chemical_lab": (
        "suspected chemical laboratory",
        "مختبر كيماوي مشتبه به",
        "آزمایشگاه شیمیایی مشکوک",
        "предполагаемая химическая лаборатория",
    ),
    "position": ("fighting position", "موقع قتالي", "موضع رزمی", "позиция"),
    "incident": ("explosion reported", "انفجار", "انفجار", "взрыв"),
    "movement": ("vehicle column moving", "تحرك رتل", "حرکت ستون", "движение колонны"),
    "smuggling_route": (
        "oil smuggling route",
        "طريق تهريب النفط",
        "مسیر قاچاق نفت",
        "маршрут контрабанды нефти",
    ),
}
LANGS = ("en", "ar", "fa", "ru")
BANNER = {
    "en": "SYNTHETIC DEMO REPORT - not real information.",
    "ar": "تقرير تجريبي مُصطنع - ليست معلومات حقيقية.",
    "fa": "گزارش نمایشی ساختگی - اطلاعات واقعی نیست.",
    "ru": "СИНТЕТИЧЕСКИЙ ДЕМО-ОТЧЁТ - не настоящая информация.",
}
GROUPS = ("Group A (synthetic)", "Group B (synthetic)", "Group C (synthetic)")


def demo_secret(secret_key: str, purpose: str) -> str:
    return hmac.new(secret_key.encode(), f"markaz-demo:{purpose}".encode(), hashlib.sha256).hexdigest()


@dataclass
class DemoSummary:
    logins: list[tuple[str, str, str, str]] = field(default_factory=list)  # member, user, password, token
    created: int = 0
    existing: int = 0

    def describe(self) -> str:
        lines = [
            f"demo centre ready: {self.created} synthetic reports added, {self.existing} already present",
            "demo logins (synthetic centre; derived from MARKAZ_SECRET_KEY):",
            f"  {'member':<7} {'user':<14} {'password':<22} API token",
        ]
        lines += [f"  {m:<7} {u:<14} {p:<22} {t}" for m, u, p, t in self.logins]
        return "\n".join(lines)


def load_demo(centre: Centre, reports: int = 300, seed: int = 20151001) -> DemoSummary:
    """Create what is missing of the demo centre; running it again changes nothing."""
    summary = DemoSummary()
    db = centre.db
    secret = centre.settings.secret_key
    principals: dict[str, Principal] = {}
    with db.write() as conn:
        for code, names in MEMBERS:
            try:
                get_member(conn, code)
            except NotFound:
                add_member(conn, db.dialect, code=code, names=names, actor=DEMO_ACTOR)
        for code, _names in MEMBERS:
            username = f"{code.lower()}.analyst"
            password = "demo-" + demo_secret(secret, f"password:{code}")[:16]
            token = "mkz_demo_" + demo_secret(secret, f"token:{code}")[:40]
            row = find_principal(conn, username) or add_principal(
                conn,
                db.dialect,
                username=username,
                member=code,
                role=Role.ANALYST,
                password=password,
                actor=DEMO_ACTOR,
            )
            if (
                conn.execute(
                    select(api_tokens.c.id).where(api_tokens.c.token_hash == hash_token(token))
                ).first()
                is None
            ):
                create_token(
                    conn,
                    db.dialect,
                    principal_id=row["id"],
                    expires_in=timedelta(days=365),
                    actor=DEMO_ACTOR,
                    token=token,
                )
            principals[code] = Principal(row["id"], username, code, Role.ANALYST, MemberStatus.ACTIVE)
            summary.logins.append((code, username, password, token))
    with db.write() as conn:
        if conn.execute(select(chair_rotation.c.id)).first() is None:
            # As in the founding case, the first term goes to Iraq; it starts the day the demo loads.
            setup_rotation(
                conn,
                db.dialect,
                first_chair="IQ",
                starts_on=datetime.now(UTC).date(),
                months=3,
                actor=DEMO_ACTOR,
            )
    batch = synthetic_reports(reports, seed)
    by_member: dict[str, list[dict[str, Any]]] = {code: [] for code, _ in MEMBERS}
    for item in batch:
        by_member[item.pop("_originator")].append(item)
    for code, items in by_member.items():
        for result in intake.submit(centre, principals[code], items):
            if result.status == "created":
                summary.created += 1
            elif result.status == "existing":
                summary.existing += 1
            else:
                raise RuntimeError(f"demo report {result.index} of {code} was refused: {result.error}")
    return summary


def synthetic_reports(n: int, seed: int) -> list[dict[str, Any]]:
    """Deterministic synthetic reports around real towns; every one says it is synthetic."""
    rng = random.Random(seed)
    codes = [code for code, _ in MEMBERS]
    base = datetime(2026, 9, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        originator = rng.choice(codes)
        lang = rng.choice(LANGS)
        li = LANGS.index(lang)
        place = rng.choice(PLACES)
        name = place[li] if li < 4 else place[0]
        category = rng.choice(list(CATEGORY_WORDS))
        what = CATEGORY_WORDS[category][li]
        lat = place[4] + rng.uniform(-0.05, 0.05)
        lon = place[5] + rng.uniform(-0.05, 0.05)
        observed = base + timedelta(minutes=rng.randrange(0, 80 * 24 * 60))
        if category in ("movement", "smuggling_route"):
            other = rng.choice([p for p in PLACES if p is not place])
            geometry: dict[str, Any] = {
                "type": "LineString",
                "coordinates": [[round(lon, 5), round(lat, 5)], [round(other[5], 5), round(other[4], 5)]],
            }
        else:
            geometry = {"type": "Point", "coordinates": [round(lon, 5), round(lat, 5)]}
        subject = rng.choice(GROUPS) if category in ("movement", "gathering", "smuggling_route") else None
        release: list[str] = ["ALL"]
        roll = rng.random()
        if roll < 0.2:
            release = sorted({originator, rng.choice([c for c in codes if c != originator])})
        elif roll < 0.25:
            release = [originator]
        precedence = rng.choices(["ROUTINE", "PRIORITY", "IMMEDIATE", "FLASH"], [70, 20, 8, 2])[0]
        observation: dict[str, Any] = {
            "category": category,
            "geometry": geometry,
            "observed_at": observed.isoformat(),
        }
        if subject:
            observation["subject"] = subject
        out.append(
            {
                "_originator": originator,
                "title": f"[SYNTHETIC] {what} — {name}",
                "body": f"{BANNER[lang]}\n{what}: {name} ({lat:.4f}, {lon:.4f}).",
                "language": lang,
                "observed_at": observed.isoformat(),
                "precedence": precedence,
                "source_reliability": rng.choice("ABCDEF"),
                "information_credibility": rng.choice("123456"),
                "tlp": rng.choice(["GREEN", "AMBER", "AMBER", "AMBER+STRICT"]),
                "releasable_to": release,
                "client_ref": f"demo-{i:05d}",
                "observations": [observation],
            }
        )
    return out
