"""Section 9: the definition as run (resolved, overrides applied) and each codelist with
its codes."""

from __future__ import annotations

import yaml

from pharmacoepi.report.html import Cells, esc, section, table
from pharmacoepi.report.inputs import RunOutputs


def render(run: RunOutputs, cells: Cells) -> str:
    resolved = yaml.safe_dump(run.definition, sort_keys=False, allow_unicode=True, width=96)
    parts = [
        "<h3>Definition as run</h3><p>Every key, defaults and --set overrides applied "
        "(manifest.json: definition.resolved).</p>",
        f"<details><summary>The definition as YAML ({resolved.count(chr(10))} lines)</summary>"
        f'<pre class="yaml">{esc(resolved)}</pre></details>',
        "<h3>Codelists</h3>",
    ]
    for name, c in sorted(run.manifest.get("codelists", {}).items()):
        entries = c.get("entries")
        head = (
            f"{esc(name)}: {c.get('codes', 0)} code(s), {esc(c.get('domain', ''))}, "
            f"{esc(c.get('match', ''))} match, sha256 {esc(str(c.get('sha256', ''))[:12])}"
        )
        if entries:
            rows = (
                [f"<code>{esc(e['code'])}</code>", esc(e.get("label", "")), esc(e.get("group", ""))]
                for e in entries
            )
            body = table(("code", "label", "group"), rows, cls="codes")
        else:
            body = "<p>The manifest of this run does not list the codes.</p>"
        parts.append(
            f"<details><summary>{head}</summary>"
            f"<p><code>{esc(c.get('path', ''))}</code></p>{body}</details>"
        )
    return section("definition", "9. Definition and codelists", "".join(parts))
