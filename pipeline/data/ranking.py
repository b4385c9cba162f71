"""The queue's top rows (data/queue.py top_rows) ranked in a forked process while a build goes on.

Kept apart from queue.py so that starting it imports nothing the build's own process does not
already have: the ranking's modules (scipy.sparse among them) load in the forked process.
"""

from __future__ import annotations

import pandas as pd

from pipeline.config import Config


def in_background(data_dir, topics: pd.DataFrame, editorial: pd.DataFrame, cfg: Config, links=None):
    """Rank the queue in a forked process while the caller works (the build audits meanwhile);
    returns a function that waits for it: (top rows, or None, and a problem in words, or "")."""
    import multiprocessing
    import os

    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)

    parent = os.getpid()

    def run() -> None:
        from pipeline.processes import die_with_parent

        die_with_parent(parent)  # a build killed with kill -9 leaves no ranking process behind
        os.nice(5)  # the build's own processes first; this one fills their gaps
        try:
            from pipeline.data.queue import top_rows  # imported here: scipy and the rest load in this process only

            writer.send((top_rows(data_dir, topics, editorial, cfg, links), ""))
        except Exception as exc:  # a bad demand file must not stop the build: it is reported instead
            problems = getattr(exc, "problems", None)
            writer.send((None, str(problems[0]) if problems else f"{type(exc).__name__}: {exc}"))

    process = ctx.Process(target=run, daemon=True)
    process.start()
    writer.close()
    held: list = []

    def wait() -> tuple[list[dict] | None, str]:
        if not held:
            try:
                held.append(reader.recv())
            except EOFError:
                held.append((None, "the ranking process stopped"))
            process.join()
            reader.close()
        return held[0]

    return wait
