"""In Chromium: file a report and see it arrive live only where it is released, acknowledge a
FLASH, confirm a suggestion, vote on an accession, the inbox and the situation report page."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from tests.browser.conftest import OpenPage, shot, sign_in


def test_a_report_arrives_live_only_where_it_is_released_and_flash_is_acknowledged(
    open_page: OpenPage,
) -> None:
    syria, syria_console = open_page()
    russia, russia_console = open_page()
    iraq, iraq_console = open_page()
    for page, user in ((syria, "sy.web"), (russia, "ru.web"), (iraq, "iq.web")):
        sign_in(page, user)
    for page in (syria, russia):
        expect(page.locator("#map-status")).to_have_attribute("data-shown", re.compile(r"^[1-9]"))
        # Older FLASH traffic of the demo may be waiting: acknowledge it first.
        while page.locator("#flash-banner").is_visible():
            page.locator("#flash-ack").click()
            page.wait_for_timeout(300)
    title = f"[SYNTHETIC] تجمع قرب الموصل {uuid.uuid4().hex[:6]}"
    iraq.get_by_role("link", name="New report").click()
    iraq.get_by_label("Title").fill(title)
    iraq.get_by_label("Text of the report (any language)").fill("تقرير تجريبي: تجمع قرب الموصل.")
    iraq.locator('select[name="precedence"]').select_option("FLASH")
    iraq.locator("#release-all").uncheck()
    iraq.locator('input[name="release_member"][value="SY"]').check()
    expect(iraq.locator("#release-all")).not_to_be_checked()
    iraq.locator("#obs-category").select_option("gathering")
    box = iraq.locator("#report-map").bounding_box()
    assert box
    iraq.locator("#report-map").click(position={"x": box["width"] / 2, "y": box["height"] / 2})
    expect(iraq.locator("#obs-list li")).to_have_count(1)
    shot(iraq, "report-new")
    iraq.get_by_role("button", name="Submit the report").click()
    iraq.wait_for_url(re.compile(r"/reports/[0-9A-Z]{26}$"))
    expect(iraq.locator("h1")).to_have_text(title)
    # Syria, to whom it is released, sees it arrive on the map and as a FLASH banner.
    expect(syria.locator("#live-list")).to_contain_text(title, timeout=20_000)
    expect(syria.locator("#flash-banner")).to_be_visible()
    expect(syria.locator("#flash-link")).to_have_text(title)
    shot(syria, "map-live-flash")
    # Russia, to whom it is not released, never gets it (it was on the same stream meanwhile).
    russia.wait_for_timeout(2000)
    expect(russia.locator("#live-list")).not_to_contain_text(title)
    assert title not in (russia.locator("#flash-link").text_content() or "")
    # Acknowledging clears the banner and is recorded.
    syria.locator("#flash-ack").click()
    expect(syria.locator("#flash-banner")).to_be_hidden()
    acknowledged = syria.request.get("/api/v1/inbox?state=acknowledged&limit=200").json()["items"]
    assert title in [d["report"]["title"] for d in acknowledged if d.get("report")]
    # The originator sees that Syria received and acknowledged it.
    iraq.reload()
    receipts = iraq.locator("#receipts")
    expect(receipts).to_contain_text("(SY)")
    expect(receipts).not_to_contain_text("(RU)")
    shot(iraq, "report")
    # A report that is not released answers 404 to Russia, like one that does not exist.
    assert russia.goto(iraq.url).status == 404  # type: ignore[union-attr]
    for console in (syria_console, russia_console, iraq_console):
        assert [e for e in console.errors if "404" not in e] == []


def test_suggestions_from_the_text_are_confirmed(open_page: OpenPage) -> None:
    page, console = open_page()
    sign_in(page, "ir.web")
    page.goto("/reports/new")
    page.get_by_label("Title").fill("[SYNTHETIC] depot near Mosul")
    page.get_by_label("Text of the report (any language)").fill(
        "SYNTHETIC. A weapons depot was seen at 36.3400N 43.1300E near Mosul on 2026-09-12."
    )
    page.get_by_role("button", name="Submit the report").click()
    page.wait_for_url(re.compile(r"/reports/[0-9A-Z]{26}$"))
    # The extractor's findings are marked in the text; the worker's suggestions follow.
    expect(page.locator("#report-text mark.coordinates")).to_have_count(1)
    expect(page.locator("#report-text mark.date")).to_have_count(1)
    expect(page.locator(".suggestion").first).to_be_visible(timeout=30_000)
    expect(page.locator("#report-text mark.suggested").first).to_be_visible()
    shot(page, "report-suggestions")
    before = page.locator(".suggestion form").count()
    page.locator(".suggestion").first.get_by_role("button", name="Confirm").click()
    expect(page.locator(".suggestion form")).to_have_count(before - 2)
    expect(page.locator(".suggestion .tag").first).to_have_text("confirmed")
    assert console.errors == []


def test_vote_on_an_accession(open_page: OpenPage) -> None:
    page, console = open_page()
    sign_in(page, "sy.admin")
    page.get_by_role("link", name="Governance").click()
    motion = page.locator(".motion", has_text="Candidate K (synthetic)")
    expect(motion).to_be_visible()
    expect(page.locator("#current-chair")).to_contain_text("IQ")
    motion.get_by_role("button", name="Approve").click()
    expect(page.locator(".motion", has_text="Candidate K (synthetic)").locator(".ok")).to_contain_text(
        "approve"
    )
    shot(page, "governance")
    assert console.errors == []


def test_inbox_and_situation_report_pages(open_page: OpenPage) -> None:
    page, console = open_page()
    sign_in(page, "ru.web")
    page.get_by_role("link", name="Inbox").click()
    rows = page.locator(".inbox-row")
    expect(rows.first).to_be_visible()
    unacknowledged = page.locator(".inbox-row.unacknowledged").count()
    assert unacknowledged > 0
    page.locator(".inbox-row.unacknowledged").first.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".inbox-row.unacknowledged")).to_have_count(unacknowledged - 1)
    shot(page, "inbox")
    page.get_by_role("link", name="Situation report").click()
    page.locator('input[name="since"]').fill("2026-09-01")
    page.locator('input[name="until"]').fill("2026-12-31")
    page.get_by_role("button", name="Prepare").click()
    expect(page.locator("#sitrep-pdf")).to_have_attribute("href", re.compile(r"format=pdf"))
    expect(page.locator("#sitrep-view img.sitrep-map")).to_be_visible()
    shot(page, "sitrep")
    pdf = page.request.get(page.locator("#sitrep-pdf").get_attribute("href") or "")
    assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"
    assert console.errors == []
