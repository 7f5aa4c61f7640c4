"""Reading the report back in tests: its sections, figures and tables as text."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


def sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([^"]+)">(.*?)</section>', page, flags=re.S))


def figures(page: str) -> dict[str, tuple[int, str]]:
    """data-figure -> (data-marks, the figure's HTML)."""
    found = re.findall(
        r'<(figure|div) class="chart[^"]*" data-figure="([^"]+)" data-marks="(\d+)">(.*?)</\1>',
        page,
        flags=re.S,
    )
    return {name: (int(marks), body) for _tag, name, marks, body in found}


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def tables(fragment: str) -> list[list[list[str]]]:
    """Every table of the fragment: rows of cell texts (header row first)."""
    out = []
    for body in re.findall(r"<table[^>]*>(.*?)</table>", fragment, flags=re.S):
        rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
        out.append(
            [[text(c) for c in re.findall(r"<t[dh]>(.*?)</t[dh]>", r, flags=re.S)] for r in rows]
        )
    return out


class Links(HTMLParser):
    """Every URL the page could fetch: src, href, xlink:href, url() and @import."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "srcset", "poster", "data", "action"):
                self.urls.append(value or "")
            if name == "style" and value:
                self.urls += re.findall(r"url\(([^)]*)\)", value)

    def handle_data(self, data):
        self.urls += re.findall(r"url\(([^)]*)\)", data)
        self.urls += [f"@import {m}" for m in re.findall(r"@import\s+([^;]+)", data)]


def fetchable(page: str) -> list[str]:
    parser = Links()
    parser.feed(page)
    return parser.urls
