"""Hand-kept names GeoNames lacks: countries in the centre's languages, region city spellings."""

from __future__ import annotations

# ISO code -> names in Arabic, Persian, Russian (nominative; case forms are generated),
# French/Turkish and common English variants. Hand-written for the countries that reports
# from the region name; every other country is still matched by its English GeoNames name.
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "IQ": ("Iraq", "العراق", "عراق", "Ирак", "Irak"),
    "SY": ("Syria", "سورية", "سوريا", "سوریه", "Сирия", "Syrie", "Suriye"),
    "IR": ("Iran", "إيران", "ايران", "ایران", "Иран"),
    "RU": (
        "Russia",
        "Russian Federation",
        "روسيا",
        "روسیه",
        "Россия",
        "Российская Федерация",
        "Russie",
        "Rusya",
    ),
    "TR": ("Turkey", "Türkiye", "تركيا", "ترکیه", "Турция", "Turquie"),
    "JO": ("Jordan", "الأردن", "اردن", "Иордания", "Jordanie", "Ürdün"),
    "LB": ("Lebanon", "لبنان", "Ливан", "Liban", "Lübnan"),
    "SA": (
        "Saudi Arabia",
        "السعودية",
        "المملكة العربية السعودية",
        "عربستان سعودی",
        "عربستان",
        "Саудовская Аравия",
        "Arabie saoudite",
        "Suudi Arabistan",
    ),
    "KW": ("Kuwait", "الكويت", "کویت", "Кувейт", "Koweït", "Kuveyt"),
    "EG": ("Egypt", "مصر", "Египет", "Égypte", "Mısır"),
    "IL": ("Israel", "إسرائيل", "اسرائیل", "Израиль", "Israël", "İsrail"),
    "PS": ("Palestine", "فلسطين", "فلسطین", "Палестина", "Filistin"),
    "AF": ("Afghanistan", "أفغانستان", "افغانستان", "Афганистан", "Afganistan"),
    "PK": ("Pakistan", "باكستان", "پاکستان", "Пакистан"),
    "US": (
        "United States",
        "United States of America",
        "USA",
        "U.S.",
        "الولايات المتحدة",
        "الولايات المتحدة الأمريكية",
        "أمريكا",
        "أميركا",
        "آمریکا",
        "ایالات متحده",
        "ایالات متحده آمریکا",
        "США",
        "Соединённые Штаты",
        "Америка",
        "États-Unis",
        "Amerika",
    ),
    "GB": (
        "United Kingdom",
        "Britain",
        "Great Britain",
        "بريطانيا",
        "المملكة المتحدة",
        "بریتانیا",
        "انگلیس",
        "Великобритания",
        "Британия",
        "Royaume-Uni",
        "İngiltere",
    ),
    "FR": ("France", "فرنسا", "فرانسه", "Франция", "Fransa"),
    "DE": ("Germany", "ألمانيا", "آلمان", "Германия", "Allemagne", "Almanya"),
    "CN": ("China", "الصين", "چین", "Китай", "Chine", "Çin"),
    "AZ": ("Azerbaijan", "أذربيجان", "جمهوری آذربایجان", "Азербайджан", "Azerbaïdjan", "Azerbaycan"),
    "AM": ("Armenia", "أرمينيا", "ارمنستان", "Армения", "Arménie", "Ermenistan"),
    "GE": ("Georgia", "جورجيا", "گرجستان", "Грузия", "Géorgie", "Gürcistan"),
    "YE": ("Yemen", "اليمن", "یمن", "Йемен", "Yémen"),
    "OM": ("Oman", "سلطنة عمان", "Оман"),  # bare عمان is Amman, left to the cities
    "AE": (
        "United Arab Emirates",
        "UAE",
        "الإمارات",
        "الإمارات العربية المتحدة",
        "امارات متحده عربی",
        "امارات",
        "ОАЭ",
        "Объединённые Арабские Эмираты",
        "Émirats arabes unis",
        "Birleşik Arap Emirlikleri",
    ),
    "QA": ("Qatar", "قطر", "Катар", "Katar"),
    "BH": ("Bahrain", "البحرين", "بحرین", "Бахрейн", "Bahreïn", "Bahreyn"),
    "LY": ("Libya", "ليبيا", "لیبی", "Ливия", "Libye", "Libya"),
    "TN": ("Tunisia", "تونس", "Тунис", "Tunisie", "Tunus"),
    "DZ": ("Algeria", "الجزائر", "الجزایر", "Алжир", "Algérie", "Cezayir"),
    "MA": ("Morocco", "المغرب", "مراکش", "Марокко", "Maroc"),
    "SD": ("Sudan", "السودان", "سودان", "Судан", "Soudan"),
    "IN": ("India", "الهند", "هند", "Индия", "Inde", "Hindistan"),
    "UA": ("Ukraine", "أوكرانيا", "اوکراین", "Украина", "Ukrayna"),
    "BY": ("Belarus", "بيلاروسيا", "بلاروس", "Белоруссия", "Беларусь", "Biélorussie"),
    "KZ": ("Kazakhstan", "كازاخستان", "قزاقستان", "Казахстан", "Kazakistan"),
    "UZ": ("Uzbekistan", "أوزبكستان", "ازبکستان", "Узбекистан", "Ouzbékistan", "Özbekistan"),
    "TM": ("Turkmenistan", "تركمانستان", "ترکمنستان", "Туркмения", "Туркменистан", "Türkmenistan"),
    "TJ": ("Tajikistan", "طاجيكستان", "تاجیکستان", "Таджикистан", "Tacikistan"),
    "KG": ("Kyrgyzstan", "قيرغيزستان", "قرقیزستان", "Киргизия", "Кыргызстан", "Kırgızistan"),
    "IT": ("Italy", "إيطاليا", "ایتالیا", "Италия", "Italie", "İtalya"),
    "ES": ("Spain", "إسبانيا", "اسپانیا", "Испания", "Espagne", "İspanya"),
    "NL": ("Netherlands", "هولندا", "هلند", "Нидерланды", "Голландия", "Pays-Bas", "Hollanda"),
    "BE": ("Belgium", "بلجيكا", "بلژیک", "Бельгия", "Belgique", "Belçika"),
    "GR": ("Greece", "اليونان", "یونان", "Греция", "Grèce", "Yunanistan"),
    "CY": ("Cyprus", "قبرص", "قبرس", "Кипр", "Chypre", "Kıbrıs"),
    "JP": ("Japan", "اليابان", "ژاپن", "Япония", "Japon", "Japonya"),
    "KR": ("South Korea", "كوريا الجنوبية", "کره جنوبی", "Южная Корея", "Corée du Sud"),
    "KP": ("North Korea", "كوريا الشمالية", "کره شمالی", "Северная Корея", "Corée du Nord"),
    "CA": ("Canada", "كندا", "کانادا", "Канада", "Kanada"),
    "AU": ("Australia", "أستراليا", "استرالیا", "Австралия", "Australie", "Avustralya"),
    "SO": ("Somalia", "الصومال", "سومالی", "Сомали", "Somalie"),
}

# geonameid -> spellings current in reports that the GeoNames alternate names miss
# (mostly Russian transliterations and Kurdish/Arabic short forms). Case forms of the
# Russian ones are generated like any other Russian name.
PLACE_ALIASES: dict[int, tuple[str, ...]] = {
    90393: ("Тель-Афар", "Таль-Афар", "تلعفر"),  # Tall Afar
    91597: ("Самарра",),  # Samarra
    174448: ("Абу-Кемаль", "Абу Кемаль", "Albu Kamal", "Abu Kamal"),  # Albu Kamal
    172256: ("Кобани", "كوباني", "کوبانی", "Айн-эль-Араб"),  # Ayn al Arab / Kobani
    169179: ("Джараблус", "Джараблюс"),  # Jarabulus
    173377: ("Камышлы", "Эль-Камышлы", "Qamishli"),  # Al Qamishli
    163808: ("Тадмор", "Пальмира", "پالمیرا"),  # Tadmur / Palmyra
    170017: ("Хама", "Hama"),  # Hama
    99003: ("Кайяра", "Эль-Кайяра", "Qayyarah"),  # Al Qayyarah
    390188: ("Хувейджа", "Hawija", "Hawijah"),  # Al Hawijah
    93818: ("Махмур", "Makhmur"),  # Makhmur
    172408: ("Эс-Сувейда", "Сувейда", "Suwayda", "Sweida"),  # As-Suwayda
    170592: ("Дума",),  # Douma
    168325: ("Хан-Шейхун",),  # Khan Shaykhun
}
