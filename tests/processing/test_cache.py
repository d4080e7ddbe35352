"""The compiled-gazetteer cache: reused when fresh, rebuilt when the source fingerprint changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from markaz.processing import gazetteer as gz
from markaz.processing import gazetteer_cache as cache
from markaz.processing import get_extractor


def test_default_cache_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MARKAZ_CACHE_DIR", str(tmp_path / "a"))
    assert cache.default_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("MARKAZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.default_cache_dir() == tmp_path / "xdg" / "markaz"


def test_cache_is_keyed_and_rebuilt(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = get_extractor(cache_dir).gazetteer
    files = sorted(p.name for p in cache_dir.glob("gazetteer-*"))
    assert len(files) == 2 and all(real.fingerprint in name for name in files)

    # A fresh cache loads without building; a changed fingerprint (new data or code) builds
    # once, saves under the new key and removes the stale files.
    target = tmp_path / "cache"
    target.mkdir()
    for name in files:
        (target / name).symlink_to(cache_dir / name)
    builds: list[str] = []

    def fake_build(fingerprint: str = "") -> gz.Gazetteer:
        builds.append(fingerprint)
        return gz.Gazetteer(real.automaton, real.places, real.cand_offsets, real.cand_flat, fingerprint)

    monkeypatch.setattr(gz, "build_gazetteer", fake_build)
    monkeypatch.setattr(cache, "_build_in_child", lambda *_: False)  # the in-process path
    loaded = cache.load_gazetteer(target)
    assert builds == [] and loaded.fingerprint == real.fingerprint
    assert loaded.candidates(loaded.automaton.get("мосуле") >> 8)[0].geonameid == 99072

    monkeypatch.setattr(gz, "_source_fingerprint", lambda: "feedfacefeedface")
    cache.load_gazetteer(target)
    assert builds == ["feedfacefeedface"]
    names = sorted(p.name for p in target.glob("gazetteer-*"))
    assert names == ["gazetteer-feedfacefeedface.automaton", "gazetteer-feedfacefeedface.pickle"]
    cache.load_gazetteer(target)
    assert builds == ["feedfacefeedface"]  # now fresh: loaded, not rebuilt


def test_torn_cache_file_is_rebuilt(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = get_extractor(cache_dir).gazetteer
    target = tmp_path / "torn"
    target.mkdir()
    (target / f"gazetteer-{real.fingerprint}.pickle").write_bytes(b"not a pickle")
    (target / f"gazetteer-{real.fingerprint}.automaton").write_bytes(b"junk")
    monkeypatch.setattr(gz, "build_gazetteer", lambda fingerprint="": real)
    monkeypatch.setattr(cache, "_build_in_child", lambda *_: False)
    assert cache.load_gazetteer(target) is real


def test_a_missing_cache_is_built_by_a_child_process(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Building in-process left the server's allocator at twice what loading the files does."""
    real = get_extractor(cache_dir).gazetteer

    def not_here(fingerprint: str = "") -> gz.Gazetteer:
        raise AssertionError("built in the calling process")

    monkeypatch.setattr(gz, "build_gazetteer", not_here)
    fresh = tmp_path / "fresh"
    with caplog.at_level("INFO", logger="markaz.gazetteer"):
        loaded = cache.load_gazetteer(fresh)
    assert f"building the gazetteer cache in {fresh}" in caplog.text  # the operator sees why
    assert loaded.fingerprint == real.fingerprint
    assert len(loaded.places) == len(real.places) and loaded.places[0] == real.places[0]
    assert type(loaded.places[0]) is gz.Place  # pickled as the module's class, not __main__'s
    assert list(loaded.cand_flat) == list(real.cand_flat)
    assert loaded.candidates(loaded.automaton.get("мосуле") >> 8)[0].geonameid == 99072
    assert sorted(p.name for p in fresh.iterdir()) == [
        f"gazetteer-{real.fingerprint}.automaton",
        f"gazetteer-{real.fingerprint}.pickle",
        "gazetteer.lock",
    ]


def test_a_failing_child_leaves_the_build_to_the_process(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = get_extractor(cache_dir).gazetteer
    monkeypatch.setattr(cache, "_CHILD", "import sys; sys.exit('no room left on the device')")
    monkeypatch.setattr(gz, "build_gazetteer", lambda fingerprint="": real)
    fresh = tmp_path / "fresh"
    with caplog.at_level("WARNING", logger="markaz.gazetteer"):
        assert cache.load_gazetteer(fresh) is real
    assert "no room left on the device" in caplog.text and "building it here" in caplog.text
    assert (fresh / f"gazetteer-{real.fingerprint}.pickle").exists()  # saved by the process


def test_the_child_refuses_what_it_cannot_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cache._child_main([str(tmp_path)]) == 2
    assert cache._child_main([str(tmp_path), "0123456789abcdef"]) == 3
    assert "changed since the caller started" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []  # nothing built, nothing written


def test_an_unwritable_cache_is_reported_not_raised(cache_dir: Path, tmp_path: Path) -> None:
    real = get_extractor(cache_dir).gazetteer
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cache.save_gazetteer(real, blocker / "cache") is False


def test_processes_starting_together_wait_for_one_build(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Several `markaz serve --workers N` processes find the cache missing at once."""
    import threading
    import time

    real = get_extractor(cache_dir).gazetteer
    builds: list[Path] = []

    def slow_child(where: Path, fingerprint: str) -> bool:
        builds.append(where)
        time.sleep(0.3)
        for source in cache_dir.glob(f"gazetteer-{fingerprint}.*"):
            (where / source.name).symlink_to(source)
        return True

    monkeypatch.setattr(cache, "_build_in_child", slow_child)
    fresh = tmp_path / "fresh"
    got: list[gz.Gazetteer] = []
    # Each thread opens the lock file itself, as separate processes would.
    threads = [threading.Thread(target=lambda: got.append(cache.load_gazetteer(fresh))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert builds == [fresh]
    assert len(got) == 3 and all(len(g.places) == len(real.places) for g in got)


def test_threads_asking_while_it_loads_share_one_load(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's worker loads the extractor at start; a report entered meanwhile waits for
    that load instead of starting a second one (which doubled the time and the memory)."""
    import threading
    import time

    from markaz.processing import extractor as ex

    real = get_extractor(cache_dir).gazetteer
    loads: list[Path | None] = []

    def slow_load(where: Path | None = None) -> gz.Gazetteer:
        loads.append(where)
        time.sleep(0.3)
        return real

    monkeypatch.setattr(ex, "load_gazetteer", slow_load)
    fresh = tmp_path / "fresh"
    got: list[ex.Extractor] = []
    threads = [threading.Thread(target=lambda: got.append(get_extractor(fresh))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [fresh]
    assert len(got) == 4 and all(e is got[0] for e in got)
    assert get_extractor(fresh) is got[0]
