"""Pages for signed-in editors: import with its report, export downloads, concept and term editing."""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from nato_tm.errors import FormatError, InvalidInput, Unsupported
from nato_tm.services import exporter
from nato_tm.services.documents import to_jsonable
from nato_tm.webapp import auth
from nato_tm.webapp.api_write import export_response, run_import

bp = Blueprint("ui_edit", __name__)
F = TypeVar("F", bound=Callable[..., Any])


def editor_page(view: F) -> F:
    """Send visitors who are not signed-in editors to the sign-in page (GET pages only)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        me = auth.current()
        if me is None or not me.can_write:
            return redirect(url_for("auth.signin", next=request.full_path))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _exports() -> list[dict[str, str]]:
    labels = {"tmx": "Mémoire (TMX 1.4b)", "tbx": "Terminologie (TBX)", "tbx2": "Terminologie (TBX v2)"}
    labels["tsv"] = "Terminologie (TSV)"
    return [{"fmt": f, "label": labels.get(f, f)} for f in exporter.EXPORTERS]


@bp.route("/exchange", methods=["GET", "POST"])
@editor_page
def exchange() -> ResponseReturnValue:
    """Upload a TMX, TBX or TSV file and see the import report; download the exports."""
    report: dict[str, Any] | None = None
    error = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            if upload is None or not upload.filename:
                raise InvalidInput("choose a file to import", param="file")
            report = to_jsonable(run_import(upload.stream, os.path.basename(upload.filename)))
        except (InvalidInput, FormatError, Unsupported) as exc:
            error, status = exc.message, 400 if not isinstance(exc, Unsupported) else 415
    return render_template("exchange.html", report=report, error=error, exports=_exports()), status


@bp.get("/exchange/export/<fmt>")
def download(fmt: str) -> Response:
    """An export download (the same bytes, ETag and Last-Modified as the API)."""
    return export_response(fmt)
