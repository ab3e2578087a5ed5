"""pytest plugin: run Markdown code blocks the way the site shows them.

pytest-codeblocks runs every ```python block of the pages, but it knows nothing of
pymdownx.snippets: a line `--8<-- "nn/layers.py:relu"` would run as that literal text.
This plugin wraps pytest-codeblocks' file extraction and expands the includes with the
snippets preprocessor itself, configured from mkdocs.yml exactly as the site build is, so a
block runs the same source the reader sees. It also replaces pytest-codeblocks' one-line
failure report (str(exception), no type, no traceback) with the exception type and the
traceback through the block.

The Chinese pages are not collected: their code blocks, output blocks and markers are the
English ones, character for character (tests/test_site.py checks it), so running them again
would test the same code twice. Their blocks run in the Chinese notebooks instead, top to bottom
in a fresh kernel, with every output compared (tests/test_notebooks.py).

Loaded with `-p tools.site.pytest_pages` (the `pages` session of noxfile.py).
"""

from __future__ import annotations

import difflib
import subprocess
import traceback
from pathlib import Path

import pytest_codeblocks.plugin as codeblocks

from tools.site.config import ROOT, expand_snippets

_original_extract = codeblocks.extract_from_file
_original_item = codeblocks.TestBlock


def extract_from_file(path, *args, **kwargs):
    """pytest-codeblocks' extraction, then snippet expansion of code and expected output."""
    blocks = _original_extract(path, *args, **kwargs)
    for block in blocks:
        try:
            code = expand_snippets(block.code)
            block.snippets_expanded = code != block.code
            block.code = code
            if block.expected_output is not None:
                block.expected_output = expand_snippets(block.expected_output)
        except Exception as exc:  # e.g. SnippetMissingError: name the page and the block
            raise type(exc)(f"{path}, code block at line {block.lineno}: {exc}") from exc
    return blocks


class CodeBlockItem(_original_item):
    """pytest-codeblocks' test item with a failure report that says what went wrong where."""

    def repr_failure(self, excinfo):
        block = self.obj
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        where = f"{path}, code block at line {block.lineno}"
        exc = excinfo.value
        if isinstance(exc, subprocess.CalledProcessError):  # a failing sh/bash block
            return (
                f"{where} exited with status {exc.returncode}\n"
                f"--- stdout\n{exc.stdout.decode()}--- stderr\n{exc.stderr.decode()}"
            )
        cause = exc.__cause__ or exc.__context__
        if isinstance(exc, RuntimeError) and cause is not None:
            # pytest-codeblocks re-raised what the block raised as RuntimeError(str(e)).
            if getattr(block, "snippets_expanded", False):
                where += " (with its snippets expanded)"
            return f"{where} raised {type(cause).__name__}:\n" + _format_block_traceback(
                cause, block.code, where
            )
        if isinstance(exc, RuntimeError) and block.expected_output is not None:
            return f"{where}: the printed output differs from the page's output block\n" + (
                _output_diff(block.expected_output, exc.args[0])
            )
        return f"{where}:\n" + "".join(traceback.format_exception(exc))


def _format_block_traceback(exc: BaseException, code: str, where: str) -> str:
    """The traceback from the block's first line on, with the block's own lines shown."""
    frames = traceback.extract_tb(exc.__traceback__)
    # Drop pytest-codeblocks' runtest frame; name the block's frames after the page.
    frames = [f for f in frames if not f.filename.endswith("pytest_codeblocks/plugin.py")]
    lines = code.splitlines()
    shown = []
    for f in frames:
        if f.filename == "<string>":  # the block, executed by exec()
            line = lines[f.lineno - 1] if f.lineno and 0 < f.lineno <= len(lines) else None
            f = traceback.FrameSummary(where, f.lineno, f.name, line=line)
        shown.append(f)
    text = "Traceback (most recent call last):\n"
    text += "".join(traceback.StackSummary.from_list(shown).format())
    text += "".join(traceback.format_exception_only(exc))
    if isinstance(exc, AssertionError) and not str(exc):
        text += "(a bare assert: give it a message saying what was expected)\n"
    return text


def _output_diff(expected: str, message: str) -> str:
    """pytest-codeblocks' mismatch message, with a line diff of expected and actual output."""
    got = message.rsplit("but got\n```\n", 1)[-1].removesuffix("```")
    diff = difflib.unified_diff(
        expected.splitlines(True), got.splitlines(True), "expected (on the page)", "printed"
    )
    return "".join(diff) or message


def pytest_ignore_collect(collection_path, config):
    """Leave out the Chinese pages (see above); None lets pytest decide for everything else."""
    return True if collection_path.name.endswith(".zh.md") else None


def pytest_configure(config):
    codeblocks.extract_from_file = extract_from_file
    codeblocks.TestBlock = CodeBlockItem


def pytest_unconfigure(config):
    codeblocks.extract_from_file = _original_extract
    codeblocks.TestBlock = _original_item
