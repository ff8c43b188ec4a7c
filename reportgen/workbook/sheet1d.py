"""The "1D convolution" sheet: input, kernel, and per (S, P) case the padded input, output and size, all as formulas."""

from __future__ import annotations

from openpyxl.styles import Alignment
from openpyxl.worksheet.worksheet import Worksheet

from ..exercises.convolution import solve_conv1d
from ..spec.convolution import Conv1DExercise
from .page import set_print_layout, set_widths
from .styles import (
    ANSWER,
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
    TEXT_ANSWER,
    TITLE,
    SheetWriter,
    Style,
    integral,
    ref,
)

__all__ = ["write_conv1d_sheet"]

INSTRUCTION = ("Values come from the experiment file's `convolution:` block; change them there and rebuild, or edit the "
               "yellow input cells: every output is a formula.")
LEGEND = "Yellow: input x · blue: kernel w and bias b · grey: zero padding · green: results (formulas)."
X_ROW, W_ROW, B_ROW, N_ROW, F_ROW = 5, 6, 7, 8, 9
FIRST = 2  # column of x[0], w[0] and of the first padded value
HOW_HEADER = Style(HEADER.font, alignment=Alignment(horizontal="left", vertical="bottom", indent=1))


def write_conv1d_sheet(ws: Worksheet, ex: Conv1DExercise) -> SheetWriter:
    """Fill `ws` with exercise 1a; returns the writer holding cached values and cell roles."""
    solved = solve_conv1d(ex)
    n, f = solved["n"], solved["f"]
    fmt = "0" if integral(*ex.input, *ex.kernel, ex.bias) else "General"
    out = SheetWriter(ws, fmt)
    data_cols = max(n + 2 * max(p for _, p in ex.cases), f)
    right = FIRST + data_cols + 1  # first column of the S, P, size, answer block
    last = right + 4

    out.put(1, 1, "PW04 · Exercise 1a: 1D convolution by hand", TITLE)
    out.put(2, 1, INSTRUCTION, NOTE)
    out.put(3, 1, LEGEND, NOTE)
    out.put(X_ROW, 1, "Input x", LABEL)
    out.row(X_ROW, FIRST, list(ex.input), INPUT, role="x")
    out.put(W_ROW, 1, "Kernel w", LABEL)
    out.row(W_ROW, FIRST, list(ex.kernel), KERNEL, role="w")
    out.put(B_ROW, 1, "Bias b", LABEL)
    out.put(B_ROW, FIRST, ex.bias, KERNEL, role="b")
    bias = ref(B_ROW, FIRST, absolute=True)
    out.put(N_ROW, 1, "N (input length)", LABEL)
    n_ref = ref(N_ROW, FIRST, absolute=True)
    out.put(N_ROW, FIRST, n, PARAM, role="N")
    out.put(F_ROW, 1, "F (kernel size)", LABEL)
    f_ref = ref(F_ROW, FIRST, absolute=True)
    out.put(F_ROW, FIRST, f, PARAM, role="F")

    out.span(11, 1, last, "a) Output for each stride S and padding P:  y[i] = SUMPRODUCT(window i of the padded x, w) + b", SECTION)
    ws.row_dimensions[12].height = 26
    for col, text in zip(range(right, last), ("S", "P", "output size", "as long as x?")):
        out.put(12, col, text, HEADER)
    out.put(12, last, "output size = floor((N − F + 2P) / S) + 1", HOW_HEADER)
    kernel = f"{ref(W_ROW, FIRST, True)}:{ref(W_ROW, FIRST + f - 1, True)}"
    row = 13
    same_cells = []
    for j, case in enumerate(solved["cases"]):
        s, p = case["stride"], case["padding"]
        key = f"case{j}."
        out.put(row, 1, f"S = {s}, P = {p}:  padded x", LABEL)
        for i, value in enumerate(case["padded"]):
            if p <= i < p + n:
                out.put(row, FIRST + i, f"={ref(X_ROW, FIRST + i - p)}", PADDED, role=f"{key}xp{i}", cached=value)
            else:
                out.put(row, FIRST + i, 0, PAD, role=f"{key}xp{i}")
        out.put(row + 1, 1, "output y", LABEL)
        for i, value in enumerate(case["output"]):
            window = f"{ref(row, FIRST + i * s)}:{ref(row, FIRST + i * s + f - 1)}"
            out.put(row + 1, FIRST + i, f"=SUMPRODUCT({window},{kernel})+{bias}", OUTPUT, role=f"{key}y{i}", cached=value)
        s_ref, p_ref, size_ref = ref(row, right), ref(row, right + 1), ref(row, right + 2)
        out.put(row, right, s, PARAM, role=key + "S")
        out.put(row, right + 1, p, PARAM, role=key + "P")
        out.put(row, right + 2, f"=INT(({n_ref}-{f_ref}+2*{p_ref})/{s_ref})+1", ANSWER, role=key + "size", cached=case["size"])
        answer = "yes" if case["same_size"] else "no"
        same_cells.append((ref(row, right + 3), s_ref, p_ref, s, p, answer))
        out.put(row, right + 3, f'=IF({size_ref}={n_ref},"yes","no")', ANSWER, role=key + "same", cached=answer)
        out.put(row, right + 4, f'="floor(("&{n_ref}&" − "&{f_ref}&" + 2×"&{p_ref}&") / "&{s_ref}&") + 1 = "&{size_ref}', EXPLAIN,
                role=key + "how", cached=f"floor(({n} − {f} + 2×{p}) / {s}) + 1 = {case['size']}")
        ws.row_dimensions[row + 2].height = 6
        row += 3

    row += 1
    out.put(row, 1, "Output as long as x for", LABEL)
    joined = "&".join(f'IF({same}="yes","; S="&{s_ref}&", P="&{p_ref},"")' for same, s_ref, p_ref, *_ in same_cells)
    found = "; ".join(f"S={s}, P={p}" for *_, s, p, answer in same_cells if answer == "yes") or "none"
    answers = f"{same_cells[0][0]}:{same_cells[-1][0]}"  # only the yes/no cells are filled in that column range
    out.span(row, FIRST, FIRST + data_cols - 1, f'=IF(COUNTIF({answers},"yes")=0,"none",MID({joined},3,200))', TEXT_ANSWER,
             role="same_for", cached=found)
    out.put(row, right + 4, "stride 1 and P = (F − 1)/2 keep N − F + 2P + 1 = N values", EXPLAIN)

    set_widths(ws, {1: 22, FIRST + data_cols: 2, right: 5, right + 1: 5, right + 2: 8, right + 3: 9, right + 4: 44},
               5.5 if fmt == "0" else 8, last)
    set_print_layout(ws, row, last)
    return out

