#!/usr/bin/env python3
"""Build the jieba user dictionary shipped as data/lexicon/jieba_dict.txt.

Why: jieba's stock dictionary splits quality-infrastructure vocabulary (压力表 → 压力/表,
甲醛释放量, 强制性产品认证, 软件著作权 …) and much of the product vocabulary enterprises use to
describe what they make. Split words make keyword matching against the service taxonomy
unreliable, so the tokenizer loads a user dictionary built here from two sources:

  (a) data/lexicon/qi_terms.tsv — the project's own QI terms (term<TAB>kind). Every term is
      written with a high frequency (QI_FREQ) so jieba keeps it whole.
  (b) THUOCL word lists (thunlp/THUOCL, MIT licence; see data/lexicon/THUOCL_LICENSE): product,
      material, food, medical, automotive and IT vocabulary. Entries are filtered and capped so
      the dictionary stays small (jieba start-up time grows with its size), and their document
      frequencies are log-scaled into THUOCL_FREQ_RANGE, below the QI terms.

THUOCL filtering, and why:
  * Words jieba's own dictionary already contains are skipped (they need no help, and
    re-listing them would silently change jieba's tuned frequencies). The stock dictionary is
    found next to the installed jieba package; --jieba-dict overrides, --no-jieba-dict disables.
  * Pure-CJK words need 3–8 characters. Two-character entries missing from jieba's dictionary
    are mostly fragments and personal names (年在, 果后, 张璐 …) that would mis-segment ordinary
    text. IT and car entries may mix ASCII letters/digits with at least two CJK characters
    (SQL语句, Java代码).
  * Words starting with a major place name are skipped (北京现代, 桂林米粉): place names are
    resolved elsewhere and must stay separate tokens. Place stems come from the administrative
    entries (…省/…市/…自治区) of THUOCL_diming.txt; no diming entry is ever added.
  * THUOCL_law and THUOCL_diming are not used as sources.

Output is deterministic: QI terms sorted by term, then THUOCL entries by descending frequency
and then by word. Each line is `word freq tag`, as jieba.load_userdict expects.

Usage: python scripts/build_lexicon.py [--thuocl DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_QI_TERMS = REPO_ROOT / "data" / "lexicon" / "qi_terms.tsv"
DEFAULT_THUOCL = REPO_ROOT.parent / "shared" / "data" / "thuocl"
DEFAULT_OUT = REPO_ROOT / "data" / "lexicon" / "jieba_dict.txt"

QI_FREQ = 20000
QI_TAG = "nz"
THUOCL_FREQ_RANGE = (50, 5000)
THUOCL_TAG = "n"

# THUOCL list -> (max entries kept, ASCII+CJK mixes allowed). Caps are applied after filtering,
# keeping the most frequent entries; together with the QI terms they keep the dictionary
# under ~25,000 lines.
THUOCL_SOURCES: dict[str, tuple[int, bool]] = {
    "THUOCL_IT.txt": (6000, True),
    "THUOCL_medical.txt": (6500, False),
    "THUOCL_food.txt": (5000, False),
    "THUOCL_car.txt": (1500, True),
    "THUOCL_caijing.txt": (1000, False),
}
PLACE_FILE = "THUOCL_diming.txt"
PLACE_SUFFIXES = ("特别行政区", "自治区", "省", "市")
PLACE_MIN_DF = 1000  # only well-known places; the long tail is mostly homographs
PLACE_STEM_STOPLIST = {"东方", "县级"}  # administrative entries whose stem is an ordinary word

CJK = "\u4e00-\u9fd5"  # the Han range jieba's tokenizer matches
PURE_CJK_RE = re.compile(rf"[{CJK}]{{3,8}}")
MIXED_RE = re.compile(rf"[{CJK}A-Za-z0-9]+")
MAX_ASCII_IN_MIXED = 8
DF_RE = re.compile(r"\d+")


def read_qi_terms(path: Path) -> list[str]:
    """Return the unique terms of qi_terms.tsv (header `term<TAB>kind`), spaces removed."""
    terms: list[str] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header[:2] != ["term", "kind"]:
            raise SystemExit(f"{path}: expected header 'term<TAB>kind', got {header}")
        for lineno, line in enumerate(f, start=2):
            fields = line.rstrip("\n").split("\t")
            term = "".join(fields[0].split())  # jieba words cannot contain whitespace
            if len(term) < 2:
                continue
            if term != fields[0].strip():
                print(
                    f"warning: {path.name}:{lineno}: removed spaces from {fields[0]!r}",
                    file=sys.stderr,
                )
            if term in seen:
                print(f"warning: {path.name}:{lineno}: duplicate term {term!r}", file=sys.stderr)
                continue
            seen.add(term)
            terms.append(term)
    return terms


def read_thuocl(path: Path) -> list[tuple[str, int]]:
    """Read a THUOCL list (`word<TAB>df`, fields may be padded); skip malformed lines."""
    entries: list[tuple[str, int]] = []
    with path.open(encoding="utf-8-sig") as f:
        for line in f:
            fields = line.split("\t")
            if len(fields) != 2:
                continue
            word, df = fields[0].strip(), DF_RE.match(fields[1].strip())
            if word and df:
                entries.append((word, int(df.group())))
    return entries


def place_stems(thuocl_dir: Path) -> set[str]:
    """Major place names (北京, 连云港 …) from the administrative entries of THUOCL_diming."""
    path = thuocl_dir / PLACE_FILE
    if not path.exists():
        print(f"warning: {path} not found; place-name filter disabled", file=sys.stderr)
        return set()
    stems: set[str] = set()
    for word, df in read_thuocl(path):
        if df < PLACE_MIN_DF:
            continue
        for suffix in PLACE_SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 2:
                stems.add(word[: -len(suffix)])
                break
    return stems - PLACE_STEM_STOPLIST


def starts_with_place(word: str, stems: set[str]) -> bool:
    return any(word[:n] in stems for n in range(2, len(word) + 1))


def jieba_base_words(path: Path | None) -> set[str]:
    """Words of jieba's stock dictionary (first field of each line of its dict.txt)."""
    if path is None:
        return set()
    with path.open(encoding="utf-8") as f:
        return {line.split(" ", 1)[0] for line in f if line.strip()}


def find_jieba_dict() -> Path | None:
    """Locate dict.txt of the installed jieba package without importing it."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.exists() else None


def acceptable(word: str, allow_mixed: bool) -> bool:
    """Length and character filter for THUOCL words (see module docstring)."""
    if PURE_CJK_RE.fullmatch(word):
        return True
    if not allow_mixed or not MIXED_RE.fullmatch(word):
        return False
    n_cjk = sum(1 for ch in word if "\u4e00" <= ch <= "\u9fd5")
    return 2 <= n_cjk <= 8 and len(word) - n_cjk <= MAX_ASCII_IN_MIXED and n_cjk < len(word)


def scale(df: int, lo: int, hi: int) -> int:
    """Map df geometrically from [lo, hi] onto THUOCL_FREQ_RANGE."""
    fmin, fmax = THUOCL_FREQ_RANGE
    if hi <= lo:
        return fmin
    t = (math.log(df) - math.log(lo)) / (math.log(hi) - math.log(lo))
    return round(fmin * (fmax / fmin) ** t)


def thuocl_entries(thuocl_dir: Path, skip: set[str]) -> dict[str, int]:
    """Filtered, capped and frequency-scaled THUOCL entries, merged over all source lists."""
    stems = place_stems(thuocl_dir)
    merged: dict[str, int] = {}
    for name, (cap, allow_mixed) in THUOCL_SOURCES.items():
        path = thuocl_dir / name
        if not path.exists():
            raise SystemExit(f"{path} not found (use --thuocl DIR)")
        kept = [
            (word, df)
            for word, df in read_thuocl(path)
            if df > 0
            and word not in skip
            and acceptable(word, allow_mixed)
            and not starts_with_place(word, stems)
        ]
        kept.sort(key=lambda e: (-e[1], e[0]))
        kept = kept[:cap]
        if not kept:
            continue
        lo, hi = kept[-1][1], kept[0][1]
        for word, df in kept:
            merged[word] = max(merged.get(word, 0), scale(df, lo, hi))
        print(f"{name}: kept {len(kept)}", file=sys.stderr)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--thuocl",
        type=Path,
        default=DEFAULT_THUOCL,
        help="directory with the THUOCL_*.txt lists (default: %(default)s)",
    )
    parser.add_argument(
        "--qi-terms",
        type=Path,
        default=DEFAULT_QI_TERMS,
        help="QI term list, term<TAB>kind (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="output jieba user dictionary (default: %(default)s)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--jieba-dict", type=Path, help="jieba's stock dict.txt (default: the installed jieba's)"
    )
    group.add_argument(
        "--no-jieba-dict",
        action="store_true",
        help="do not skip THUOCL words that jieba already knows",
    )
    args = parser.parse_args()

    base_path = None if args.no_jieba_dict else (args.jieba_dict or find_jieba_dict())
    if base_path is None and not args.no_jieba_dict:
        print(
            "warning: jieba's dict.txt not found; THUOCL words jieba knows are not skipped",
            file=sys.stderr,
        )
    qi_terms = read_qi_terms(args.qi_terms)
    thuocl = thuocl_entries(args.thuocl, jieba_base_words(base_path) | set(qi_terms))

    lines = [f"{term} {QI_FREQ} {QI_TAG}" for term in sorted(qi_terms)]
    lines += [
        f"{word} {freq} {THUOCL_TAG}"
        for word, freq in sorted(thuocl.items(), key=lambda e: (-e[1], e[0]))
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(
        f"wrote {args.out}: {len(qi_terms)} QI terms + {len(thuocl)} THUOCL entries "
        f"= {len(lines)} lines",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
