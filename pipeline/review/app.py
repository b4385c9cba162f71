"""`python -m pipeline review`: the local review app (Starlette, served by uvicorn).

Routes: `/` the queue; `/pairs/<a>/<b>` a pair's preview and form (GET), its save (POST) and
`/pairs/<a>/<b>/preview` the page the form would make (POST, JSON); `/bulk` one status for
several pairs in one write; `/site/…` the built site; `/static/…` the app's own CSS and script.
Writes go through `store.Store` (pairs.csv) and `publish.rebuild` (the incremental build).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import python_multipart  # noqa: F401  Starlette parses forms with it: missing, the app fails here, not on a save
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from pipeline import urls
from pipeline.config import Config
from pipeline.problems import ContractError
from pipeline.review import publish, ranking
from pipeline.review.security import COOKIE, FIELD, Csrf, Guard
from pipeline.review.store import FIELDS, STATUSES, Conflict, Edit, Store, Unreadable, clean, row_hash
from pipeline.site.build import render_pair_page

HERE = Path(__file__).resolve().parents[2] / "templates" / "review"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PAGE_SIZE = 200


@dataclass
class App:
    """What the routes share: the data, the site, the last audit, the templates."""

    store: Store
    out: Path
    reports: Path
    published: publish.Published
    csrf: Csrf = field(default_factory=Csrf)
    env: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(HERE)), autoescape=True, undefined=jinja2.StrictUndefined
        )
    )

    def page(self, request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        """Render templates/review/<name> with the CSRF token, setting its cookie when new."""
        cookie = request.cookies.get(COOKIE) or ""
        fresh = not cookie
        cookie = cookie or self.csrf.new_cookie()
        html = self.env.get_template(name).render(csrf_token=self.csrf.token(cookie), statuses=STATUSES, **ctx)
        response = HTMLResponse(html, status_code=status)
        if fresh:
            response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict")
        return response

    def problem(self, request: Request, title: str, lines: list[str], status: int) -> HTMLResponse:
        return self.page(request, "problem.html", status, title=title, lines=lines)


def word_diff(old: str, new: str) -> Markup:
    """`new` against `old`, word by word: removed words in <del>, added ones in <ins> (all escaped)."""
    a, b = re.split(r"(\s+)", old), re.split(r"(\s+)", new)
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape("".join(a[i1:i2])))
            continue
        if i2 > i1:
            out.append(Markup("<del>%s</del>") % "".join(a[i1:i2]))
        if j2 > j1:
            out.append(Markup("<ins>%s</ins>") % "".join(b[j1:j2]))
    return Markup("").join(out)


def _pair_or_404(app: App, request: Request) -> tuple[str, str] | Response:
    a, b = request.path_params["a"], request.path_params["b"]
    slugs = set(app.store.inputs().topics["slug"])
    for s in (a, b):
        if not _SLUG.match(s) or s not in slugs:
            return app.problem(request, "No such topic", [f"'{s}' is not a topic slug in topics.csv."], 404)
    if a == b:
        return app.problem(request, "Not a pair", ["A pair needs two different topics."], 404)
    return a, b


def _with_preview_base(html: str, url: str) -> str:
    """The page with a <base> so its relative links and assets resolve against the built site."""
    return html.replace("<head>", f'<head>\n<base href="/site/{escape(url)}">', 1)


def _draft_text(app: App, a: str, b: str) -> str:
    """The generated link text the page shows when no editor wrote any (the editor's starting point)."""
    inputs = app.store.inputs()
    pairs = inputs.pairs
    others = pairs[~((pairs["a"] == a) & (pairs["b"] == b))] if len(pairs) else pairs
    import dataclasses

    _, _, ctx = render_pair_page(dataclasses.replace(inputs, pairs=others), a, b)
    return "\n\n".join(ctx["link"])


def _neighbours(app: App, request: Request, a: str, b: str) -> tuple[str, str]:
    """The previous and next pairs' URLs in the queue as filtered (for k and j). A pair just decided
    has sunk to the queue's end: its "next" is the first pair still waiting for a decision."""
    filters = ranking.Filters.from_query(request.query_params)
    inputs = app.store.inputs()
    frame = ranking.view(ranking.ranked(inputs, app.store.data), inputs, filters)
    keys = list(zip(frame["topic_a"], frame["topic_b"]))
    waiting = [k for k, s in zip(keys, frame["status"]) if s in ranking.WAITING]
    query = ("?" + filters.query()) if filters.query() else ""
    if (a, b) in waiting or (filters.status and (a, b) in keys):
        k = keys.index((a, b))
        prev, nxt = (keys[k - 1] if k > 0 else None), (keys[k + 1] if k + 1 < len(keys) else None)
    else:
        prev, nxt = None, next((k for k in waiting if k != (a, b)), None)
    return tuple(f"/pairs/{p[0]}/{p[1]}{query}" if p else "" for p in (prev, nxt))  # type: ignore[return-value]


def pair_context(app: App, request: Request, a: str, b: str, form: dict | None = None) -> dict[str, Any]:
    """Everything pair.html shows: the row as saved (or the form as sent back), draft, diffs, preview, findings."""
    inputs = app.store.inputs()
    row = app.store.row(a, b)
    saved = clean(row or {})
    values = {f: saved.get(f, "") for f in FIELDS}
    values["status"] = values["status"] or ""
    if not values["reviewed_by"]:
        values["reviewed_by"] = request.cookies.get("reviewer", "")
    if form is not None:
        values.update(clean(form))
    draft = _draft_text(app, a, b)
    html, status, page = render_pair_page(inputs, a, b)
    url = urls.pair_url(a, b)
    topics = inputs.topics.set_index("slug")
    prev, nxt = _neighbours(app, request, a, b)
    approved = saved.get("relationship", "") if saved.get("status") == "approved" else ""
    return {
        "a": a,
        "b": b,
        "name_a": topics.loc[a, "name"],
        "name_b": topics.loc[b, "name"],
        "url": url,
        "values": values,
        "saved_status": saved.get("status", "") or f"{inputs.cfg.default_status} (default)",
        "built_status": status,
        "listed": row is not None,
        "row_hash": form.get("row_hash", row_hash(row)) if form else row_hash(row),
        "draft": draft,
        "diff_draft": word_diff(draft, values["relationship"]) if values["relationship"] else "",
        "diff_approved": word_diff(approved, values["relationship"]) if approved else "",
        "preview": _with_preview_base(html, url),
        "findings": app.published.for_page(url),
        "indexable": app.published.indexable.get(url),
        "saved": request.query_params.get("saved", ""),
        "query": ranking.Filters.from_query(request.query_params).query(),
        "prev": prev,
        "next": nxt,
        "problems": [],
        "people": list(inputs.people.values()),
        "generated_title": page["title"],  # shown in the empty override fields
        "generated_description": page["description"],
    }


async def queue_page(request: Request) -> Response:
    app: App = request.app.state.review
    filters = ranking.Filters.from_query(request.query_params)

    def work():
        inputs = app.store.inputs()
        queue = ranking.ranked(inputs, app.store.data)
        frame = ranking.view(queue, inputs, filters)
        doc = app.store.doc()
        hashes = {}
        for _, r in frame.head(PAGE_SIZE).iterrows():
            hashes[(r["topic_a"], r["topic_b"])] = row_hash(app.store.row(r["topic_a"], r["topic_b"], doc))
        topics = inputs.topics
        return {
            "rows": frame.head(PAGE_SIZE).to_dict("records"),
            "shown": min(PAGE_SIZE, len(frame)),
            "matching": len(frame),
            "total": len(queue),
            "counts": ranking.counts(queue),
            "hashes": hashes,
            "categories": sorted(c for c in set(topics["category"].fillna("")) if c),
            "kinds": sorted(set(topics["kind"])),
            "filters": filters,
            "query": filters.query(),
            "reviewer": request.cookies.get("reviewer", ""),
            "indexable": app.published.indexable,
            "message": request.query_params.get("done", ""),
        }

    return app.page(request, "queue.html", **await run_in_threadpool(work))


async def pair_page(request: Request) -> Response:
    app: App = request.app.state.review
    found = _pair_or_404(app, request)
    if isinstance(found, Response):
        return found
    a, b = found
    if a > b:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/pairs/{b}/{a}{query}", status_code=301)
    ctx = await run_in_threadpool(pair_context, app, request, a, b)
    return app.page(request, "pair.html", **ctx)


def _queue(form: dict) -> str:
    """The queue's filters a form carries back (its hidden `queue` field), re-encoded."""
    from urllib.parse import parse_qsl

    return ranking.Filters.from_query(dict(parse_qsl(str(form.get("queue") or "")))).query()


async def _checked_form(app: App, request: Request) -> dict | Response:
    form = await request.form()
    if not app.csrf.valid(request.cookies.get(COOKIE), form.get(FIELD)):
        return app.problem(
            request,
            "Not saved: the form's security token is missing or out of date",
            ["Nothing was written. Reload the page and save again."],
            403,
        )
    return {k: form.getlist(k) if k == "pair" else form.get(k) for k in form.keys()}


async def _posted_edit(app: App, request: Request) -> tuple[Edit, dict] | Response:
    """The pair of the URL (canonical order) and the checked form posted to it, as an Edit."""
    found = _pair_or_404(app, request)
    if isinstance(found, Response):
        return found
    form = await _checked_form(app, request)
    if isinstance(form, Response):
        return form
    a, b = sorted(found)
    return Edit(a, b, {f: form[f] for f in FIELDS if f in form}, form.get("row_hash") or ""), form


async def save_pair(request: Request) -> Response:
    app: App = request.app.state.review
    posted = await _posted_edit(app, request)
    if isinstance(posted, Response):
        return posted
    edit, form = posted
    a, b = edit.a, edit.b
    try:
        inputs = await run_in_threadpool(app.store.save, [edit])
    except Conflict as exc:
        mine = clean(edit.fields)
        theirs = clean(exc.rows[0][2] or {})
        ctx = {"a": a, "b": b, "mine": mine, "theirs": theirs, "fields": FIELDS}
        ctx["row_hash"], ctx["query"] = row_hash(exc.rows[0][2]), _queue(form)
        return app.page(request, "conflict.html", 409, **ctx)
    except ContractError as exc:
        ctx = await run_in_threadpool(pair_context, app, request, a, b, form)
        ctx["problems"] = [str(p) for p in exc.problems]
        return app.page(request, "pair.html", 422, **ctx)
    except Unreadable as exc:
        return app.problem(request, "Not saved: data/pairs.csv cannot be read or written", [str(exc)], 503)
    app.published = await run_in_threadpool(publish.rebuild, inputs, app.out, app.reports)
    query = _queue(form)
    response = RedirectResponse(f"/pairs/{a}/{b}?saved=1" + (f"&{query}" if query else ""), status_code=303)
    if edit.fields.get("reviewed_by"):
        response.set_cookie("reviewer", str(edit.fields["reviewed_by"]).strip(), samesite="strict")
    return response


async def preview_pair(request: Request) -> Response:
    app: App = request.app.state.review
    posted = await _posted_edit(app, request)
    if isinstance(posted, Response):
        return posted
    edit, form = posted
    a, b = edit.a, edit.b

    def work() -> dict:
        inputs, problems = app.store.proposed(edit)
        text = clean(edit.fields).get("relationship", "")
        row = app.store.row(a, b)
        approved = clean(row or {}).get("relationship", "") if clean(row or {}).get("status") == "approved" else ""
        out: dict[str, Any] = {"problems": [str(p) for p in problems]}
        out["diff_draft"] = str(word_diff(_draft_text(app, a, b), text)) if text else ""
        out["diff_approved"] = str(word_diff(approved, text)) if approved and text else ""
        pairs = inputs.pairs
        if len(pairs) and ((pairs["a"] == a) & (pairs["b"] == b)).any():  # the build reads the row: show it
            html, status, _ = render_pair_page(inputs, a, b)
            out["html"], out["status"] = _with_preview_base(html, urls.pair_url(a, b)), status
        return out

    try:
        return JSONResponse(await run_in_threadpool(work))
    except Unreadable as exc:
        return JSONResponse({"problems": [str(exc)]}, status_code=503)


async def bulk(request: Request) -> Response:
    app: App = request.app.state.review
    form = await _checked_form(app, request)
    if isinstance(form, Response):
        return form
    status = str(form.get("status", ""))
    slugs = set(app.store.inputs().topics["slug"])
    edits = []
    for item in form.get("pair", []):
        a, b, shown = (str(item).split("/") + ["", ""])[:3]
        if a not in slugs or b not in slugs:
            return app.problem(request, "No such pair", [f"'{a}/{b}' is not a pair of topics."], 404)
        fields = {"status": status}
        if form.get("reviewed_by"):
            fields["reviewed_by"] = str(form["reviewed_by"])
        edits.append(Edit(*sorted((a, b)), fields, shown))
    query = _queue(form)
    if not edits:
        return RedirectResponse("/?" + query, status_code=303)
    try:
        inputs = await run_in_threadpool(app.store.save, edits)
    except Conflict as exc:
        lines = [f"{a} × {b} was changed in the file since the queue was shown." for a, b, _ in exc.rows]
        return app.problem(request, "Not saved: rows changed underneath", [*lines, "Nothing was written."], 409)
    except ContractError as exc:
        return app.problem(request, "Not saved: the data contract says no", [str(p) for p in exc.problems], 422)
    except Unreadable as exc:
        return app.problem(request, "Not saved: data/pairs.csv cannot be read or written", [str(exc)], 503)
    app.published = await run_in_threadpool(publish.rebuild, inputs, app.out, app.reports)
    done = f"{len(edits)} pair(s) set to {status}"
    from urllib.parse import quote

    response = RedirectResponse(f"/?done={quote(done)}" + (f"&{query}" if query else ""), status_code=303)
    if form.get("reviewed_by"):
        response.set_cookie("reviewer", str(form["reviewed_by"]).strip(), samesite="strict")
    return response


async def _contract_error(request: Request, exc: ContractError) -> Response:
    app: App = request.app.state.review
    lines = [str(p) for p in exc.problems]
    return app.problem(request, "The data does not follow the data contract", lines, 503)


async def _unreadable(request: Request, exc: Unreadable) -> Response:
    app: App = request.app.state.review
    return app.problem(request, "A data file cannot be read", [str(exc)], 503)


def _site_files(out: Path) -> StaticFiles:
    """The built site as editors browse it: the drafts' preview tree (its hubs list drafts too),
    then the published tree for the pages that are only there."""
    from pipeline.site.quick import default_preview_dir

    files = StaticFiles(directory=default_preview_dir(out), html=True, check_dir=False)
    files.all_directories.append(out)  # looked up in order (StaticFiles.lookup_path)
    return files


def create_app(data: Path, templates: Path, cfg: Config, out: Path, reports: Path, host: str = "") -> Any:
    """The ASGI app: Starlette behind the Host/Origin guard."""
    store = Store(data, templates, cfg)
    out.mkdir(parents=True, exist_ok=True)
    routes = [
        Route("/", queue_page),
        Route("/pairs/{a}/{b}", pair_page, methods=["GET"]),
        Route("/pairs/{a}/{b}", save_pair, methods=["POST"]),
        Route("/pairs/{a}/{b}/preview", preview_pair, methods=["POST"]),
        Route("/bulk", bulk, methods=["POST"]),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/site", _site_files(out), name="site"),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    handlers = {ContractError: _contract_error, Unreadable: _unreadable}
    starlette = Starlette(routes=routes, exception_handlers=handlers)
    starlette.state.review = App(store, out, reports, publish.from_reports(reports))
    return Guard(starlette, extra_host=host)
