"""The "2D convolution" sheet: input volume, filters, answers as formulas, padded input and output maps as SUMPRODUCTs."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from ..exercises.convolution import solve_conv2d
from ..spec.convolution import Conv2DExercise
from .page import set_print_layout, set_widths
from .sheet1d import INSTRUCTION
from .styles import (
    ANSWER,
    CAPTION,
    EXPLAIN,
    HEADER,
    INPUT,
    KERNEL,
    LABEL,
    NOTE,
    OUTPUT,
    PAD,
    PADDED,
    PARAM,
    SECTION,
    TITLE,
    VOLUME,
    SheetWriter,
    Style,
    integral,
    ref,
)

__all__ = ["write_conv2d_sheet"]

LEGEND = "Yellow: input volume x · blue: filters w and biases b · grey: zero padding · green: results (formulas)."
FIRST = 2  # first column of the grids
EXPLAIN_COL = FIRST + 8  # explanations, right of the answer table (columns B..H) and a gap


def _grid(out: SheetWriter, row: int, col: int, grid: tuple[tuple[float, ...], ...], style: Style, role: str) -> str:
    """A grid of constants; returns the absolute range it fills."""
    for i, line in enumerate(grid):
        out.row(row + i, col, list(line), style, role=f"{role}.{i}.")
    return f"{ref(row, col, True)}:{ref(row + len(grid) - 1, col + len(grid[0]) - 1, True)}"


def _volume_text(height: str, width: str, depth: str) -> str:
    return f'={height}&" × "&{width}&" × "&{depth}'


def write_conv2d_sheet(ws: Worksheet, ex: Conv2DExercise) -> SheetWriter:
    """Fill `ws` with exercise 1b; returns the writer holding cached values and cell roles."""
    solved = solve_conv2d(ex)
    h, w, c = solved["input_shape"]
    kh, kw, _ = solved["filter_shape"]
    k = solved["maps"]
    values = solved["values"]
    s, p = values["stride"], values["padding"]
    numbers = [v for grid in ex.input for line in grid for v in line] + [v for f in ex.filters for g in f for line in g for v in line]
    out = SheetWriter(ws, "0" if integral(*numbers, *ex.biases) else "General")
    step = w + 2 * p + 1  # columns from one channel (or map) block to the next
    block = [FIRST + b * step for b in range(max(c, k))]
    bias_col = FIRST + c * step
    last = max(block[-1] + step - 2, bias_col, EXPLAIN_COL + 10)

    out.put(1, 1, "PW04 · Exercise 1b: 2D convolution by hand", TITLE)
    out.put(2, 1, INSTRUCTION, NOTE)
    out.put(3, 1, LEGEND, NOTE)
    names = ("H", "W", "C", "K", "Fh", "Fw")
    for col, (name, value) in enumerate(zip(names, (h, w, c, k, kh, kw)), start=FIRST):
        out.put(5, col, name, HEADER)
        out.put(6, col, value, PARAM, role=name)
    H, W, _, K, FH, FW = (ref(6, col, True) for col in range(FIRST, FIRST + 6))
    out.put(6, 1, "Parameters", LABEL)
    out.put(6, EXPLAIN_COL, "input H × W × C;  K filters of Fh × Fw × C, one bias each", EXPLAIN)

    out.span(8, 1, last, "Input volume x: one H × W grid per channel", SECTION)
    row = 9
    inputs = []
    for ch in range(c):
        out.put(row, block[ch] + p, f"x, channel {ch + 1}", CAPTION)
        _grid(out, row + 1, block[ch] + p, ex.input[ch], INPUT, role=f"x{ch}")
        inputs.append((row + 1, block[ch] + p))
    row += h + 2

    out.span(row, 1, last, "Filters w and biases b", SECTION)
    row += 1
    kernels, biases = [], []
    for f, weights in enumerate(ex.filters):
        out.put(row, 1, f"Filter {f + 1}", LABEL)
        kernels.append([_grid(out, row + 1, block[ch], weights[ch], KERNEL, role=f"w{f}.{ch}") for ch in range(c)])
        for ch in range(c):
            out.put(row, block[ch], f"w{f + 1}, channel {ch + 1}", CAPTION)
        out.put(row, bias_col, f"b{f + 1}", CAPTION)
        out.put(row + 1, bias_col, ex.biases[f], KERNEL, role=f"b{f}")
        biases.append(ref(row + 1, bias_col, True))
        row += kh + 2

    out.span(row, 1, last, "b) Answers", SECTION)
    row += 1
    out.put(row, 1, "How many activation maps?", LABEL)
    out.put(row, FIRST, f"={K}", ANSWER, role="maps", cached=k)
    out.put(row, EXPLAIN_COL, "one activation map per filter: K", EXPLAIN)
    row += 1
    ws.row_dimensions[row].height = 14
    for col, text in enumerate(("S", "P", "height", "width", "depth"), start=FIRST):
        out.put(row, col, text, HEADER)
    out.span(row, FIRST + 5, FIRST + 6, "volume", HEADER)
    for j, size in enumerate(solved["sizes"]):
        row += 1
        out.put(row, 1, f"Output volume, S = {size['stride']}, P = {size['padding']}", LABEL)
        _volume_row(out, row, f"size{j}.", size["stride"], size["padding"], size["volume"], (H, W, FH, FW, K), PARAM)
        out.put(row, EXPLAIN_COL, "floor((H − Fh + 2P) / S) + 1 rows, floor((W − Fw + 2P) / S) + 1 columns, depth K", EXPLAIN)
    keep = solved["preserve"]
    row += 1
    out.put(row, 1, "Size-preserving filter size F", LABEL)
    f_ref = ref(row, FIRST, True)
    out.put(row, FIRST, f"=IF(MOD({FH},2)=1,{FH},{FH}+1)", ANSWER, role="preserve.filter", cached=keep["filter"])
    out.put(row, EXPLAIN_COL, "an odd F (Fh, or Fh + 1 if even) so the filter has a centre", EXPLAIN)
    row += 1
    out.put(row, 1, "… with stride S and padding P", LABEL)
    _volume_row(out, row, "preserve.", 1, f"=({f_ref}-1)/2", keep["volume"], (H, W, f_ref, f_ref, K), ANSWER,
                cached_padding=keep["padding"])
    out.put(row, EXPLAIN_COL, "S = 1 and P = (F − 1)/2: H − F + 2P + 1 = H, W − F + 2P + 1 = W", EXPLAIN)
    row += 2

    out.span(row, 1, last, f"Output values for S = {s}, P = {p}:  y = sum over channels of SUMPRODUCT(window of padded x, w) + b",
             SECTION)
    row += 1
    padded_at = []
    for ch in range(c):
        out.put(row, block[ch], f"padded x, channel {ch + 1}", CAPTION)
        in_row, in_col = inputs[ch]
        for i, line in enumerate(values["padded"][ch]):
            for jj, value in enumerate(line):
                role = f"xp{ch}.{i}.{jj}"
                if p <= i < p + h and p <= jj < p + w:
                    out.put(row + 1 + i, block[ch] + jj, f"={ref(in_row + i - p, in_col + jj - p)}", PADDED, role=role, cached=value)
                else:
                    out.put(row + 1 + i, block[ch] + jj, 0, PAD, role=role)
        padded_at.append((row + 1, block[ch]))
    row += h + 2 * p + 2
    out.put(row + 1, 1, "Output maps y", LABEL)
    for f, grid in enumerate(values["outputs"]):
        out.put(row, block[f], f"map {f + 1}", CAPTION)
        for i, line in enumerate(grid):
            for jj, value in enumerate(line):
                terms = [f"SUMPRODUCT({ref(r0 + i * s, c0 + jj * s)}:{ref(r0 + i * s + kh - 1, c0 + jj * s + kw - 1)},{kernels[f][ch]})"
                         for ch, (r0, c0) in enumerate(padded_at)]
                out.put(row + 1 + i, block[f] + jj, "=" + "+".join(terms) + f"+{biases[f]}", OUTPUT, role=f"y{f}.{i}.{jj}",
                        cached=value)
    row += len(values["outputs"][0])

    set_widths(ws, {1: 26}, 5.5 if out.data_format == "0" else 8, last)
    set_print_layout(ws, row, last)
    return out


def _volume_row(out: SheetWriter, row: int, key: str, stride: int, padding: int | str, volume: list[int],
                refs: tuple[str, ...], style: Style, cached_padding: int | None = None) -> None:
    """S, P, height, width and depth formulas, and the volume as text "h × w × d"."""
    H, W, FH, FW, K = refs
    out.put(row, FIRST, stride, style, role=key + "S")
    out.put(row, FIRST + 1, padding, style, role=key + "P", cached=cached_padding)
    S, P = ref(row, FIRST), ref(row, FIRST + 1)
    height, width, depth = ref(row, FIRST + 2), ref(row, FIRST + 3), ref(row, FIRST + 4)
    out.put(row, FIRST + 2, f"=INT(({H}-{FH}+2*{P})/{S})+1", ANSWER, role=key + "height", cached=volume[0])
    out.put(row, FIRST + 3, f"=INT(({W}-{FW}+2*{P})/{S})+1", ANSWER, role=key + "width", cached=volume[1])
    out.put(row, FIRST + 4, f"={K}", ANSWER, role=key + "depth", cached=volume[2])
    out.span(row, FIRST + 5, FIRST + 6, _volume_text(height, width, depth), VOLUME, role=key + "volume",
             cached=f"{volume[0]} × {volume[1]} × {volume[2]}")
