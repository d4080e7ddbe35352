"""Kinds of activity a text reports, from multilingual keyword stems in one Aho-Corasick pass."""

from __future__ import annotations

import functools
import re
from typing import Any

import ahocorasick

from markaz.domain.normalise import Normalised, normalise_text
from markaz.processing.spans import SpanSet

CATEGORIES = (
    "position",
    "gathering",
    "command_post",
    "weapons_depot",
    "chemical_lab",
    "movement",
    "smuggling_route",
    "incident",
    "other",
)

# Keyword stems per category, one phrase per line or "|"-separated. A stem matches at the
# start of a word and may run on ("склад" covers склады, складов; "تحرك" covers تحركات);
# a trailing "$" demands the word end there. Arabic phrases also match with the article on
# later words added or dropped. "_lab" and "_chem" combine into chemical_lab; "_none" marks
# phrases that contain a keyword but mean something else and so suppress it.
_KEYWORDS: dict[str, str] = {
    "position": """
        coordinates | grid reference | position | emplacement | fortified | firing point
        | entrenched | stronghold | observation post
        إحداثيات | احداثيات | مواقع | مواضع | موقع عسكري | تمركز | نقاط تمركز
        | خنادق | تحصينات | نقطة مراقبة | نقاط مراقبة
        مختصات | مواضع نظامی | موقعیت | سنگر | استحکامات
        координат | позици | огнев точк | огневая точк | опорн пункт | укреплен | окоп
    """,
    "gathering": """
        gathering | assembly area | assembly point | concentration of | massing | massed
        | rally point | staging area
        تجمع | اماكن تجمع | تجمعات | حشود | حشد | تحشد | تحشيد | نقطة تجمع
        محل تجمع | تجمع نیرو | تجمعات | گردهمایی | تمرکز نیرو
        скоплен | сосредоточен | место сбор | места сбор | точка сбор | точки сбор
        | пункт сбор | концентрац
    """,
    "command_post": """
        command post | command center | command centre | headquarters | hq$ | command node
        | operations room
        مركز قيادة | مراكز القيادة | مراكز قيادة | مقر قيادة
        | مقرات | مقر | غرفة عمليات | غرف عمليات
        مرکز فرماندهی | مقر فرماندهی | قرارگاه | ستاد فرماندهی | اتاق عملیات
        командн пункт | командный пункт | штаб | пункт управлен | узел управлен
        | центр управлен
    """,
    "weapons_depot": """
        weapons depot | arms depot | ammunition depot | weapons cache | arms cache
        | weapons store | ammunition dump | ammunition store | arsenal | weapons storage
        مخازن الاسلحة | مخزن اسلحة | مخزن سلاح | مستودعات الاسلحة | مستودع اسلحة | مستودع سلاح
        مستودعات الذخيرة | مستودع ذخيرة | مخازن الذخيرة | مخزن ذخيرة | مخازن اسلحة
        انبار سلاح | انبار مهمات | انبار تسلیحات | انبارهای سلاح | انبار مهمات | زرادخانه
        склад оруж | склады оруж | складов оруж | склад боеприпас | склады боеприпас
        | арсенал | хранилищ оруж | схрон
    """,
    "_lab": """
        laboratory | laboratories | lab$ | labs$ | workshop
        مختبر | مختبرات | معمل | معامل | ورشة | ورش تصنيع
        آزمایشگاه | کارگاه
        лаборатор | мастерск
    """,
    "_chem": """
        chemical | toxic gas | chlorine | sarin | mustard gas | nerve agent
        كيميائي | كيماوي | الكيميائية | الكيماوية | غاز سام | غازات سامة | الكلور | السارين
        شیمیایی | گاز سمی | کلر
        химическ | отравляющ | хлор | зарин | иприт
    """,
    "movement": """
        movement | movements | convoy | convoys | moving towards | advancing | advance of
        | redeploy | relocat | infiltrat | route | reinforcement
        تحرك | تحركات | حركة | رتل | ارتال | انتقال | تنقل | تنقلات | مسارات
        | مسار | تسلل | زحف | تعزيزات | قافلة | قوافل | شحنة | شحنات
        تحرک | تحرکات | حرکت | ستون | جابجایی | پیشروی | عزیمت
        | نفوذ | مسیر | عقب نشینی | اعزام | محموله | منتقل
        передвижен | движени | перемещен | колонн | выдвиж | выдвину | маршрут | переброск
        | продвижен | проникновен | перебрас
    """,
    "smuggling_route": """
        smuggl | contraband
        تهريب | مهرب | المهرب | المهربة | مهربين
        قاچاق
        контрабанд
    """,
    "incident": """
        attack | explosion | blast | bombing | airstrike | air strike | strike | strikes$
        | shelling | shelled | ied$ | clash | ambush | killed | wounded | mortar | suicide
        | struck | fighting
        هجوم | هجمات | انفجار | تفجير | ضربة | ضربات | ضرب | غارة | غارات | قصف | اشتباك | كمين
        | عبوة ناسفة | مقتل | استهداف | انتحاري | هاون
        حمله | حملات | انفجار | بمباران | درگیری | کمین | حمله هوایی | گلوله باران | خمپاره
        | انتحاری | کشته | منفجر | هدف قرار
        атак | взрыв | удар | авиаудар | обстрел | бомбардир | столкновен | засад | нападен
        | подрыв | погиб | ранен | миномет
    """,
    "other": """
        checkpoint | tunnel | training camp | airfield | airstrip
        حاجز | نقطة تفتيش | نقاط تفتيش | نفق | انفاق | معسكر تدريب | مطار
        ایست بازرسی | تونل | اردوگاه آموزشی | فرودگاه
        блокпост | туннел | тоннел | лагерь подготовк | аэродром
    """,
    "_none": """
        تجمعات سكنية | تجمعات سكني | حركة المرور | strike a balance | moving forward
        | position on | حمله ای | حمله‌ای | مواضع مسکو | مواضع روسیه
    """,
}
_ARTICLE = "ال"
_ARABIC = re.compile("[\u0600-\u06ff]")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_RU_NOUN_ENDINGS = ("", "а", "у", "е", "ом", "ы", "ов", "ам", "ах", "ами", "и")
_AR_PREFIXES = frozenset(
    c + p + a for c in ("", "و", "ف") for p in ("", "ب", "ل", "ك") for a in ("", "ال")
) | {"لل", "ولل"}


def _variants(phrase: str) -> set[str]:
    words = phrase.split()
    if len(words) >= 2 and _CYRILLIC.match(words[0]) and words[0][-1] not in "аеиоуыэюяь":
        # "склад оруж" must also match "складу оружия", "складов боеприпасов".
        return {" ".join([words[0] + end, *words[1:]]) for end in _RU_NOUN_ENDINGS}
    if not _ARABIC.search(phrase) or len(words) < 2:
        return {phrase}
    out = {phrase}
    for i in range(1, len(words)):
        w = words[i]
        bare = w[2:] if w.startswith(_ARTICLE) and len(w) > 4 else w
        for alt in (bare, _ARTICLE + bare):
            out.add(" ".join([*words[:i], alt, *words[i + 1 :]]))
    return out


@functools.lru_cache(maxsize=1)
def _automaton() -> Any:
    automaton = ahocorasick.Automaton()
    for category, spec in _KEYWORDS.items():
        for raw in re.split(r"[|\n]", spec):
            phrase = raw.strip()
            if not phrase:
                continue
            exact = phrase.endswith("$")
            phrase = normalise_text(phrase.rstrip("$")).replace("-", " ")
            for variant in _variants(phrase):
                existing = automaton.get(variant, None)
                # On a clash the suppressing reading wins: it was added to prevent an error.
                if existing is None or category == "_none":
                    automaton.add_word(variant, (category, len(variant), exact))
    automaton.make_automaton()
    return automaton


def find_categories(norm: Normalised) -> list[str]:
    text = norm.text
    n = len(text)
    hits: list[tuple[int, int, str]] = []
    for end_index, (category, length, exact) in _automaton().iter(text):
        start, end = end_index + 1 - length, end_index + 1
        if exact and end < n and text[end].isalnum():
            continue
        ws = start
        while ws > 0 and text[ws - 1].isalpha():
            ws -= 1
        prefix = text[ws:start]
        if prefix and not (_ARABIC.match(text[start]) and prefix in _AR_PREFIXES):
            continue
        hits.append((start, end, category))
    # Longest match first, so a suppressing phrase hides the keyword inside it.
    hits.sort(key=lambda h: (h[0] - h[1], h[0]))
    taken = SpanSet(n)
    kinds = {category for start, end, category in hits if taken.try_take(start, end)}
    if "_lab" in kinds and "_chem" in kinds:
        kinds.add("chemical_lab")
    return sorted(k for k in kinds if not k.startswith("_"))
