"""Post-process a saved .xlsx: cached <v> values for every formula cell (non-recalculating viewers show numbers), fixed times."""

from __future__ import annotations

import posixpath
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

__all__ = ["add_cached_values", "sheet_parts"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A formula cell as openpyxl writes it: <c r="B9" s="3"><f>...</f><v /></c> (or <v></v>, or no <v>).
# Fixed times make the file a function of the spec alone, so an unchanged rebuild writes the same bytes.
_EPOCH_ZIP = (1980, 1, 1, 0, 0, 0)
_STAMP = re.compile(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")
_FORMULA_CELL = re.compile(r'<c r="(?P<ref>[A-Z]+[0-9]+)"(?P<attrs>[^>]*)>(?P<f><f>.*?</f>)(?:<v\s*/>|<v></v>)?</c>', re.DOTALL)


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """{sheet name: zip member of its XML}, from xl/workbook.xml and its relationships."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_PKG}Relationship")}
    parts = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets[sheet.get(f"{_REL}id")]
        parts[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return parts


def _value_xml(value: float | str) -> tuple[str, str]:
    """(extra attribute, <v> element) for a cached number or text."""
    if isinstance(value, str):
        return ' t="str"', f"<v>{escape(value)}</v>"
    return "", f"<v>{value!r}</v>"


def _fill_sheet(xml: str, values: dict[str, float | int | str], sheet: str) -> str:
    missing = set(values)

    def replace(match: re.Match[str]) -> str:
        ref = match["ref"]
        if ref not in values:
            raise ValueError(f"sheet {sheet!r}: formula cell {ref} has no computed value")
        missing.discard(ref)
        attrs = re.sub(r'\s+t="[^"]*"', "", match["attrs"])
        extra, v = _value_xml(values[ref])
        return f'<c r="{ref}"{attrs}{extra}>{match["f"]}{v}</c>'

    filled = _FORMULA_CELL.sub(replace, xml)
    if missing:
        raise ValueError(f"sheet {sheet!r}: no formula found in {sorted(missing)}")
    return filled


def add_cached_values(path: Path, cached: dict[str, dict[str, float | int | str]]) -> None:
    """Rewrite the .xlsx at `path` in place with <v> values: cached[sheet name][coordinate]."""
    with zipfile.ZipFile(path) as source:
        parts = sheet_parts(source)
        unknown = set(cached) - set(parts)
        if unknown:
            raise ValueError(f"no sheet named {sorted(unknown)} in {path.name}; sheets: {sorted(parts)}")
        edits = {parts[name]: _fill_sheet(source.read(parts[name]).decode("utf-8"), values, name)
                 for name, values in cached.items()}
        if "docProps/core.xml" in source.namelist():
            edits["docProps/core.xml"] = _STAMP.sub(r"\g<1>1980-01-01T00:00:00Z\g<2>", source.read("docProps/core.xml").decode("utf-8"))
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.stem}-", suffix=".xlsx", delete=False) as handle:
            temporary = Path(handle.name)
        try:
            with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
                for item in source.infolist():
                    data = edits[item.filename].encode("utf-8") if item.filename in edits else source.read(item.filename)
                    fixed = zipfile.ZipInfo(item.filename, date_time=_EPOCH_ZIP)
                    fixed.compress_type, fixed.external_attr = item.compress_type, item.external_attr
                    target.writestr(fixed, data)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    shutil.move(temporary, path)
