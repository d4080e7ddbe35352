"""Error sentences in Arabic, Persian and Russian: complete catalogues, the API, the pages."""

from __future__ import annotations

import pytest

from markaz.app import create_app
from markaz.centre import Centre
from markaz.web import error_templates, i18n
from tests.asgi_client import ASGIClient, asgi_client
from tests.conftest import Account
from tests.web.conftest import sign_in

TRANSLATED = ("ar", "fa", "ru")


def test_every_error_template_raised_in_the_code_is_translated() -> None:
    found = error_templates.templates()
    # The walk must find what it is meant to find, or an empty walk would pass.
    assert "there is no report {report_id}" in found
    assert "releasable_to names unknown member {code}" in found
    assert "too many failed sign-ins: this user name is locked until {until} UTC; try again then" in found
    assert "too many requests: this token may make {limit} per minute; retry after {retry_after} s" in found
    assert "your session ended after {minutes} minutes without use; sign in again" in found
    assert len(found) > 250
    # Phrases handed to a function that puts them into a message, and states, are found too.
    assert "manage subscriptions" in found and "suspended" in found
    for language in TRANSLATED:
        entries = i18n.error_catalogue_entries(language)
        missing = sorted(f"{t}  ({found[t][0]})" for t in found if not entries.get(t))
        assert not missing, (
            f"{len(missing)} error messages have no {language} translation in "
            f"src/markaz/web/locale/{language}/LC_MESSAGES/errors.po (docs/web.md says how to add them):\n"
            + "\n".join(missing)
        )
        for template, translation in entries.items():
            names = sorted(error_templates.PLACEHOLDER.findall(template))
            assert sorted(error_templates.PLACEHOLDER.findall(translation)) == names, (language, template)
            assert translation != template, (language, template)


def test_error_text_finds_the_template_and_keeps_the_values() -> None:
    message = "releasable_to names unknown member 'XX'"
    assert i18n.error_text("ar", message) == "releasable_to يذكر عضوًا غير معروف 'XX'"
    assert i18n.error_text("fa", message) == "releasable_to عضو ناشناختهٔ 'XX' را نام می‌برد"
    assert i18n.error_text("ru", message) == "releasable_to называет неизвестного члена 'XX'"
    # The most specific template wins over "there is no {kind} {item_id}".
    assert i18n.error_text("ru", "there is no report 01J0") == "нет донесения 01J0"
    # States and phrases that the code puts into sentences are translated inside them.
    assert (
        i18n.error_text("ru", "member IQ is suspended; its access is stopped")
        == "член IQ в состоянии «приостановлен»; его доступ остановлен"
    )
    assert i18n.error_text(
        "fa", "only a member_admin or centre_admin of the member may manage subscriptions"
    ).endswith("اشتراک‌ها را مدیریت کند")
    # A field's sentence keeps the field's name in front.
    assert i18n.error_text("ru", "body: body may not be blank") == "body: body не может быть пустым"
    # English, unknown sentences and unknown languages stay as they are.
    assert i18n.error_text("en", message) == message
    assert i18n.error_text("ar", "a sentence nobody raises") == "a sentence nobody raises"
    assert i18n.error_text("de", message) == message


def test_accept_language_is_read_in_order() -> None:
    assert i18n.error_language("fa-IR,fa;q=0.9,en;q=0.5") == "fa"
    assert i18n.error_language("de-DE,ru;q=0.8") == "ru"
    assert i18n.error_language("en-GB,ar;q=0.5") == "en"
    assert i18n.error_language(None) == "en"
    assert i18n.error_language("en;q=0.3, ar;q=0.8") == "ar"
    assert i18n.error_language("ar;q=0, ru") == "ru"
    assert i18n.error_language("ar;q=zero") == "en"


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("ar", "لا يوجد تقرير"), ("fa", "وجود ندارد"), ("ru", "нет донесения"), ("en", "there is no report")],
)
def test_api_errors_follow_accept_language(
    client: ASGIClient, accounts: dict[str, Account], language: str, sentence: str
) -> None:
    headers = {**accounts["IQ"].headers, "Accept-Language": language}
    missing = client.get("/api/v1/reports/01J0000000000000000000NOPE", headers=headers)
    assert missing.status_code == 404
    error = missing.json()["error"]
    assert sentence in error["message"] and "01J0000000000000000000NOPE" in error["message"]
    assert error["code"] == "not_found"
    assert missing.headers.get("content-language") == (None if language == "en" else language)


def test_api_field_errors_are_translated_and_code_and_field_stay(
    client: ASGIClient, accounts: dict[str, Account]
) -> None:
    report = {"title": "x", "releasable_to": ["ZZ"]}
    plain = client.post("/api/v1/reports", json=report, headers=accounts["IQ"].headers)
    russian = client.post(
        "/api/v1/reports", json=report, headers={**accounts["IQ"].headers, "Accept-Language": "ru"}
    )
    assert plain.status_code == russian.status_code == 422
    english, translated = plain.json()["error"], russian.json()["error"]
    assert "unknown member" in english["message"]
    assert "неизвестного члена" in translated["message"] and "ZZ" in translated["message"]
    assert (english["code"], english.get("field")) == (translated["code"], translated.get("field"))
    bbox = client.get(
        "/api/v1/observations.geojson",
        params={"bbox": "1,2,3"},
        headers={**accounts["IQ"].headers, "Accept-Language": "fa"},
    )
    assert bbox.status_code == 422 and "bbox باید چهار عدد باشد" in bbox.json()["error"]["message"]
    # pydantic's own wording for a field, behind the field's name.
    long_title = client.post(
        "/api/v1/reports",
        json={"title": "x" * 5000, "releasable_to": ["ALL"]},
        headers={**accounts["IQ"].headers, "Accept-Language": "ru"},
    )
    assert long_title.status_code == 422 and long_title.json()["error"]["field"] == "title"
    assert long_title.json()["error"]["message"].startswith("title: строка должна содержать не более")
    nowhere = client.get("/api/v1/nowhere", headers={"Accept-Language": "ar"})
    assert nowhere.status_code == 404 and nowhere.json()["error"]["message"] == "لا يوجد شيء في هذا العنوان"


def _choose(client: ASGIClient, csrf: str, language: str) -> None:
    chosen = client.post("/preferences", data={"csrf_token": csrf, "language": language, "next": "/reports"})
    assert chosen.status_code == 303


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("ar", "يجب أن تكون اللغة واحدة من"), ("fa", "زبان باید یکی از"), ("ru", "язык должен быть одним из")],
)
def test_an_error_page_speaks_the_users_language(
    browser_client: ASGIClient, people: dict[str, str], language: str, sentence: str
) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    _choose(browser_client, csrf, language)
    refused = browser_client.post("/preferences", data={"csrf_token": csrf, "language": "xx"})
    assert refused.status_code == 422
    assert sentence in refused.text and "language must be one of" not in refused.text


def test_a_refused_form_and_the_pages_api_calls_speak_the_users_language(
    centre: Centre, browser_client: ASGIClient, people: dict[str, str]
) -> None:
    csrf = sign_in(browser_client, "iq.analyst")
    _choose(browser_client, csrf, "ru")
    form = browser_client.post(
        "/reports/new",
        data={"csrf_token": csrf, "title": "x", "release_all": "1", "obs": ["gathering|500|0"]},
    )
    assert form.status_code == 422
    assert "не удалось прочитать точку на карте" in form.text or "долгота 500" in form.text, form.text
    # What common.js sends: the page's language in Accept-Language, with the session cookie.
    refused = browser_client.post(
        "/api/v1/reports", json={"title": "x", "releasable_to": ["ALL"]}, headers={"Accept-Language": "ru"}
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["message"].startswith("запрос браузера, который что-то изменяет")
    assert refused.json()["error"]["code"] == "forbidden"


def test_a_refused_vote_says_why_in_arabic(browser_client: ASGIClient, people: dict[str, str]) -> None:
    csrf = sign_in(browser_client, "sy.analyst")
    _choose(browser_client, csrf, "ar")
    refused = browser_client.post(
        "/governance/motions/M1/vote", data={"csrf_token": csrf, "choice": "approve"}
    )
    assert refused.status_code == 403 and 'dir="rtl"' in refused.text
    assert "يصوّت العضو عبر مسؤول العضو (member_admin) الخاص به" in refused.text


def test_a_rate_limit_is_explained_in_persian_with_retry_after_kept(
    centre: Centre, accounts: dict[str, Account]
) -> None:
    settings = centre.settings.model_copy(update={"rate_limit_per_minute": 2})
    headers = {**accounts["IQ"].headers, "Accept-Language": "fa"}
    with asgi_client(create_app(settings, centre)) as client:
        answers = [client.get("/api/v1/me", headers=headers) for _ in range(3)]
    refused = answers[2]
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "rate_limited"
    assert refused.json()["error"]["message"].startswith("درخواست‌های بیش از حد: این توکن می‌تواند 2 درخواست")
    assert int(refused.headers["retry-after"]) >= 1 and refused.headers["content-language"] == "fa"


def test_a_batchs_refused_items_follow_accept_language(
    client: ASGIClient, accounts: dict[str, Account]
) -> None:
    batch = [{"title": "fine", "releasable_to": ["ALL"]}, {"title": "bad", "releasable_to": ["ZZ"]}]
    answer = client.post(
        "/api/v1/reports:batch", json=batch, headers={**accounts["IQ"].headers, "Accept-Language": "ar"}
    )
    assert answer.status_code == 200 and answer.json()["created"] == 1
    refused = answer.json()["results"][1]["error"]
    assert refused["code"] == "invalid" and "releasable_to" in refused["field"]
    assert "يذكر عضوًا غير معروف" in refused["message"] and "ZZ" in refused["message"]
