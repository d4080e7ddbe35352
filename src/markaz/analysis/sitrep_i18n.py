"""The words of a situation report in English, Arabic, Persian and Russian."""

from __future__ import annotations

LANGUAGES = ("en", "ar", "fa", "ru")
RTL = frozenset({"ar", "fa"})

# key -> (en, ar, fa, ru)
_STRINGS: dict[str, tuple[str, str, str, str]] = {
    "title": ("Situation report", "تقرير الموقف", "گزارش وضعیت", "Сводка обстановки"),
    "centre_title": (
        "Centre situation report",
        "تقرير الموقف الصادر عن المركز",
        "گزارش وضعیت مرکز",
        "Сводка обстановки центра",
    ),
    "prepared_for": ("Prepared for", "أُعدّ لـ", "تهیه‌شده برای", "Подготовлено для"),
    "published_by": (
        "Published by the chair",
        "نشرته الرئاسة",
        "منتشرشده توسط ریاست",
        "Выпущено председателем",
    ),
    "recipients_note": (
        "Contains only items released to every recipient.",
        "يتضمن فقط ما أُتيح لجميع المستلمين.",
        "فقط مواردی را در بر دارد که برای همه گیرندگان قابل انتشار است.",
        "Содержит только сведения, разрешённые всем получателям.",
    ),
    "period": ("Period", "الفترة", "دوره", "Период"),
    "area": ("Area", "المنطقة", "منطقه", "Район"),
    "whole_area": ("everything visible", "كل ما هو متاح", "همه موارد قابل مشاهده", "все доступные сведения"),
    "generated": ("Generated", "تاريخ الإعداد", "زمان تهیه", "Составлено"),
    "summary": ("Summary", "الخلاصة", "خلاصه", "Итоги"),
    "reports_received": ("Reports received", "التقارير الواردة", "گزارش‌های دریافتی", "Получено донесений"),
    "observations": ("Observations", "المشاهدات", "مشاهدات", "Наблюдения"),
    "by_category": ("By category", "حسب الفئة", "بر اساس دسته", "По категориям"),
    "by_area": ("By area", "حسب المنطقة", "بر اساس منطقه", "По районам"),
    "count": ("Count", "العدد", "تعداد", "Количество"),
    "category": ("Category", "الفئة", "دسته", "Категория"),
    "changes": (
        "Changes: corrections and retractions",
        "التغييرات: التصحيحات والسحوبات",
        "تغییرات: اصلاحیه‌ها و پس‌گرفتن‌ها",
        "Изменения: исправления и отзывы",
    ),
    "corrected": ("correction", "تصحيح", "اصلاحیه", "исправление"),
    "retracted": ("retracted", "مسحوب", "پس‌گرفته", "отозвано"),
    "replaces": ("replaces", "يحل محل", "جایگزین", "заменяет"),
    "best_graded": (
        "Best-graded observations",
        "أعلى المشاهدات تقييماً",
        "مشاهدات با بهترین ارزیابی",
        "Наблюдения с наивысшей оценкой",
    ),
    "highest_confidence": (
        "Highest-confidence items",
        "العناصر الأعلى ثقة",
        "موارد با بیشترین اطمینان",
        "Объекты с наибольшей достоверностью",
    ),
    "contested": ("Contested items", "العناصر المتنازع عليها", "موارد مورد اختلاف", "Спорные объекты"),
    "new_sites": (
        "Sites seen in the period",
        "المواقع المرصودة خلال الفترة",
        "مکان‌های مشاهده‌شده در این دوره",
        "Объекты, наблюдавшиеся за период",
    ),
    "new_tracks": (
        "Tracks seen in the period",
        "المسارات المرصودة خلال الفترة",
        "مسیرهای مشاهده‌شده در این دوره",
        "Маршруты, наблюдавшиеся за период",
    ),
    "movements": ("Movements", "التحركات", "جابه‌جایی‌ها", "Передвижения"),
    "map": ("Map", "الخريطة", "نقشه", "Карта"),
    "tables": (
        "Observations by category",
        "المشاهدات حسب الفئة",
        "مشاهدات بر اساس دسته",
        "Наблюдения по категориям",
    ),
    "observed": ("Observed", "وقت المشاهدة", "زمان مشاهده", "Время наблюдения"),
    "received": ("Received", "وقت الاستلام", "زمان دریافت", "Получено"),
    "originator": ("Originator", "المصدر", "فرستنده", "Источник"),
    "report": ("Report", "التقرير", "گزارش", "Донесение"),
    "grading": ("Grading", "التقييم", "ارزیابی", "Оценка"),
    "precedence": ("Precedence", "الأسبقية", "اولویت", "Срочность"),
    "position": ("Position", "الموقع", "موقعیت", "Координаты"),
    "near": ("Near", "بالقرب من", "نزدیک", "Вблизи"),
    "subject": ("Subject", "الجهة", "موضوع", "Субъект"),
    "confidence": ("Confidence", "الثقة", "اطمینان", "Достоверность"),
    "sources": ("Sources", "المصادر", "منابع", "Источники"),
    "last_seen": ("Last seen", "آخر مشاهدة", "آخرین مشاهده", "Последнее наблюдение"),
    "first_seen": ("First seen", "أول مشاهدة", "نخستین مشاهده", "Первое наблюдение"),
    "points": ("Points", "النقاط", "نقاط", "Точки"),
    "item": ("Item", "العنصر", "مورد", "Объект"),
    "why": ("Why", "السبب", "دلیل", "Причина"),
    "none": ("None in this period.", "لا شيء في هذه الفترة.", "در این دوره موردی نیست.", "За период нет."),
    "truncated": (
        "Only the first {n} observations of the period are included.",
        "أُدرجت أول {n} مشاهدة فقط من هذه الفترة.",
        "فقط {n} مشاهده نخست این دوره آمده است.",
        "Включены только первые {n} наблюдений периода.",
    ),
    "fused_cut": (
        "Only the first {n} are listed; narrow the period or the area to see the others.",
        "أُدرج أول {n} فقط؛ ضيّق الفترة أو المنطقة لرؤية البقية.",
        "فقط {n} مورد نخست آمده است؛ برای دیدن بقیه، دوره یا منطقه را محدودتر کنید.",
        "Перечислены только первые {n}; сузьте период или район, чтобы увидеть остальные.",
    ),
    "printed_cut": (
        "The printed report lists the first {n} of {total}; the HTML, Markdown and JSON forms list all.",
        "يورد التقرير المطبوع أول {n} من {total}؛ أما صيغ HTML وMarkdown وJSON فتوردها كلها.",
        "گزارش چاپی {n} مورد نخست از {total} را می‌آورد؛ قالب‌های HTML، Markdown و JSON همه را دارند.",
        "В печатной сводке первые {n} из {total}; в HTML, Markdown и JSON — все.",
    ),
    "fusion_absent": (
        "Fused sites and tracks are computed for each member; they are not part of a centre product.",
        "تُحسب المواقع والمسارات المدمجة لكل عضو على حدة، ولا تدخل في منتجات المركز.",
        "مکان‌ها و مسیرهای تلفیقی برای هر عضو جداگانه محاسبه می‌شوند و در محصولات مرکز نمی‌آیند.",
        "Объединённые объекты и маршруты рассчитываются для каждого участника и в продукты центра не входят.",
    ),
    "scale": ("km", "كم", "کیلومتر", "км"),
    "legend": ("Legend", "مفتاح الخريطة", "راهنما", "Условные знаки"),
    "reference_town": ("town (reference)", "مدينة (مرجع)", "شهر (مرجع)", "город (ориентир)"),
    "map_note": (
        "Equirectangular projection drawn from the data; towns from GeoNames for orientation.",
        "إسقاط متساوي المسافات مرسوم من البيانات؛ المدن من GeoNames للاستدلال.",
        "تصویر هم‌فاصله ترسیم‌شده از داده‌ها؛ شهرها از GeoNames برای جهت‌یابی.",
        "Равнопромежуточная проекция по данным; города из GeoNames для ориентира.",
    ),
    # Categories of observations (markaz.domain.enums.Category).
    "cat.position": ("Position", "موقع", "موضع", "Позиция"),
    "cat.gathering": ("Gathering place", "مكان تجمع", "محل تجمع", "Место сбора"),
    "cat.command_post": ("Command post", "مركز قيادة", "مقر فرماندهی", "Командный пункт"),
    "cat.weapons_depot": ("Weapons depot", "مستودع أسلحة", "انبار سلاح", "Склад оружия"),
    "cat.chemical_lab": (
        "Chemical laboratory",
        "مختبر كيميائي",
        "آزمایشگاه شیمیایی",
        "Химическая лаборатория",
    ),
    "cat.movement": ("Movement", "تحرك", "جابه‌جایی", "Передвижение"),
    "cat.smuggling_route": ("Smuggling route", "طريق تهريب", "مسیر قاچاق", "Маршрут контрабанды"),
    "cat.incident": ("Incident", "حادث", "رویداد", "Происшествие"),
    "cat.other": ("Other", "أخرى", "سایر", "Прочее"),
}

_INDEX = {lang: i for i, lang in enumerate(LANGUAGES)}

# Countries a region's reports are near, for the "by area" summary; other codes print as is.
_COUNTRIES: dict[str, tuple[str, str, str, str]] = {
    "IQ": ("Iraq", "العراق", "عراق", "Ирак"),
    "SY": ("Syria", "سوريا", "سوریه", "Сирия"),
    "IR": ("Iran", "إيران", "ایران", "Иран"),
    "RU": ("Russia", "روسيا", "روسیه", "Россия"),
    "TR": ("Turkey", "تركيا", "ترکیه", "Турция"),
    "JO": ("Jordan", "الأردن", "اردن", "Иордания"),
    "LB": ("Lebanon", "لبنان", "لبنان", "Ливан"),
    "SA": ("Saudi Arabia", "السعودية", "عربستان سعودی", "Саудовская Аравия"),
    "KW": ("Kuwait", "الكويت", "کویت", "Кувейт"),
    "IL": ("Israel", "إسرائيل", "اسرائیل", "Израиль"),
    "PS": ("Palestine", "فلسطين", "فلسطین", "Палестина"),
    "AF": ("Afghanistan", "أفغانستان", "افغانستان", "Афганистан"),
    "AZ": ("Azerbaijan", "أذربيجان", "جمهوری آذربایجان", "Азербайджан"),
    "AM": ("Armenia", "أرمينيا", "ارمنستان", "Армения"),
    "GE": ("Georgia", "جورجيا", "گرجستان", "Грузия"),
    "EG": ("Egypt", "مصر", "مصر", "Египет"),
}


def check_language(lang: str) -> str:
    if lang not in _INDEX:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return lang


def t(lang: str, key: str, **values: object) -> str:
    text = _STRINGS[key][_INDEX[lang]]
    return text.format(**values) if values else text


def category_name(lang: str, category: str) -> str:
    key = f"cat.{category}"
    return t(lang, key) if key in _STRINGS else category


def country_name(lang: str, code: str) -> str:
    names = _COUNTRIES.get(code)
    return names[_INDEX[lang]] if names else code


def direction(lang: str) -> str:
    return "rtl" if lang in RTL else "ltr"
