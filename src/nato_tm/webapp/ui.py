"""Server-rendered pages for translators."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from nato_tm.services.stats import stats
from nato_tm.webapp import get_db

bp = Blueprint("ui", __name__)


@bp.get("/")
def index() -> str:
    """The home page: the search box and what the store holds."""
    return render_template("index.html", stats=stats(get_db(current_app)))
