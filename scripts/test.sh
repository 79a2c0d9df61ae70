#!/usr/bin/env bash
# Runs every test: the Rust core (no Python needed), then the Python suite against the release
# wheel that users install, then a smoke run of that wheel in a fresh virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== Rust: cargo test (pure core, no Python feature)"
cargo test --quiet
echo "== Rust: benches build"
# In the test profile, reusing the library cargo test just built: this checks that the criterion
# benches compile; a release-profile build here took 8 of CI's 23 minutes. `cargo bench` for numbers.
cargo test --benches --no-run --quiet

echo "== Build the release wheel (once)"
rm -rf dist
maturin build --release --quiet --out dist
wheel=$(ls dist/rustgrad-*.whl)

echo "== Python: pytest against the installed wheel"
python -m pip install --quiet --force-reinstall --no-deps "$wheel"
python -m pytest tests -q

echo "== Smoke: the wheel in a fresh virtual environment runs the tutorial walkthrough"
venv=$(mktemp -d)/venv
python -m venv "$venv"
"$venv/bin/python" -m pip install --quiet "$wheel"
"$venv/bin/python" scripts/check_tutorial_output.py examples/autograd_tutorial.py tests/data/tutorial_expected.md
rm -rf "$(dirname "$venv")"
