#!/usr/bin/env python3
"""dashboard_check.py DASHBOARD SCRAPE [RULES] - what Grafana's import
needs of deploy/grafana/mscep-dashboard.json (Grafana itself is not in
Debian), and that every series its PromQL names, and every label it
groups or selects by, is on SCRAPE: a real scrape of mscep's metrics
page, so a renamed series fails here rather than in an empty panel. The
alert rules (RULES) only name series: their syntax is promtool's.

Prints each expression on stdout (for a Prometheus to evaluate), one
problem a line on stderr, and exits 1 when there was one.
"""
import json
import re
import sys

SERIES = re.compile(r"\bmscep_[a-z_]+\b")
# {a="x", b=~"y"} right after a series name
SELECTOR = re.compile(r"\b(mscep_[a-z_]+)\{([^}]*)\}")
BY = re.compile(r"\bby\s*\(([^)]*)\)")


def scraped(path):
    """Sample names and, for each, the label names on its samples."""
    labels = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s", line)
            if m is None:
                continue
            names = labels.setdefault(m.group(1), set())
            for pair in re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(3) or ""):
                names.add(pair)
    return labels


def check_expr(where, expr, have, problems):
    used = SERIES.findall(expr)
    if not used:
        problems.append(f"{where}: names no mscep series: {expr}")
    for name in used:
        if name not in have:
            problems.append(f"{where}: {name} is not on the page")
    for name, sel in SELECTOR.findall(expr):
        for label in re.findall(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*!?[=~]", sel):
            if name in have and label not in have[name]:
                problems.append(f"{where}: {name} has no label {label}")
    # by (...) labels: on some series the expression names (le is the
    # histogram's own).
    for group in BY.findall(expr):
        for label in [l.strip() for l in group.split(",") if l.strip()]:
            if not any(label in have.get(n, set()) for n in used):
                problems.append(f"{where}: no series of it has label {label}")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    problems = []
    have = scraped(sys.argv[2])
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            d = json.load(f)
    except ValueError as e:
        sys.exit(f"{sys.argv[1]}: not JSON: {e}")
    if not isinstance(d.get("schemaVersion"), int) or d["schemaVersion"] < 30:
        problems.append("schemaVersion missing or older than 30")
    for key in ("title", "uid", "panels"):
        if key not in d:
            problems.append(f"no {key}")
    inputs = {i.get("name") for i in d.get("__inputs", [])}
    ids = set()
    for p in d.get("panels", []):
        where = f"panel {p.get('id')} ({p.get('title')})"
        if p.get("id") in ids or not isinstance(p.get("id"), int):
            problems.append(f"{where}: id missing or not unique")
        ids.add(p.get("id"))
        for key in ("type", "title", "gridPos", "targets", "datasource"):
            if key not in p:
                problems.append(f"{where}: no {key}")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in "xywh") or \
                g.get("x", 0) + g.get("w", 0) > 24:
            problems.append(f"{where}: gridPos not 4 integers within 24 columns")
        uid = p.get("datasource", {}).get("uid", "")
        if uid.startswith("${") and uid[2:-1] not in inputs:
            problems.append(f"{where}: datasource {uid} is not in __inputs")
        refs = set()
        for t in p.get("targets", []):
            if t.get("refId") in refs:
                problems.append(f"{where}: refId {t.get('refId')} twice")
            refs.add(t.get("refId"))
            check_expr(where, t.get("expr", ""), have, problems)
            print(t.get("expr", ""))
    if len(sys.argv) == 4:
        with open(sys.argv[3], encoding="utf-8") as f:
            for name in sorted(set(SERIES.findall(f.read()))):
                if name not in have:
                    problems.append(f"{sys.argv[3]}: {name} is not on the page")
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
