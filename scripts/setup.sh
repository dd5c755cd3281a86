#!/usr/bin/env bash
# Create .venv and install the project; with --test also the test tools and, when run as
# root on Debian, the chromium + chromium-driver packages the browser tests drive.
# Re-running is cheap: installs are skipped while pyproject.toml is unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv
want_test=0 extras="" stamp="$VENV/.installed"
if [[ "${1:-}" == "--test" ]]; then
  want_test=1 extras="[test]" stamp="$VENV/.installed-test"
fi
fingerprint="$(sha256sum pyproject.toml | cut -d' ' -f1)"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "==> creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi

if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$fingerprint" ]]; then
  echo "==> installing Python dependencies${extras:+ (with test tools)}"
  started=$SECONDS
  # uv resolves and installs in seconds; plain pip is the fallback.
  if "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv 2>/dev/null; then
    "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -e ".${extras}"
  else
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${extras}"
  fi
  echo "$fingerprint" > "$stamp"
  echo "    done in $((SECONDS - started)) s"
fi

# axe-core for the accessibility tests, from the npm registry (never a CDN at test time).
if [[ $want_test == 1 ]] && [[ ! -f tests/a11y/node_modules/axe-core/axe.min.js ]]; then
  if command -v npm >/dev/null; then
    echo "==> installing axe-core for the accessibility tests"
    npm ci --prefix tests/a11y --no-audit --no-fund --silent
  else
    echo "!!  npm is missing: the accessibility tests will skip (install Node.js and npm)."
  fi
fi

if [[ $want_test == 1 ]] && { [[ ! -x /usr/bin/chromium ]] || [[ ! -x /usr/bin/chromedriver ]]; }; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
    echo "==> installing Debian chromium and chromium-driver for the browser tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "!!  /usr/bin/chromium is missing and this is not a root Debian shell:"
    echo "    install the chromium and chromium-driver packages, or the browser tests skip."
  fi
fi
