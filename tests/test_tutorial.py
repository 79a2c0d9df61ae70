"""The tutorial walkthrough (examples/autograd_tutorial.py) prints what PyTorch prints.

Expected output: tests/data/tutorial_expected.md, a copy of what each tutorial block prints under
PyTorch 2.13. Each section runs on its own, so a failure names the section.
"""

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import rustgrad

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "autograd_tutorial.py"
EXPECTED_MD = Path(__file__).resolve().parent / "data" / "tutorial_expected.md"


def _load_example():
    spec = importlib.util.spec_from_file_location("autograd_tutorial", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _parse_expected(text):
    """Map each '## ' title to the text of the first fenced block under it ('(no output)' -> '')."""
    expected, title, block = {}, None, None
    for line in text.splitlines():
        if block is not None:
            if line == "```":
                expected[title] = "\n".join(block)
                title, block = None, None
            else:
                block.append(line)
        elif line.startswith("## "):
            title = line[3:]
        elif line == "```" and title is not None and title not in expected:
            block = []
    return {t: ("" if out == "(no output)" else out) for t, out in expected.items()}


TUTORIAL = _load_example()
EXPECTED = _parse_expected(EXPECTED_MD.read_text(encoding="utf-8"))
SECTIONS = dict(TUTORIAL.SECTIONS)

# Spec section 3 (the suffix " (Triggered internally at ...)" is PyTorch's C++ origin; optional).
NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information."
)
# Spec section 4.5.
CREATE_GRAPH = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)
# The UserWarnings each section emits under PyTorch, in order; every other section emits none.
EXPECTED_WARNINGS = {
    "Leaf Nodes vs Non-Leaf Nodes": [NON_LEAF_GRAD, NON_LEAF_GRAD],  # y.grad and z.grad
    "Second Derivatives": [CREATE_GRAPH],
    "Pitfall 1: In-place Operations": [NON_LEAF_GRAD],  # x = x + 1 made x a non-leaf
}
RANDOM_SECTION = "Simple Linear Regression"

# The tutorial prints non-ASCII text (x², ∂f/∂x): child processes must not depend on the locale.
_UTF8_ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}
ADDRESS = re.compile(r"0x[0-9a-f]+")
NUMBER = re.compile(r"-?\d+\.\d{4}")


def _run(title):
    """Run one section in this process and return what it printed."""
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # checked by test_section_warnings
        with contextlib.redirect_stdout(out):
            SECTIONS[title]()
    return out.getvalue()


def _expected_stdout(title):
    text = EXPECTED[title]
    return text + "\n" if text else ""


def _is_message(actual, message):
    return re.fullmatch(re.escape(message) + r"( \(Triggered internally at .*\))?", actual) is not None


@pytest.fixture(autouse=True)
def _grad_mode_left_enabled():
    # Sections must not leak global state into each other (e.g. set_grad_enabled(False)).
    yield
    assert rustgrad.is_grad_enabled()
    assert not rustgrad.is_inference_mode_enabled()


def test_sections_match_expected_headings():
    titles = [line[3:] for line in EXPECTED_MD.read_text(encoding="utf-8").splitlines() if line.startswith("## ")]
    assert [title for title, _ in TUTORIAL.SECTIONS] == titles


# rustgrad's generator reproduces PyTorch's mt19937 streams, so even the random section (Simple Linear
# Regression) prints PyTorch's numbers; its convergence is also checked on its own below.
@pytest.mark.parametrize("title", [t for t, _ in TUTORIAL.SECTIONS])
def test_section_prints_like_pytorch(title):
    stdout = _run(title)
    assert ADDRESS.sub("0x...", stdout) == ADDRESS.sub("0x...", _expected_stdout(title))


# Runs one section in a fresh interpreter and prints the warnings it emitted as JSON on the last line.
_WARNINGS_CHILD = """
import importlib.util, json, sys, warnings
spec = importlib.util.spec_from_file_location("autograd_tutorial", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    dict(module.SECTIONS)[sys.argv[2]]()
print(json.dumps([[w.category.__name__, str(w.message), w.filename] for w in caught]))
"""


@pytest.mark.parametrize("title", [t for t, _ in TUTORIAL.SECTIONS])
def test_section_warnings(title):
    # A fresh process per section: PyTorch emits the create_graph warning only once per process,
    # so in-process results would depend on which tests ran before.
    result = subprocess.run(
        [sys.executable, "-c", _WARNINGS_CHILD, str(EXAMPLE), title],
        cwd=ROOT, env=_UTF8_ENV, capture_output=True, encoding="utf-8", timeout=120,
    )
    assert result.returncode == 0, result.stderr
    caught = json.loads(result.stdout.splitlines()[-1])
    expected = EXPECTED_WARNINGS.get(title, [])
    assert len(caught) == len(expected), caught
    for (category, actual, filename), message in zip(caught, expected):
        assert category == "UserWarning"
        assert _is_message(actual, message), actual
        if message == NON_LEAF_GRAD:
            # PyTorch attributes it to the user's line that reads .grad, not to library code.
            assert Path(filename).resolve() == EXAMPLE


def test_linear_regression_format_and_convergence():
    stdout = _run(RANDOM_SECTION)
    # Independent of the exact random stream: same lines, same format, and real convergence.
    assert NUMBER.sub("N", stdout) == NUMBER.sub("N", _expected_stdout(RANDOM_SECTION))
    assert stdout.splitlines()[-1] == "True: w = 2.0000, b = 1.0000"

    epochs = [
        tuple(float(v) for v in m.groups())
        for m in re.finditer(r"^Epoch \d+, Loss: (\S+), w: (\S+), b: (\S+)$", stdout, re.M)
    ]
    assert len(epochs) == 5
    losses = [loss for loss, _, _ in epochs]
    assert all(a > b for a, b in zip(losses, losses[1:])), losses
    # Gradient descent on this convex loss moves (w, b) steadily toward the true line y = 2x + 1.
    distances = [((w - 2) ** 2 + (b - 1) ** 2) ** 0.5 for _, w, b in epochs]
    assert all(a > b for a, b in zip(distances, distances[1:])), distances

    final = re.search(r"^Final: w = (\S+), b = (\S+)$", stdout, re.M)
    w, b = float(final.group(1)), float(final.group(2))
    assert (w, b) == epochs[-1][1:]
    assert abs(w - 2) < 0.35 and abs(b - 1) < 0.35, (w, b)

    # manual_seed(42) makes the run reproducible.
    assert _run(RANDOM_SECTION) == stdout


def test_script_runs_as_a_program():
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=ROOT, env=_UTF8_ENV, capture_output=True, encoding="utf-8", timeout=300
    )
    assert result.returncode == 0, result.stderr
    headings = [line for line in result.stdout.splitlines() if line.startswith("## ")]
    assert headings == [f"## {title}" for title, _ in TUTORIAL.SECTIONS]
