"""The data folder: one result folder per run, exactly as the command line writes it, and
beside them (under `.runs/`) each run's record, the workbook it was given and its log.

    DATA/<id>/              the result folder (or batch, frontier or forecast folder)
    DATA/.runs/<id>/        run.json (the record), the workbook (under the planner's name for
                            it, made safe: `workbook_name`), progress.log
    DATA/.incoming/         uploads being checked, under names the server makes

The folder is the record: a restarted server reads its runs back from it. Ids are made
here and checked against one pattern before any path is built from them; a file is served
only if it is in the listing of its run's folder, so no name from a request becomes a path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

RUN_ID = re.compile(r"\d{8}-\d{6}-[0-9a-f]{6}")
RECORD, LOG = "run.json", "progress.log"
WAITING = ("queued", "running")


def workbook_name(run_id: str, given: str = "") -> str:
    """The stored workbook's name: the planner's own file name, so that the report and
    the summary name the workbook as the planner knows it, made safe (letters, digits,
    spaces and `._()-` only, no leading dot or dash, at most 120 characters), or the
    run's id where nothing of the name is left. It is only ever a name inside the run's
    own folder, which the server makes."""
    stem = re.sub(r"[^\w .()-]", "_", Path(given.replace("\\", "/")).name)
    stem = stem[:-5] if stem.lower().endswith(".xlsx") else stem
    stem = stem.lstrip(".- ").rstrip(" .")[:120]
    return f"{stem or run_id}.xlsx"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Request:
    """What the planner asked for. `workbook_name` is the name of the file they gave: shown
    on the page, never used as a path."""

    kind: str = "run"  # run | batch | samples | frontier | forecast
    scenario: str = "base"
    scenarios: tuple[str, ...] = ()  # batch
    samples: int = 0  # samples
    points: int = 8  # frontier
    authority: str = ""  # forecast: name or code, as SEN2 knows it
    provision: str = "resourced,special"  # forecast
    horizon: int = 10  # forecast (a new workbook)
    workbook_name: str = ""
    has_workbook: bool = True


@dataclass(frozen=True)
class RunRecord:
    id: str
    request: Request
    status: str = "queued"  # queued | running | a status of SPEC §4 | finished | failed
    created_at: str = field(default_factory=now)
    started_at: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    message: str = ""  # why, in words, when the run did not end as planned
    pid: int | None = None  # the worker's process (and process group) while it runs
    cancelling: bool = False
    slots: int = 1  # cores the run holds while it runs

    @property
    def waiting(self) -> bool:
        return self.status in WAITING

    def public(self) -> dict[str, Any]:
        """The record as the API shows it (no process ids)."""
        shown = dataclasses.asdict(self)
        shown.pop("pid")
        shown["request"]["scenarios"] = list(self.request.scenarios)
        return shown

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        request = dict(data.pop("request"))
        request["scenarios"] = tuple(request.get("scenarios", ()))
        known = {f.name for f in dataclasses.fields(Request)}
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(request=Request(**{k: v for k, v in request.items() if k in known}),
                   **{k: v for k, v in data.items() if k in fields})


class RunStore:
    """Runs in the data folder: records, their files, their zips."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.records = self.root / ".runs"
        self.incoming = self.root / ".incoming"
        for folder in (self.records, self.incoming):
            folder.mkdir(parents=True, exist_ok=True)
        for stale in self.incoming.iterdir():  # uploads of a server that stopped mid-check
            stale.unlink(missing_ok=True)

    # -- ids and folders -------------------------------------------------------------
    def new_id(self) -> str:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
        while True:
            run_id = f"{stamp}-{secrets.token_hex(3)}"
            if not (self.records / run_id).exists():
                return run_id

    def known(self, run_id: str) -> bool:
        return RUN_ID.fullmatch(run_id) is not None and (self.records / run_id / RECORD).is_file()

    def record_folder(self, run_id: str) -> Path:
        return self.records / self._checked(run_id)

    def result_folder(self, run_id: str) -> Path:
        return self.root / self._checked(run_id)

    @staticmethod
    def _checked(run_id: str) -> str:
        if RUN_ID.fullmatch(run_id) is None:
            raise KeyError(run_id)
        return run_id

    def incoming_file(self) -> Path:
        """A fresh server-made path for an upload being checked."""
        handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="upload-", dir=self.incoming)
        os.close(handle)
        return Path(name)

    # -- records ---------------------------------------------------------------------
    def create(self, record: RunRecord, workbook: Path | None) -> RunRecord:
        folder = self.record_folder(record.id)
        folder.mkdir()
        if workbook is not None:
            os.replace(workbook, folder / workbook_name(record.id,
                                                         record.request.workbook_name))
        self.save(record)
        return record

    def save(self, record: RunRecord) -> None:
        """Write the record whole or not at all (a reader never sees half of one)."""
        target = self.record_folder(record.id) / RECORD
        partial = target.with_name(f".{RECORD}.partial")
        partial.write_text(json.dumps(dataclasses.asdict(record), indent=1), encoding="utf-8")
        os.replace(partial, target)

    def load(self, run_id: str) -> RunRecord:
        if not self.known(run_id):
            raise KeyError(run_id)
        text = (self.record_folder(run_id) / RECORD).read_text(encoding="utf-8")
        return RunRecord.from_json(json.loads(text))

    def all(self) -> list[RunRecord]:
        """Every run, newest first."""
        found = []
        for folder in self.records.iterdir():
            if self.known(folder.name):
                try:
                    found.append(self.load(folder.name))
                except (OSError, ValueError, TypeError):
                    continue  # a record damaged by hand: leave it out, keep the rest
        return sorted(found, key=lambda r: (r.created_at, r.id), reverse=True)

    def log_lines(self, run_id: str) -> list[str]:
        path = self.record_folder(run_id) / LOG
        if not path.is_file():
            return []
        return path.read_text(encoding="utf-8", errors="replace").splitlines()

    # -- the result folder's files ---------------------------------------------------
    def files(self, run_id: str) -> dict[str, Path]:
        """The result folder's files by their path inside it ('base/report.html'); no
        folders, no links, no hidden or half-written files."""
        folder = self.result_folder(run_id)
        if not folder.is_dir():
            return {}
        listing = {}
        for path in sorted(folder.rglob("*")):
            inside = path.relative_to(folder)
            if (path.is_symlink() or not path.is_file()
                    or any(part.startswith(".") for part in inside.parts)):
                continue
            listing[inside.as_posix()] = path
        return listing

    def summary(self, run_id: str) -> dict[str, Any] | None:
        """A run's summary.json (a batch's folder has none at its top)."""
        path = self.result_folder(run_id) / "summary.json"
        if path.is_symlink() or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def zip(self, run_id: str) -> Path:
        """The result folder as a zip, in a temporary file the caller removes."""
        handle, name = tempfile.mkstemp(suffix=".zip", prefix="zip-", dir=self.incoming)
        os.close(handle)
        with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as archive:
            for inside, path in self.files(run_id).items():
                archive.write(path, f"{run_id}/{inside}")
        return Path(name)
