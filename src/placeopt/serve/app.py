"""The page and its JSON API (SPEC §5), one Starlette application.

| request | answer |
|---|---|
| GET /api/health | {"status": "ok", "version"} |
| GET /api/template[?example=1] | the blank template (or the worked example) |
| POST /api/check (multipart: workbook) | what `placeopt validate` says, and the scenarios |
| POST /api/runs (multipart: workbook, kind, scenario...) | 202 {"id"}; 4xx {"errors"} |
| GET /api/runs | every run, newest first |
| GET /api/runs/{id} | status, progress lines, summary, files |
| GET /api/runs/{id}/files/{name} | one file of the run's folder |
| GET /api/runs/{id}/folder.zip | the folder as a zip |
| DELETE /api/runs/{id} | cancel (Ctrl-C) |
| GET /api/authorities | the local authorities SEN2 knows, for a forecast |
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import mimetypes
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request as HttpRequest
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..version import __version__
from .forms import run_request
from .guard import Guard
from .jobs import Runner, cores_wanted, plain_lines
from .runs import RunRecord, RunStore, workbook_name
from .uploads import Refused, check, check_for_forecast, error_body, receive, refuse

STATIC = Path(__file__).with_name("static")
PROGRESS_LINES = 2000  # the last lines of a run's log that the page is sent
VIEWS = ("report.html", "batch.html", "demand.forecast.html", "frontier.svg")
# A result file shown in the page is a document of its own, with no scripts and no way
# back to the API (a sandboxed, opaque origin).
FILE_POLICY = ("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "frame-ancestors 'self'")
INLINE = {".html", ".svg", ".png", ".json"}


@dataclass(frozen=True)
class Settings:
    data: Path
    slots: int
    token: str | None = None


def create_app(settings: Settings) -> Starlette:
    store = RunStore(settings.data)
    runner = Runner(store, settings.slots)
    checking = anyio.CapacityLimiter(1)  # one workbook read at a time: memory stays bounded
    cache: dict[str, Any] = {}

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await runner.start()
        yield
        await runner.stop()

    async def health(_request: HttpRequest) -> Response:
        return JSONResponse({"status": "ok", "version": __version__})

    async def index(_request: HttpRequest) -> Response:
        return FileResponse(STATIC / "index.html")

    async def template(request: HttpRequest) -> Response:
        example = request.query_params.get("example", "") in ("1", "yes", "true")
        name = "northbridge-example.xlsx" if example else "placeopt-template.xlsx"
        if name not in cache:
            cache[name] = await run_in_threadpool(_template_bytes, store, example)
        return Response(cache[name], media_type=XLSX, headers=_attachment(name))

    async def check_workbook(request: HttpRequest) -> Response:
        upload = await receive(request, store)
        if upload.path is None:
            raise refuse(400, "no workbook: send the file in the form field 'workbook'")
        try:
            checked = await anyio.to_thread.run_sync(check, upload.path, limiter=checking)
        finally:
            upload.path.unlink(missing_ok=True)
        return JSONResponse({**checked.body(), "workbook_name": upload.name})

    async def create_run(request: HttpRequest) -> Response:
        upload = await receive(request, store)
        try:
            wanted = run_request(upload.fields, upload.name, upload.path is not None)
            warnings: list[Any] = []
            if wanted.kind == "forecast":
                found = await anyio.to_thread.run_sync(_authority, wanted.authority)
                wanted = dataclasses.replace(wanted, authority=found)
            if upload.path is not None and wanted.kind == "forecast":
                await anyio.to_thread.run_sync(check_for_forecast, upload.path,
                                                 limiter=checking)
            elif upload.path is not None:
                checked = await anyio.to_thread.run_sync(check, upload.path, limiter=checking)
                wanted = run_request(upload.fields, upload.name, True, checked.scenarios)
                warnings = checked.body()["warnings"]
            record = RunRecord(store.new_id(), wanted, slots=cores_wanted(wanted, runner.slots))
            store.create(record, upload.path)
        finally:
            if upload.path is not None:
                upload.path.unlink(missing_ok=True)
        await runner.submit(record)
        return JSONResponse({"id": record.id, "status": "queued", "warnings": warnings},
                            status_code=202)

    async def list_runs(_request: HttpRequest) -> Response:
        return JSONResponse({"runs": [{**r.public(), "headline": headline(r)}
                                      for r in store.all()]})

    def headline(record: RunRecord) -> dict[str, Any] | None:
        """NPV and the like of a finished run (read once: a finished folder never changes)."""
        if record.waiting or record.request.kind != "run":
            return None
        if record.id not in cache:
            cache[record.id] = _headline(store.summary(record.id))
        return cache[record.id]

    async def show_run(request: HttpRequest) -> Response:
        record = _record(store, request)
        files = {} if record.waiting else store.files(record.id)  # a batch's may be many
        return JSONResponse({
            **record.public(),
            "progress": _as_the_planner_named_it(record, store)[-PROGRESS_LINES:],
            "summary": None if record.waiting else store.summary(record.id),
            "files": [{"name": n, "bytes": p.stat().st_size} for n, p in files.items()],
            "view": next((v for v in VIEWS if v in files), None),
            "queue_position": runner.queue.index(record.id) + 1
            if record.id in runner.queue else None,
        })

    async def run_file(request: HttpRequest) -> Response:
        record = _record(store, request)
        name = request.path_params["name"]
        path = store.files(record.id).get(name)
        if path is None:
            raise HTTPException(404, f"run {record.id} has no file {name!r}")
        suffix = path.suffix.lower()
        download = request.query_params.get("download") or suffix not in INLINE
        headers = {"content-security-policy": FILE_POLICY, "x-frame-options": "SAMEORIGIN"}
        if download:
            headers.update(_attachment(path.name))
        kind = XLSX if suffix == ".xlsx" else mimetypes.guess_type(path.name)[0]
        return FileResponse(path, media_type=kind or "application/octet-stream",
                            headers=headers)

    async def run_zip(request: HttpRequest) -> Response:
        record = _record(store, request)
        if not store.files(record.id):
            raise HTTPException(404, f"run {record.id} has no files yet")
        path = await run_in_threadpool(store.zip, record.id)
        return FileResponse(path, media_type="application/zip",
                            headers=_attachment(f"placeopt-{record.id}.zip"),
                            background=BackgroundTask(path.unlink, missing_ok=True))

    async def cancel(request: HttpRequest) -> Response:
        record = _record(store, request)
        if not record.waiting:
            raise refuse(409, f"run {record.id} has finished ({record.status}): nothing to "
                         "cancel")
        record = await runner.cancel(record.id)
        return JSONResponse(record.public(), status_code=202)

    async def authorities(_request: HttpRequest) -> Response:
        if "authorities" not in cache:
            cache["authorities"] = await run_in_threadpool(_authorities)
        return JSONResponse(cache["authorities"])

    routes = [
        Route("/", index),
        Route("/api/health", health),
        Route("/api/template", template),
        Route("/api/check", check_workbook, methods=["POST"]),
        Route("/api/runs", create_run, methods=["POST"]),
        Route("/api/runs", list_runs, methods=["GET"]),
        Route("/api/runs/{id}", show_run, methods=["GET"]),
        Route("/api/runs/{id}", cancel, methods=["DELETE"]),
        Route("/api/runs/{id}/files/{name:path}", run_file),
        Route("/api/runs/{id}/folder.zip", run_zip),
        Route("/api/authorities", authorities),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[Middleware(Guard, token=settings.token)],
                     exception_handlers={Refused: _refused, HTTPException: _http_error,
                                         Exception: _internal_error})


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"'}


def _record(store: RunStore, request: HttpRequest) -> RunRecord:
    """The run a request names; 404 for any id that is not one of ours."""
    run_id = request.path_params["id"]
    try:
        return store.load(run_id)
    except KeyError:
        raise HTTPException(404, f"no run {run_id!r}") from None


def _template_bytes(store: RunStore, example: bool) -> bytes:
    from ..workbook.template import write_template

    path = store.incoming_file()
    try:
        write_template(path, example=example)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


@functools.cache
def _sen2() -> Any:
    from ..forecast.sen2 import Sen2

    return Sen2.read(Sen2.PACKAGED)


def _authorities() -> dict[str, Any]:
    from ..forecast.sen2 import Sen2Missing

    try:
        sen2 = _sen2()
    except Sen2Missing as exc:
        return {"authorities": [], "message": f"No SEN2 data for forecasts: {exc}"}
    return {"authorities": [{"code": a.old_code, "ons_code": a.new_code, "name": a.name}
                            for a in sen2.authorities()], "message": ""}


def _authority(text: str) -> str:
    """The authority a forecast asks for, as SEN2 names it; 400 if SEN2 has none such."""
    from ..forecast.sen2 import Sen2Missing, UnknownAuthority

    try:
        return _sen2().find(text).name
    except (Sen2Missing, UnknownAuthority) as exc:
        raise refuse(400, str(exc), where="authority") from None


def _as_the_planner_named_it(record: RunRecord, store: RunStore) -> list[str]:
    """The run's log in words, its workbook called by the planner's name for it."""
    stored = f".runs/{record.id}/{workbook_name(record.id, record.request.workbook_name)}"
    shown = record.request.workbook_name or "the workbook"
    return [line.replace(stored, shown) for line in plain_lines(store.log_lines(record.id))]


def _headline(summary: dict[str, Any] | None) -> dict[str, Any] | None:
    if not summary or "savings" not in summary:
        return None
    return {"status": summary.get("status"), "npv": summary["savings"].get("npv"),
            "capital": summary["savings"].get("capital_cost_total"),
            "payback_year": summary["savings"].get("payback_year")}


async def _refused(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _http_error(request: HttpRequest, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code)


async def _internal_error(request: HttpRequest, exc: Exception) -> Response:
    """A bug of the server's own: the browser gets words (Starlette hands the exception on
    to the server's log, with its traceback)."""
    message = (f"Internal error in placeopt {__version__} ({type(exc).__name__}). This is a "
               "bug in placeopt, not a problem with your workbook. Please report it to the "
               "placeopt maintainers with what you did and the server's log (its terminal "
               "shows the detail).")
    return JSONResponse(error_body(message, where="server"), status_code=500)
