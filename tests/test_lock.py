"""The lock file and pyproject.toml agree, and what is installed is what the lock says.

``pylock.toml`` (PEP 751) pins every package, direct and transitive, with its files' hashes
(``make lock`` writes it with uv); ``requirements/build.lock`` pins the build tools and uv, which
pip installs first, to the same versions. ``pyproject.toml`` keeps compatible ranges for people who use qis-match as a
library. If somebody edits one without the other, these tests fail.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "pylock.toml"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)\s*(?:;\s*(.+?))?\s*\\?$")


def parse_lock(text: str) -> dict[str, tuple[Version, list[str]]]:
    """name → (version, hashes) for every pin in a pip-compile style lock."""
    pins: dict[str, tuple[Version, list[str]]] = {}
    current = None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#") or line.startswith("--"):
            continue
        m = PIN.match(line)
        if m:
            current = canonicalize_name(m.group(1))
            pins[current] = (Version(m.group(2)), [])
            continue
        h = re.search(r"--hash=(sha256:[0-9a-f]{64})", line)
        if h and current:
            pins[current][1].append(h.group(1))
    return pins


def parse_pylock(text: str) -> dict[str, tuple[Version, list[str]]]:
    """name → (version, hashes of its wheels and sdist) for every package of a pylock.toml."""
    pins: dict[str, tuple[Version, list[str]]] = {}
    for pkg in tomllib.loads(text)["packages"]:
        files = [*pkg.get("wheels", []), *([pkg["sdist"]] if "sdist" in pkg else [])]
        hashes = sorted({f"sha256:{f['hashes']['sha256']}" for f in files if "hashes" in f})
        pins[canonicalize_name(pkg["name"])] = (Version(pkg["version"]), hashes)
    return pins


def locked() -> dict[str, tuple[Version, list[str]]]:
    return parse_pylock(LOCK.read_text(encoding="utf-8"))


def project_requirements() -> list[Requirement]:
    """Every requirement of pyproject.toml (all extras) and of the build requirements file."""
    meta = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = [Requirement(r) for r in meta["dependencies"]]
    for group in meta["optional-dependencies"].values():
        reqs += [Requirement(r) for r in group]
    for line in (REPO / "requirements" / "build.in").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            reqs.append(Requirement(line))
    return reqs


def _applies(req: Requirement) -> bool:
    return req.marker is None or req.marker.evaluate({**default_environment(), "extra": ""})


def disagreements(reqs: list[Requirement], pins: dict) -> list[str]:
    out = []
    for req in reqs:
        if not _applies(req):
            continue
        name = canonicalize_name(req.name)
        if name not in pins:
            out.append(f"{req} is not in the lock")
        elif not req.specifier.contains(pins[name][0], prereleases=True):
            out.append(f"{req} but the lock pins {name}=={pins[name][0]}")
    return out


def test_every_requirement_of_pyproject_is_locked_within_its_range():
    pins = locked()
    assert len(pins) > 50
    assert disagreements(project_requirements(), pins) == []


def test_the_check_catches_a_disagreement():
    """The comparison above can fail: a range the pin misses and a missing package are found."""
    pins = {"numpy": (Version("1.26.4"), ["sha256:" + "0" * 64])}
    found = disagreements([Requirement("numpy>=2"), Requirement("pandas>=2")], pins)
    assert len(found) == 2


def test_every_pin_has_a_hash():
    pins = locked()
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


def test_the_build_tools_lock_is_a_subset_of_the_lock():
    """`make setup` installs requirements/build.lock first; it must pin what the lock pins."""
    build = parse_lock((REPO / "requirements" / "build.lock").read_text(encoding="utf-8"))
    pins = locked()
    assert {"setuptools", "wheel", "uv"} <= set(build)
    assert {name: v for name, (v, _) in build.items() if pins.get(name, (None,))[0] != v} == {}
    # and every file the lock names for them is one build.lock accepts
    assert all(set(pins[name][1]) <= set(hashes) for name, (_, hashes) in build.items())


def test_torch_is_the_cpu_build():
    version, _ = locked()["torch"]
    assert version.local == "cpu", "an unpinned torch pulls gigabytes of CUDA packages"


@pytest.mark.skipif(
    not (REPO / ".venv" / ".installed").exists(), reason="not installed by `make setup`"
)
def test_the_installed_environment_is_the_lock():
    """`make setup` installed exactly the locked versions (for the packages of the lock)."""
    pins = locked()
    wrong = []
    for name, (version, _) in pins.items():
        try:
            got = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            wrong.append(f"{name} missing")
            continue
        if got != version:
            wrong.append(f"{name} {got} != {version}")
    assert wrong == []


def test_the_pip_lock_and_the_pep751_lock_pin_the_same_files():
    """``requirements.lock`` (the resolution with every file's hash, for ``pip install
    --require-hashes``) and ``pylock.toml`` (written from it for this platform) agree."""
    pip_lock = parse_lock((REPO / "requirements.lock").read_text(encoding="utf-8"))
    pep751 = locked()
    assert {n: v for n, (v, _) in pip_lock.items()} == {n: v for n, (v, _) in pep751.items()}
    for name, (_, hashes) in pep751.items():
        assert set(hashes) <= set(pip_lock[name][1]), name
