"""`markaz member endpoint`, `markaz inbox` and `markaz delivery` through a CLI runner, on both engines."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from typer.testing import CliRunner

from markaz.centre import Centre
from markaz.cli import build_app
from markaz.dissemination.worker import run_until_idle
from markaz.storage.schema_dissemination import endpoints
from tests.conftest import Account, seat_chair
from tests.dissemination.conftest import submit
from tests.dissemination.receiver import receiving


def test_inbox_delivery_and_endpoint_commands(
    centre: Centre, accounts: dict[str, Account], database_url: str
) -> None:
    runner = CliRunner()
    app = build_app()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(app, [*args, "--database-url", database_url])
        return result.exit_code, result.stdout, result.stderr

    secret = "cli-endpoint-secret-0123456789"
    with receiving(secret) as ru_hook:
        code, out, err = run("member", "endpoint", "RU", "--url", ru_hook.url, "--secret", secret)
        assert code == 0, err
        assert "endpoint 1 of RU" in out
        code, _, err = run("member", "endpoint", "RU", "--url", "gopher://x", "--secret", secret)
        assert code == 1 and err.startswith("error: url:") and "Traceback" not in err
        code, _, err = run("member", "endpoint", "XX", "--url", ru_hook.url, "--secret", secret)
        assert code == 1 and "there is no member XX" in err
        with centre.db.read() as conn:
            assert conn.execute(select(func.count()).select_from(endpoints)).scalar_one() == 1
        rid = submit(centre, accounts["IQ"].principal, title="for the cli", precedence="IMMEDIATE")
        assert run_until_idle(centre, timeout=30)
        assert [r["report"]["id"] for r in ru_hook.received] == [rid]
    code, out, err = run("inbox", "list", "--member", "RU", "--json")
    assert code == 0, err
    (item,) = json.loads(out)["items"]
    assert item["report"]["title"] == "for the cli" and item["state"] == "received"
    code, out, _ = run("inbox", "list", "--member", "SY")
    assert code == 0 and "IMMEDIATE" in out and "for the cli" in out
    code, _, err = run("inbox", "ack", item["delivery_id"], "--member", "SY")
    assert code == 1 and err == f"error: there is no delivery {item['delivery_id']}\n"
    code, out, err = run("inbox", "ack", item["delivery_id"], "--member", "RU")
    assert code == 0 and "acknowledged" in out, err
    code, out, err = run("delivery", "board", "--member", "RU", "--json")
    assert code == 0, err
    assert [b["state"] for b in json.loads(out)["items"]] == ["acknowledged"]
    seat_chair(centre)
    code, out, err = run("delivery", "board", "--member", "IQ")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 3 and "for the cli" not in out
    code, _, err = run("delivery", "resend", item["delivery_id"], "--member", "SY")
    assert code == 1 and "there is no delivery" in err
    code, out, err = run("delivery", "resend", item["delivery_id"], "--member", "RU")
    assert code == 0 and "queued to be sent again" in out, err
