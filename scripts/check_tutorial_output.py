"""Runs the tutorial walkthrough and checks that every section prints what PyTorch prints.

Usage: python scripts/check_tutorial_output.py examples/autograd_tutorial.py tests/data/tutorial_expected.md
Only the standard library and rustgrad are needed, so it runs in a bare virtual environment.
"""

import os
import re
import subprocess
import sys

ADDRESS = re.compile(r"0x[0-9a-f]+")


def expected_sections(markdown):
    """Title -> expected text of the first fenced block under each '## ' heading."""
    sections, title, block = {}, None, None
    for line in markdown.splitlines():
        if block is not None:
            if line == "```":
                sections[title] = "" if block == ["(no output)"] else "\n".join(block)
                title, block = None, None
            else:
                block.append(line)
        elif line.startswith("## "):
            title = line[3:]
        elif line == "```" and title is not None and title not in sections:
            block = []
    return sections


def printed_sections(output):
    """Title -> text printed under each '## ' heading of the walkthrough."""
    sections, title, lines = {}, None, []
    for line in output.splitlines():
        if line.startswith("## "):
            if title is not None:
                sections[title] = "\n".join(lines).rstrip("\n")
            title, lines = line[3:], []
        else:
            lines.append(line)
    if title is not None:
        sections[title] = "\n".join(lines).rstrip("\n")
    return sections


def main(example, expected_md):
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run([sys.executable, example], capture_output=True, encoding="utf-8", env=env)
    if run.returncode != 0:
        print(run.stdout, run.stderr, sep="\n")
        return 1
    expected = expected_sections(open(expected_md, encoding="utf-8").read())
    printed = printed_sections(run.stdout)
    failures = [t for t in expected if ADDRESS.sub("0x", printed.get(t, "<missing>")) != ADDRESS.sub("0x", expected[t])]
    for title in failures:
        print(f"--- {title}\nexpected:\n{expected[title]}\nprinted:\n{printed.get(title, '<missing>')}")
    print(f"tutorial: {len(expected) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
