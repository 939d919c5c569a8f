"""Build the report from the store and write `report.html`, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from router.errors import InputError
from router.files import atomic_write_text
from router.report.data import ReportData, load_report_data
from router.report.html import render_html
from router.report.sections import Section, build_sections

REPORT_NAME = "report.html"


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    data: ReportData
    sections: list[Section]
    size_bytes: int

    def summary(self) -> dict[str, object]:
        """What `routerx report --json` prints."""
        return {
            "path": str(self.path),
            "bytes": self.size_bytes,
            "empty": self.data.empty,
            "models": self.data.models,
            "categories": sorted(self.data.placements),
            "benchmarks": self.data.benchmarks,
            "scores": len(self.data.scores),
            "outcomes": self.data.outcome_count,
            "generated_at": self.data.generated_at.isoformat(),
        }


def default_report_dir() -> Path:
    from router.settings import load_settings

    return load_settings().data_dir / "reports"


def write_report(out_dir: Path | None = None, database_url: str | None = None) -> WrittenReport:
    """Render the page and write it to `out_dir/report.html` (temp file, then rename)."""
    target_dir = Path(out_dir) if out_dir is not None else default_report_dir()
    if target_dir.exists() and not target_dir.is_dir():
        raise InputError(f"--out {target_dir} is a file; pass a directory for report.html")
    data = load_report_data(database_url)
    sections = build_sections(data)
    page = render_html(data, sections)
    path = target_dir / REPORT_NAME
    try:
        atomic_write_text(path, page)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}; pass --out with a "
                         "writable directory") from None
    return WrittenReport(path=path, data=data, sections=sections,
                         size_bytes=len(page.encode("utf-8")))
