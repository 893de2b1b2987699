"""Races and crashes: the register lock across processes, ``kill -9`` at the renames of a
register write and of a build, concurrent builds into one folder, no temporary leftovers,
ordinary file modes (issue 9, items 5 and 8).

Crashes are made with the test hook of :func:`geo.atomic.crash_point`: a subprocess run with
``WIJKATLAS_CRASH_AT=<point>`` kills itself with SIGKILL at that point, exactly as ``kill -9``
would; ``WIJKATLAS_STOP_AT`` stops it there (SIGSTOP) so another process can race it.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import hostile
import pyogrio
import pytest

from geo.atlas import BUILD_OUTPUTS
from geo.atomic import FolderLock, replace_dir, write_csv
from geo.errors import WijkatlasError
from geo.register import (
    draft_version,
    import_units,
    list_versions,
    load_version,
    publish_version,
)

POINTS = ["dir-ready", "dir-old", "dir-swapped"]


def hidden_leftovers(folder: Path) -> list[str]:
    """Hidden temporary files or folders (any writer's naming), lock files excepted."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob(".*")
                  if not p.name.endswith(".lock") and p.name not in (".published",))


@pytest.fixture
def repo(tmp_path):
    return hostile.small_repo(tmp_path / "atlas")


def edited_layer(root: Path, path: Path) -> gpd.GeoDataFrame:
    """The units of draft 2024 with one unit renamed: the import's new content."""
    units = load_version(root, "2024").units[["code", "name", "geometry"]].copy()
    units.loc[units["code"] == "W03", "name"] = "Venne-Oost (nieuw)"
    units.to_file(path, layer="units")
    return units


def wait_stopped(proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = Path(f"/proc/{proc.pid}/stat").read_text().split(") ")[1].split()[0]
        if state == "T":
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError("the process never reached its stop point")


# --- the register ------------------------------------------------------------------------------

@pytest.mark.parametrize("point", POINTS)
def test_kill_9_during_import_leaves_the_draft_as_before_or_after(repo, tmp_path, point,
                                                                  capsys):
    draft_version(repo, "2024", "2020")
    edit = tmp_path / "edit.gpkg"
    edited_layer(repo, edit)
    proc = hostile.cli("versions", "import", "2024", str(edit), root=repo,
                       env={"WIJKATLAS_CRASH_AT": point})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    # the next command (here: versions list) finds the draft, finishing the swap first
    assert [m["id"] for m in list_versions(repo)] == ["2016", "2020", "2024"]
    assert "notice:" in capsys.readouterr().err
    names = set(load_version(repo, "2024").units["name"])
    assert "Venne-Oost (nieuw)" in names  # the new folder was complete: rolled forward
    assert hidden_leftovers(repo / "boundaries") == []


def test_kill_9_while_writing_the_new_folder_keeps_the_old_draft(repo, tmp_path):
    """Killed before the new folder is complete: the draft stays as it was."""
    draft_version(repo, "2024", "2020")
    before = (repo / "boundaries" / "2024" / "version.toml").read_bytes()
    edit = tmp_path / "edit.gpkg"
    edited_layer(repo, edit)
    proc = hostile.cli("versions", "import", "2024", str(edit), root=repo,
                       env={"WIJKATLAS_CRASH_AT": "dir-write"})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert [m["id"] for m in list_versions(repo)] == ["2016", "2020", "2024"]
    assert (repo / "boundaries" / "2024" / "version.toml").read_bytes() == before
    assert hidden_leftovers(repo / "boundaries") == []


def test_a_publish_racing_an_import_waits_for_it(repo, tmp_path):
    """The race of the issue: a publish landing while an import of the same draft is between
    its writes. The import is stopped there (SIGSTOP, holding the lock); the publish must
    not report success while the import is unfinished."""
    draft_version(repo, "2024", "2020")
    edit = tmp_path / "edit.gpkg"
    edited_layer(repo, edit)
    env = {**os.environ, "WIJKATLAS_ROOT": str(repo), "WIJKATLAS_STOP_AT": "dir-old"}
    importer = subprocess.Popen([sys.executable, "-c", hostile.CLI, "versions", "import",
                                 "2024", str(edit)], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True,
                                cwd=Path(__file__).resolve().parents[1])
    try:
        wait_stopped(importer)
        os.environ["WIJKATLAS_LOCK_TIMEOUT"] = "1"
        with pytest.raises(WijkatlasError, match="another wijkatlas command"):
            publish_version(repo, "2024")
    finally:
        os.environ.pop("WIJKATLAS_LOCK_TIMEOUT", None)
        importer.send_signal(signal.SIGCONT)
        out, err = importer.communicate(timeout=120)
    assert importer.returncode == 0, err
    version = load_version(repo, "2024")
    assert version.meta["status"] == "draft"
    assert "Venne-Oost (nieuw)" in set(version.units["name"])
    # now publish; a later import is refused and the version stays published
    publish_version(repo, "2024")
    with pytest.raises(WijkatlasError, match="published"):
        import_units(repo, "2024", gpd.read_file(edit), str(edit))
    assert load_version(repo, "2024").meta["status"] == "published"


def test_the_lock_serialises_two_processes(tmp_path):
    """A second process waits for the lock and gets it when the first ends (even by
    kill -9: the kernel releases an flock with the process)."""
    folder = tmp_path / "reg"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from geo.atomic import FolderLock\n"
        f"lock = FolderLock({str(folder)!r}); lock.__enter__()\n"
        "print('held', flush=True); time.sleep(120)")], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parents[1])
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WijkatlasError, match=f"pid {holder.pid}"):
            FolderLock(folder, timeout=0.5).__enter__()
        holder.kill()
        holder.wait()
        with FolderLock(folder, timeout=5):  # released by the kernel
            pass
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


# --- the build ---------------------------------------------------------------------------------

def build_names(out: Path) -> dict[str, set]:
    """The wijk names each product of a build carries (to tell which build wrote it)."""
    gpkg = pyogrio.read_dataframe(out / "atlas.gpkg", layer="wijkindeling_2020")
    csv = hostile.read_csv_text(out / "exports" / "trend_2020.csv")
    html = hostile.html_data(out / "maps" / "index.html")
    return {"gpkg": set(gpkg["name"]), "csv": set(csv["unit_name"]),
            "html": set(html["units"]["name"])}


def consistent(out: Path) -> str:
    """Which build ('A' or 'B') the whole folder is from; fails on a mixture."""
    found = build_names(out)
    kinds = {k: ("B" if "Build B" in v else "A") for k, v in found.items()}
    assert len(set(kinds.values())) == 1, kinds
    return next(iter(kinds.values()))


@pytest.fixture(scope="module")
def template_a(tmp_path_factory):
    """One complete build 'A' of the small repository, copied by each test that needs it."""
    from geo.atlas import build_atlas

    tmp = tmp_path_factory.mktemp("build-a")
    repo = hostile.small_repo(tmp / "atlas")
    build_atlas(repo, tmp / "build", maps=True)
    assert consistent(tmp / "build") == "A"
    return tmp / "build"


@pytest.fixture
def build_a(repo, tmp_path, template_a):
    """Build 'A' in place (plus a folder of the user's that must survive), then the
    repository changed so that the next build is 'B'."""
    out = tmp_path / "build"
    shutil.copytree(template_a, out)
    (out / "plugin").mkdir()
    (out / "plugin" / "keep.zip").write_bytes(b"zip")
    hostile.rename(repo, "2020", {"W01": "Build B"})
    return out


@pytest.mark.parametrize(("point", "expected"), [
    ("file-replace", "A"), ("dir-ready", "B"), ("dir-old", "B")])
def test_kill_9_during_a_build_leaves_a_whole_old_or_new_build(repo, tmp_path, build_a,
                                                                point, expected):
    from geo.atomic import recover

    out = build_a
    proc = hostile.cli("build", "--out", str(out), "--no-publications", root=repo,
                       env={"WIJKATLAS_CRASH_AT": point})
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    if point == "dir-old":  # between the two renames build/ is briefly absent
        assert not out.exists()
    else:
        assert consistent(out) in ("A", "B")
    # what the next build (or any command on this folder) does first, under the lock
    with FolderLock(tmp_path, name=".build.lock"):
        recover(tmp_path, keep=lambda name: name not in BUILD_OUTPUTS)
    assert consistent(out) == expected
    assert (out / "plugin" / "keep.zip").read_bytes() == b"zip"
    assert hidden_leftovers(tmp_path) == []


def test_the_next_build_recovers_from_a_killed_one(repo, tmp_path, build_a):
    from geo.atlas import build_atlas

    out = build_a
    proc = hostile.cli("build", "--out", str(out), "--no-publications", root=repo,
                       env={"WIJKATLAS_CRASH_AT": "dir-old"})
    assert proc.returncode == -signal.SIGKILL
    hostile.rename(repo, "2020", {"W01": "Build C"})
    build_atlas(repo, out, maps=True)
    assert "Build C" in build_names(out)["gpkg"]
    assert (out / "plugin" / "keep.zip").read_bytes() == b"zip"
    assert hidden_leftovers(tmp_path) == []


def test_concurrent_builds_into_one_folder_do_not_mix(repo, tmp_path):
    other = hostile.small_repo(tmp_path / "other")
    hostile.rename(other, "2020", {"W01": "Build B"})
    out = tmp_path / "build"
    procs = [subprocess.Popen([sys.executable, "-c", hostile.CLI, "--root", str(r), "build",
                               "--out", str(out), "--no-publications"],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1]) for r in (repo, other)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    assert consistent(out) in ("A", "B")
    assert hidden_leftovers(tmp_path) == []


def test_a_failing_build_writes_nothing_and_leaves_no_temporary_files(repo, tmp_path):
    from geo.atlas import build_atlas
    from geo.errors import WijkatlasError

    out = tmp_path / "build"
    build_atlas(repo, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (repo / "maps" / "broken.toml").write_text("kind = 'nonsense'\n", encoding="utf-8")
    with pytest.raises(WijkatlasError):
        build_atlas(repo, out, maps=True)
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert hidden_leftovers(tmp_path) == []


def test_replace_dir_rolls_back_on_error(tmp_path):
    target = tmp_path / "t"
    target.mkdir()
    (target / "a.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), replace_dir(target) as new:
        (new / "a.txt").write_text("new", encoding="utf-8")
        raise RuntimeError("boom")
    assert (target / "a.txt").read_text(encoding="utf-8") == "old"
    assert hidden_leftovers(tmp_path) == []


# --- permissions -------------------------------------------------------------------------------

def test_outputs_get_ordinary_modes_under_the_umask(repo, tmp_path):
    """Files 0644 and folders 0755 under the usual umask 022, and the umask respected
    (027 gives 0640/0750): never the private 0600/0700 of mkstemp/mkdtemp."""
    from geo.atlas import build_atlas

    old = os.umask(0o027)
    try:
        out = tmp_path / "build"
        build_atlas(repo, out, maps=True)
        os.umask(0o022)
        draft_version(repo, "2024", "2020")
        write_csv(hostile.read_csv_text(out / "exports" / "results.csv").head(), tmp_path /
                  "r.csv")
    finally:
        os.umask(old)
    draft = repo / "boundaries" / "2024"
    for paths, files, dirs in (([out, *out.rglob("*")], 0o640, 0o750),
                               ([draft, *draft.iterdir(), tmp_path / "r.csv"], 0o644, 0o755)):
        for path in paths:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == (dirs if path.is_dir() else files), (path, oct(mode))


def test_published_files_are_readable_by_everyone_whatever_the_umask(tmp_path):
    """Pages, PDFs and exports are for everyone (PUBLIC_MODE, set before the rename); other
    outputs keep the umask."""
    from geo.atomic import PUBLIC_MODE, write_bytes, write_text

    old = os.umask(0o077)
    try:
        public = write_bytes(tmp_path / "book.pdf", b"%PDF", public=True)
        page = write_text(tmp_path / "W01.html", "<p>", public=True)
        private = write_text(tmp_path / "notes.csv", "a")
    finally:
        os.umask(old)
    assert PUBLIC_MODE == 0o644
    assert {stat.S_IMODE(p.stat().st_mode) for p in (public, page)} == {0o644}
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
