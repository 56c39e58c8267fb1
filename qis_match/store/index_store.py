"""The versioned index directory.

Layout under ``<home>/index``::

    CURRENT                  name of the version being served (replaced atomically)
    v20261121T101500-1a2b3c/ one complete, immutable index version
        manifest.json        catalog version, encoder, counts, timings
        resources.parquet (every kind)    lines.parquet passages.parquet
        dense.faiss (FAISS ids = passage ids) bm25_*.{npz,npy,json}
        needs_classifier.joblib

A build writes a ``.building-*`` directory, renames it to its version name when complete and only
then points CURRENT at it, so a crash mid-build leaves the previous version serving.

Verify before switching (issue 24): ``commit`` records every file's SHA-256 and size in the
manifest (and the manifest's own digest), then loads the new version and answers one known query
on it (a catalog text through BM25, its vector through FAISS, the need classifier on it) before
CURRENT moves. A version that fails is renamed ``.rejected-<version>`` with ``verify-report.json``
beside its files and never published. :func:`IndexStore.verify` is the same check for any version
(``qis-match index verify``); the service uses it to skip a damaged version and serve the newest
good one (``service/reload.py``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from qis_match.errors import IndexNotBuiltError, QisError
from qis_match.retrieval.bm25 import BM25Index
from qis_match.retrieval.dense import DenseIndex

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
# 2: resources (institutions, experts, shared equipment) instead of institutions;
# 3: BM25 stored as counts with live documents (incremental updates), no vectors.npy
FORMAT_VERSION = 3
CLASSIFIER = "needs_classifier.joblib"
REQUIRED_FILES = (
    "resources.parquet",
    "lines.parquet",
    "passages.parquet",
    "dense.faiss",
    "bm25_tf.npz",
    "bm25_lengths.npy",
    "bm25_alive.npy",
    "bm25_vocab.json",
)
REPORT = "verify-report.json"
REJECTED = ".rejected-"
# What CURRENT may name: a version folder's name, never a path (no "/", no "..").
VERSION_NAME = re.compile(r"v[0-9A-Za-z_-]{1,80}")


class IndexDamagedError(IndexNotBuiltError):
    """A version whose files do not load (truncated, changed, missing): name the file."""


class IndexVerifyError(QisError):
    """A new version failed its verification and was not published."""

    def __init__(self, message: str, report: VerifyReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class VerifyReport:
    """The outcome of :meth:`IndexStore.verify` for one version folder."""

    version: str
    path: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    files_checked: int = 0
    index: IndexData | None = field(default=None, repr=False)  # loaded, when it is good

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def reason(self) -> str:
        return "; ".join(self.problems) or "ok"

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "ok": self.ok,
            "problems": self.problems,
            "notes": self.notes,
            "files_checked": self.files_checked,
            "seconds": self.seconds,
        }


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def file_checksums(directory: Path) -> dict[str, dict]:
    """SHA-256 and size of every file of a version folder but its manifest."""
    return {
        p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
        for p in sorted(Path(directory).iterdir())
        if p.is_file() and p.name not in (MANIFEST, REPORT)
    }


def manifest_digest(manifest: dict) -> str:
    """Digest of a manifest without its own digest field (so that a damaged one is noticed)."""
    body = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class IndexData:
    """Everything a Matcher needs, loaded from one index version."""

    path: Path
    manifest: dict
    resources: pd.DataFrame  # every kind's resources (catalog.kinds.RESOURCE_COLUMNS)
    lines: pd.DataFrame  # one row per capability line, with its resource_id and passage_id
    passages: pd.DataFrame  # passage_id, text
    dense: DenseIndex
    bm25: BM25Index

    @cached_property
    def retired(self) -> np.ndarray | None:
        """Per passage: no line uses it any more (after updates); None when all are live.
        Derived once: a loaded version is never changed (an update publishes a new one)."""
        alive = self.bm25.alive
        return None if alive.all() else ~alive

    @property
    def version(self) -> str:
        return self.manifest["index_version"]


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


class IndexStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextmanager
    def writer_lock(self, timeout: float = 600.0) -> Iterator[None]:
        """One writer at a time (across processes): an update reads CURRENT and publishes the
        next version, so two at once would lose one's change."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".writer.lock", "a+") as fh:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise TimeoutError(
                            f"another build or update holds {self.root / '.writer.lock'}"
                        ) from None
                    time.sleep(0.1)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def new_build_dir(self) -> Path:
        """A fresh scratch folder for one build, named after the building process so that the
        leftovers of a killed build can be told from a build still running."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.clean_leftovers()
        path = self.root / f".building-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        path.mkdir()
        return path

    def clean_leftovers(self) -> list[str]:
        """Remove the ``.building-*`` folders of builds whose process is gone (a killed build
        leaves up to tens of MB); called at every build and at service start."""
        removed = []
        for p in self.root.glob(".building-*"):
            pid = p.name.split("-")[1] if p.name.count("-") >= 2 else ""
            alive = pid.isdigit() and _process_alive(int(pid))
            stale = not pid.isdigit() and time.time() - p.stat().st_mtime > 86400
            if (pid.isdigit() and not alive) or stale:
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p.name)
        if removed:
            log.info("removed %d leftover build folder(s): %s", len(removed), ", ".join(removed))
        return removed

    def commit(self, build_dir: Path, manifest: dict, keep: int = 3) -> Path:
        """Publish a complete build: checksum it, verify it, name it, then switch CURRENT
        atomically. A build that fails verification is kept aside as ``.rejected-<version>``
        (with ``verify-report.json``) and :class:`IndexVerifyError` is raised; CURRENT stays."""
        version = self._new_version_name()
        manifest = {**manifest, "index_version": version, "format": FORMAT_VERSION}
        manifest["files"] = file_checksums(build_dir)
        manifest["manifest_sha256"] = manifest_digest(manifest)
        _write_json(build_dir / MANIFEST, manifest)
        report = self.verify(build_dir, version=version)
        report.index = None  # only the verdict is needed here, not a second copy in memory
        if not report.ok:
            aside = self._reject(build_dir, version, report)
            raise IndexVerifyError(
                f"new index version {version} failed verification and was not published "
                f"({report.reason}); kept at {aside}",
                report,
            )
        final = self.root / version
        os.replace(build_dir, final)
        self._switch(version)
        self._prune(keep)
        return final

    def _new_version_name(self) -> str:
        """``vYYYYmmddTHHMMSS-xxxxxx``, later in name order than every existing version (two
        updates within one second must still sort in publishing order: fallbacks and pruning
        go by name)."""
        stamp = time.strftime("v%Y%m%dT%H%M%S")
        name = f"{stamp}-{uuid.uuid4().hex[:6]}"
        newest = max(self.versions(), default="")
        if newest.startswith(stamp + "-") and name <= newest:
            try:
                after = int(newest.rsplit("-", 1)[1], 16) + 1
            except ValueError:
                after = 0
            name = f"{stamp}-{min(after, 0xFFFFFF):06x}"
        return name

    def _switch(self, version: str) -> None:
        tmp = self.root / f".CURRENT.{uuid.uuid4().hex[:6]}"
        tmp.write_text(version + "\n", encoding="utf-8")
        os.replace(tmp, self.root / "CURRENT")

    def _reject(self, build_dir: Path, version: str, report: VerifyReport) -> Path:
        aside = self.root / f"{REJECTED}{version}"
        os.replace(build_dir, aside)
        _write_json(aside / REPORT, report.to_dict())
        for old in sorted(self.root.glob(f"{REJECTED}*"))[:-3]:  # the last three are kept
            shutil.rmtree(old, ignore_errors=True)
        return aside

    def use(self, version: str) -> VerifyReport:
        """Point CURRENT at ``version`` (an operator pinning one by hand), after it verifies;
        a running service follows within ``index_check_seconds``."""
        if not VERSION_NAME.fullmatch(version) or not (self.root / version).is_dir():
            known = ", ".join(self.versions()) or "none"
            raise IndexNotBuiltError(
                f"no index version {version!r} in {self.root} (versions: {known})"
            )
        with self.writer_lock():  # not in the middle of a build's or an update's publish
            report = self.verify(self.root / version)
            report.index = None
            if not report.ok:
                raise IndexVerifyError(
                    f"index version {version} fails verification ({report.reason}): not switched",
                    report,
                )
            self._switch(version)
        return report

    def versions(self) -> list[str]:
        """Published version folders, oldest first (their names sort by time)."""
        if not self.root.is_dir():
            return []
        return sorted(
            p.name for p in self.root.iterdir() if p.is_dir() and VERSION_NAME.fullmatch(p.name)
        )

    def read_current(self) -> tuple[str | None, str | None]:
        """(version CURRENT names, None) or (None, what is wrong with CURRENT)."""
        f = self.root / "CURRENT"
        try:
            raw = f.read_bytes()
        except FileNotFoundError:
            return None, "CURRENT is missing"
        except OSError as exc:
            return None, f"CURRENT cannot be read ({exc.strerror or exc})"
        try:
            name = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            return None, "CURRENT is damaged (not text)"
        if not name:
            return None, "CURRENT is empty"
        if not VERSION_NAME.fullmatch(name):
            return None, f"CURRENT is damaged (names {name[:40]!r}, not a version)"
        return name, None

    def fallbacks(self, wanted: str | None) -> list[str]:
        """Versions to serve when ``wanted`` cannot be: older ones newest first, then newer ones
        (a pinned older version means the newer ones were not wanted)."""
        versions = self.versions()
        if wanted is None or wanted not in versions:  # unknown: the newest good one
            return [v for v in versions[::-1] if v != wanted]
        older = [v for v in versions if v < wanted][::-1]
        newer = [v for v in versions if v > wanted]
        return older + newer

    def verify(
        self,
        path: Path,
        version: str | None = None,
        ef_search: int = 128,
        nprobe: int = 0,
        classifier: bool = True,
    ) -> VerifyReport:
        """Check one version folder: its manifest (format, name, digest), every file against its
        recorded SHA-256 and size, every file opened, and one known query answered (a catalog
        text by BM25, its vector by FAISS, the need classifier on it). Never raises for a bad
        version: its problems are in the report (``report.index`` holds the loaded data when it
        is good)."""
        t0 = time.perf_counter()
        path = Path(path)
        report = VerifyReport(version or path.name, path)
        try:
            self._verify(path, report, ef_search, nprobe, classifier)
        except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises is a verdict
            report.problems.append(_describe(exc))
        if report.problems:
            report.index = None
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def _verify(
        self, path: Path, report: VerifyReport, ef_search: int, nprobe: int, classifier: bool
    ) -> None:
        problems = report.problems
        if not path.is_dir():
            problems.append(f"no version folder {path.name}")
            return
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
            if not isinstance(manifest, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            problems.append(f"{MANIFEST} is missing")
            return
        except (OSError, ValueError) as exc:
            problems.append(f"{MANIFEST} is damaged ({type(exc).__name__})")
            return
        if manifest.get("format") != FORMAT_VERSION:
            problems.append(f"{MANIFEST}: format {manifest.get('format')}, not {FORMAT_VERSION}")
            return
        if manifest.get("index_version") != report.version:
            problems.append(
                f"{MANIFEST} names version {manifest.get('index_version')!r}, not {report.version}"
            )
        if "manifest_sha256" in manifest:
            if manifest["manifest_sha256"] != manifest_digest(manifest):
                problems.append(f"{MANIFEST} checksum mismatch (changed or damaged)")
        else:
            report.notes.append("no checksums recorded (built before they were)")
        files = manifest.get("files") or {}
        for name in sorted(set(REQUIRED_FILES) | set(files)):
            f = path / name
            if not f.is_file():
                problems.append(f"{name} is missing")
                continue
            want = files.get(name)
            if want is None:
                continue
            report.files_checked += 1
            if f.stat().st_size != want.get("bytes"):
                problems.append(
                    f"{name}: {f.stat().st_size} bytes, the manifest says {want.get('bytes')}"
                )
            elif sha256_file(f) != want.get("sha256"):
                problems.append(f"{name}: checksum mismatch (changed or damaged)")
        if problems:
            return
        data = self.load(path, ef_search, nprobe)
        _smoke_test(data, problems, classifier)
        if not problems:
            report.index = data

    def _prune(self, keep: int) -> None:
        current = self.current_version()
        versions = sorted(p for p in self.root.glob("v*") if p.is_dir())
        for p in versions[:-keep]:
            if p.name != current:
                shutil.rmtree(p, ignore_errors=True)
        self.clean_leftovers()

    def current_version(self) -> str | None:
        """The version CURRENT names, or None when it is missing or damaged."""
        return self.read_current()[0]

    def current_path(self) -> Path:
        version, _ = self.read_current()
        if version is None or not (self.root / version / MANIFEST).exists():
            raise IndexNotBuiltError(f"no index at {self.root}: run `qis-match build` first")
        return self.root / version

    def load(self, path: Path | None = None, ef_search: int = 128, nprobe: int = 0) -> IndexData:
        """One index version (the current one by default); ``ef_search``/``nprobe`` tune an
        approximate dense index's search. A file that does not load raises
        :class:`IndexDamagedError` naming it (not whatever its reader raised)."""
        path = path or self.current_path()
        manifest = _part(path, MANIFEST, lambda f: json.loads(f.read_text(encoding="utf-8")))
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise IndexNotBuiltError(
                f"index {path.name} has format {found}, this version reads {FORMAT_VERSION}: "
                "run `qis-match build`"
            )
        return IndexData(
            path=path,
            manifest=manifest,
            resources=_part(path, "resources.parquet", pd.read_parquet),
            lines=_part(path, "lines.parquet", _read_lines),
            passages=_part(path, "passages.parquet", pd.read_parquet),
            dense=_part(path, "dense.faiss", lambda f: DenseIndex.load(f, ef_search, nprobe)),
            bm25=_part(path, "bm25_*", lambda _: BM25Index.load(path)),
        )


def _part(path: Path, name: str, read: Callable):
    """Read one file of a version; a file that does not load becomes IndexDamagedError naming
    it (a disk error, an OSError with an errno, is raised as it is)."""
    try:
        return read(path / name)
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyarrow, faiss, numpy, zip: each its own type
        disk = isinstance(exc, OSError) and exc.errno is not None
        if disk and not isinstance(exc, FileNotFoundError):
            raise
        raise IndexDamagedError(
            f"index {path.name}: {name} does not load ({type(exc).__name__}: {str(exc)[:160]}); "
            "`qis-match index verify` lists the good versions, `qis-match index use VERSION` pins one"
        ) from exc


def _describe(exc: BaseException) -> str:
    if isinstance(exc, QisError):
        text = str(exc).split("; `qis-match index verify`")[0]
        return text.split(": ", 1)[1] if text.startswith("index ") and ": " in text else text
    return f"{type(exc).__name__}: {str(exc)[:160]}"


def _smoke_test(data: IndexData, problems: list[str], classifier: bool) -> None:
    """One known query: the first live catalog text, by its own BM25 terms and its own vector;
    the need classifier on the same text. Also the counts every part must agree on."""
    n = len(data.passages)
    if n == 0:
        problems.append("no passages")
        return
    if len(data.dense) != n:
        problems.append(f"dense.faiss holds {len(data.dense)} vectors for {n} passages")
    if len(data.bm25) != n:
        problems.append(f"BM25 holds {len(data.bm25)} documents for {n} passages")
    pid = data.lines["passage_id"].to_numpy()
    if len(pid) and (pid.min() < 0 or pid.max() >= n):
        problems.append("lines.parquet points at passages that do not exist")
    if not set(data.lines["resource_id"]).issubset(set(data.resources["resource_id"])):
        problems.append("lines.parquet names resources that resources.parquet lacks")
    if problems:
        return
    alive = np.flatnonzero(data.bm25.alive)
    if not len(alive):
        return  # every passage retired (an update removed all): nothing to ask, nothing wrong
    probe = int(alive[0])
    text = str(data.passages["text"].iloc[probe])
    # BM25: the probe's own terms (from the stored counts) find it or a text at least as close.
    own = set(data.bm25.tf.getrow(probe).indices.tolist())
    terms = [t for t, i in data.bm25.vocab.items() if i in own]
    scores = data.bm25.scores(terms)
    top_scores, top_ids = data.bm25.search(terms, 10)
    if not (
        terms
        and np.isfinite(scores).all()
        and scores[probe] > 0
        and len(top_ids)
        and top_scores[0] >= scores[probe] - 1e-6
    ):
        problems.append("BM25 does not answer the known query (a catalog text's own terms)")
    # FAISS: the probe's own vector finds it (or a text at least as similar).
    vec = data.dense.reconstruct(np.array([probe]))
    sims, ids = data.dense.search(vec, 10)
    self_sim = float(vec[0] @ vec[0])
    found = ids[0][ids[0] >= 0]
    if not (
        np.isfinite(vec).all()
        and len(found)
        and found.max() < n
        and (probe in found or float(sims[0][0]) >= self_sim - 1e-3)
    ):
        problems.append("dense.faiss does not answer the known query (a catalog text's vector)")
    if classifier and (data.path / CLASSIFIER).exists():
        from qis_match.understanding.classifier import NeedClassifier

        clf = NeedClassifier.load(data.path)
        p = np.asarray(clf.predict_clause_proba([text]))
        if p.shape[0] != 1 or not np.isfinite(p).all() or p.min() < 0 or p.max() > 1:
            problems.append(f"{CLASSIFIER} does not answer the known query")


def _read_lines(path: Path) -> pd.DataFrame:
    """Capability lines with every text column as a pandas Categorical, read straight from
    Parquet's dictionary encoding: a million lines repeat a few thousand standards, services and
    objects, so this is a fraction of the memory of one Python string per cell."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    text_cols = [f.name for f in schema if str(f.type) in ("string", "large_string")]
    table = pq.read_table(path, read_dictionary=text_cols)
    return table.to_pandas(self_destruct=True, split_blocks=True)  # no second copy at load


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
