"""inflect, imported without typeguard's run-time checks: the one place that reaches into them.

inflect decorates its methods with typeguard's @typechecked, which re-parses and recompiles them when
inflect is imported: 2.2 s of a build that renders any page (0.1 s without; measured on this 2-core
machine under load). The checks only reject arguments of the wrong type (an empty string, a
non-string); every call the pipeline makes passes a non-empty string, so the answers are the same
without them. `tests/test_third_party.py` compares them with a checked engine's, and fails, naming
what to re-check, when inflect or typeguard changes version.
"""

from __future__ import annotations

import sys

VERIFIED = {"inflect": "7.6.0", "typeguard": "4.6.1"}  # the versions this was last checked against


def load_inflect():
    """inflect.engine(), its module imported with typeguard.typechecked replaced by a no-op."""
    if "inflect" not in sys.modules:
        import typeguard

        checked = typeguard.typechecked

        def unchecked(func=None, **_kwargs):
            return func if func is not None else (lambda f: f)

        typeguard.typechecked = unchecked
        try:
            import inflect
        finally:
            typeguard.typechecked = checked
    import inflect

    return inflect.engine()
