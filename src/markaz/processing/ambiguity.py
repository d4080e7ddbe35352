"""Word lists that decide whether a gazetteer hit is a place: cue words and a homonym stop-list."""

from __future__ import annotations

from markaz.domain.normalise import normalise_text


def _norm_set(words: str) -> frozenset[str]:
    return frozenset(normalise_text(w) for w in words.split())


# A word naming a kind of place right before the name ("village of X", "قرية X", "село X"):
# the strongest evidence short of coordinates, enough even for a homonym.
TYPE_CUES = _norm_set(
    """
    city town village province governorate district region capital suburb outskirts
    مدينة المدينة بلدة قرية محافظة ناحية قضاء ريف منطقة مدينه عاصمة العاصمة مخيم
    شهر شهرستان روستا روستای استان بخش منطقه پایتخت بندر
    город города городе городом село села селе деревня деревни деревне поселок поселка
    поселке провинция провинции район района районе столица столице столицы аул
    ville village commune province région
    şehri kenti köyü ilçesi ili
    """
)

# Words of nearness and direction before a name ("near", "north of", "قرب", "نزدیک", "под"):
# these rarely precede anything but a place.
NEAR_CUES = _norm_set(
    """
    near outside around towards toward north south east west northeast northwest southeast
    southwest outskirts
    قرب بالقرب نحو حول باتجاه اتجاه شمال جنوب شرق غرب شمالي جنوبي شرقي غربي اطراف ضواحي
    محيط شمالي
    نزدیک نزدیکی اطراف سمت حوالی حومه شمال جنوب شرق غرب شمالی جنوبی شرقی غربی
    под около близ возле севернее южнее восточнее западнее окрестностях
    près vers
    """
)
# Plain prepositions ("in", "from", "في", "در", "в"): they precede any noun, so they support
# a town but cannot by themselves vouch for a hamlet whose name is also a word.
PREP_CUES = NEAR_CUES | _norm_set(
    """
    in at from to into via through of between across
    في من الى إلى داخل عند
    در به از تا
    в во на из у к до от через
    à a en de dans depuis
    """
)

# Countries the centre reports on, plus the members' own: an Arabic-script name of a town
# elsewhere is usually a transliteration that collides with an Arabic word (Ruse/روسي,
# Umeå/يوميا), so outside these it needs a cue and a large population.
HOME_COUNTRIES = frozenset(["IQ", "SY", "IR", "RU", "TR", "JO", "LB", "KW", "SA", "AF"])

# Keys that are names in one language and ordinary words in another sharing the script:
# Persian روسیه (Russia) is Arabic روسية (Russian, fem.).
LANGUAGE_ONLY = {normalise_text("روسیه"): "fa"}

# Gazetteer names that are also everyday words in the centre's languages. A hit on one of
# these needs a type cue, or a preposition plus another place in the same country.
# The list grows from evaluation: every false positive seen in real text lands here.
HOMONYMS = _norm_set(
    """
    mobile nice reading bath split orange police sale hope hit mission university union
    unity liberty victory independence progress paradise eden joint general state deputy
    minister president commander colonel major best bell camp cape center centre chance
    commerce concord content corona deal eagle energy enterprise faith fortune friendship
    gap gold golden grace green harmony haven home hotel house industry justice lake light
    long lucky march may media model mount national nation ocean opportunity palm peace
    pearl pilot plain pleasant post prosperity providence reform republic rich river rock
    rose royal saint salt science security silver social solidarity spring star strong
    success summit sunrise sunset tell temple trust valley vista water welcome wonder dam
    мир мира миру слава победа май горы горки луч заря свобода дружба единство надежда
    звезда прогресс труд рассвет восход светлый новый центр
    عين باب بيت تل دار حي جبل وادي بئر نهر راس سوق قصر برج مركز المركز النصر السلام الحرية
    الوحدة الجديدة العامة الدولة الشام الرئيسية الاولي الثانية الثالثة الخير الامل النور
    الهدي الفرقان الحمرا الحمراء البيضاء الخضراء الزهراء المنصورة الرشيد الاستقلال
    الوطن وطن التحرير الكرامة الفتح الشهداء الصحة الحياة امل نور حياة كرم خير دور ناس
    هند مدينه المدينه بندر بيان وقف كشف اساس الاشهر سلام امن قوة جيش حرب دولة ملك الملك
    العرب عرب ساحل الساحل هيئة الهيئة
    كان قال كل مع عمل جبهة الجبهة الاسد اسد شام قائد القائد نقل النقل
    زمین آب آباد باغ بازار پل چشمه خانه ده دشت سر شهر کوه گل مرکز نو آزادی امام
    """
)

# Latin-script names read as proper nouns only when capitalised; these punctuation marks
# end a sentence, after which a capital letter proves nothing.
SENTENCE_END = frozenset(".!?\n:;\"'(«“—")
