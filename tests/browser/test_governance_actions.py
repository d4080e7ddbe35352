"""In Chromium, from the keyboard: the chair opens an accession vote on the page, another member's
administrator votes on it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import OpenPage, shot, sign_in


def test_the_chair_opens_an_accession_vote_and_another_member_votes(open_page: OpenPage) -> None:
    chair, chair_console = open_page()
    sign_in(chair, "iq.admin")  # the demo's chair is IQ
    chair.goto("/governance")
    chair.get_by_role("link", name="Open a vote").focus()
    chair.keyboard.press("Enter")
    chair.wait_for_url("**/governance/votes/new")
    form = chair.locator("#accession-form")
    form.get_by_label("Member code of the candidate").fill("KQ")
    form.get_by_label("English", exact=True).fill("Candidate Q (synthetic)")
    form.get_by_label("العربية", exact=True).fill("المرشح ق (تجريبي)")
    form.get_by_label("Contact").fill("liaison office (synthetic)")
    form.get_by_label("Reason of the application").fill("Synthetic application opened from the page.")
    shot(chair, "vote-new")
    form.get_by_role("button", name="Open the accession vote").focus()
    chair.keyboard.press("Enter")
    chair.wait_for_url("**/governance#motion-*")
    opened = chair.locator(".motion", has_text="Candidate Q (synthetic)")
    expect(opened).to_contain_text("open")
    expect(opened.get_by_role("button", name="Close the vote now")).to_be_visible()

    voter, voter_console = open_page()
    sign_in(voter, "ru.admin")
    voter.goto("/governance")
    motion = voter.locator(".motion", has_text="Candidate Q (synthetic)")
    expect(motion.get_by_role("button", name="Close the vote now")).to_have_count(0)
    motion.get_by_role("button", name="Approve").focus()
    voter.keyboard.press("Enter")
    expect(voter.locator(".motion", has_text="Candidate Q (synthetic)").locator(".ok")).to_contain_text(
        "approve"
    )
    shot(voter, "vote-cast")
    # The chair's page shows the vote in the tally.
    chair.reload()
    expect(chair.locator(".motion", has_text="Candidate Q (synthetic)")).to_contain_text("Approve: 1")
    assert chair_console.errors == [] and voter_console.errors == []
