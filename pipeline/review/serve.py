"""Start the review app: build the site once so previews can link to it, then serve with uvicorn."""

from __future__ import annotations

import sys
from pathlib import Path

from pipeline.config import Config
from pipeline.review.security import LOCAL_HOSTS


def serve(data: Path, templates: Path, cfg: Config, out: Path, host: str, port: int) -> int:
    """Run the app until Ctrl-C; ContractError (bad data) propagates to the CLI (exit 2)."""
    import uvicorn

    from pipeline.review import publish
    from pipeline.review.app import create_app
    from pipeline.site.build import load_inputs
    from pipeline.urls import default_reports_dir

    reports = default_reports_dir(out)
    local = host in LOCAL_HOSTS
    if not local:
        print(
            f"Warning: listening on {host}, not 127.0.0.1: anyone who can reach this address can change "
            f"{data}/pairs.csv. Requests must still name {host} or localhost in their Host header.",
            file=sys.stderr,
        )
    print(f"Building {out}/ once (incremental) so previews can link to the site…", flush=True)
    done = publish.rebuild(load_inputs(data, templates, cfg), out, reports)
    print(f"  done in {done.seconds:.1f} s.", flush=True)
    app = create_app(data, templates, cfg, out, reports, host="" if local else host)
    shown = "127.0.0.1" if local else host
    print(f"Review app: http://{shown}:{port}/  (Ctrl-C stops; keys: ? in the app)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return 0
