"""Write the HTML report as PDF with WeasyPrint, fetching only the build's own files (no network, no other local file)."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from ..errors import RenderError
from ..spec.paths import inside
from .html import templates_dir

__all__ = ["REFUSED", "refusing_fetcher", "render_pdf"]

REFUSED = "refused by reportgen"  # in the message of every refused fetch, so WeasyPrint's log of it can be told apart
_LOG = logging.getLogger(__name__)


class _QuietRefusals(logging.Filter):
    """WeasyPrint logs a fetch that failed as an error and goes on without it; a refused one is expected: not shown."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            return REFUSED not in record.getMessage()
        except Exception:  # a record that cannot be formatted: let logging deal with it
            return True


def refusing_fetcher(roots: list[Path]):
    """A WeasyPrint URL fetcher serving file: URLs inside `roots` (symbolic links resolved, none leading out) and data:
    URLs (matplotlib's SVGs inline their images so); anything else, http(s) first, is refused. `fetcher.refused` lists
    what was refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    allowed = list(roots)

    class _Fetcher(URLFetcher):
        def __init__(self) -> None:
            super().__init__(timeout=1, allow_redirects=False, fail_on_errors=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)  # no I/O: urllib's DataHandler decodes it
            if scheme == "file" and parts.netloc in ("", "localhost"):
                path = Path(url2pathname(parts.path))  # url2pathname decodes %XX itself
                if any(inside(path, root) for root in allowed):
                    real = path.resolve()
                    if not real.is_file():  # ours and missing: logged by WeasyPrint as any missing figure
                        raise FileNotFoundError(f"no file {real}")
                    kind = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(url, real.read_bytes(), {"Content-Type": kind})
            self.refused.append(url[:200])
            raise ValueError(f"{REFUSED}: {url[:200]}")

    return _Fetcher()


def render_pdf(html: str, base: Path, target: Path) -> Path:
    """Lay out the HTML (figures resolved against base) into a PDF at target; only base's and the templates' files are read,
    and no file is attached (WeasyPrint would attach `<link rel=attachment>` and `<a rel=attachment>` targets)."""
    import weasyprint  # heavy: imported only when a PDF is written

    logger = logging.getLogger("weasyprint")
    logger.setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    quiet = _QuietRefusals()
    logger.addFilter(quiet)
    fetcher = refusing_fetcher([Path(base), templates_dir()])
    try:
        document = weasyprint.HTML(string=html, base_url=str(base), url_fetcher=fetcher).render()
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        document.write_pdf(target, attachments=None)
    except OSError as exc:
        raise RenderError(f"cannot write the PDF in {target.parent}: {exc.strerror or exc} (the previous report, if any, is kept)") from exc
    finally:
        logger.removeFilter(quiet)
    if fetcher.refused:
        _LOG.info("%d resource(s) outside the build refused, e.g. %s", len(fetcher.refused), fetcher.refused[0])
    return target
