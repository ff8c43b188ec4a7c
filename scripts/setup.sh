#!/usr/bin/env bash
# One-time set-up on a Debian machine with Python 3.11: system packages, then .venv with reportgen and its test tools.
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(graphviz poppler-utils fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 python3-venv libreoffice-calc dataset-fashion-mnist)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null; then SUDO="sudo"; else SUDO="none"; fi
  if [ "$SUDO" = "none" ]; then
    echo "setup: please install these Debian packages as root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
if ! .venv/bin/python -c "import reportgen, keras, tensorflow, weasyprint, pytest, syrupy, nbformat, nbconvert, ipykernel" >/dev/null 2>&1 \
   || [ pyproject.toml -nt .venv/.installed ]; then
  echo "setup: installing reportgen and its dependencies into .venv (about a minute)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  touch .venv/.installed
fi
# A submission's notebook (reportgen submit) runs on .venv's Python: `.venv/bin/jupyter nbconvert --execute` finds it as
# python3; a Jupyter installed elsewhere finds it as the kernel "Python (reportgen)".
if ! .venv/bin/python -m jupyter kernelspec list 2>/dev/null | grep -q '^ *reportgen '; then
  .venv/bin/python -m ipykernel install --user --name reportgen --display-name "Python (reportgen)" >/dev/null
fi
echo "setup: ready (.venv/bin/invoke report demo, .venv/bin/invoke test)"
