"""The study's log on stderr: plain lines for people, or one JSON object per line
(--log-format json) for schedulers and log collectors. Only names, statuses, times and
masked counts are logged: never person-level data, never a count under the threshold."""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import Any, TextIO

FORMATS = ("text", "json")


@dataclass
class StudyLog:
    format: str = "text"
    stream: TextIO | None = None

    def emit(self, level: str, message: str, **fields: Any) -> None:
        stream = self.stream or sys.stderr
        if self.format == "json":
            record = {
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                "level": level,
                "message": message,
                **fields,  # a masked count is null, said, not left out
            }
            stream.write(json.dumps(record, default=str) + "\n")
        else:
            where = "/".join(str(fields[k]) for k in ("cohort", "variant") if fields.get(k))
            stream.write(f"pharmacoepi: {where + ': ' if where else ''}{message}\n")
        stream.flush()

    def info(self, message: str, **fields: Any) -> None:
        self.emit("info", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.emit("warning", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.emit("error", message, **fields)
