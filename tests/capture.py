"""Keep what a pipeline step returns, for assertions on intermediate (person-level)
tables that are never outputs."""

from __future__ import annotations


def capture(monkeypatch, module, name: str) -> dict:
    """Wrap module.name so each call's result lands in the returned dict under 'result'."""
    kept: dict = {}
    original = getattr(module, name)

    def keep(*args, **kwargs):
        kept["result"] = original(*args, **kwargs)
        return kept["result"]

    monkeypatch.setattr(module, name, keep)
    return kept
