"""JUnit XML for CI systems: a testsuite per suite, a testcase per test purpose.

fail -> ``<failure>``, error -> ``<error>``, inconclusive -> ``<skipped>`` (the run's exit code
still says "not passed"). Classnames read ``interop.<transport>.<suite>.<group>`` so CI tools
group them; the testcase name is the purpose's id and title.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

from apps.interop.model import SUITES, Verdict
from apps.interop.runner import Run


def _text(result_notes: list[str], cleanup: list[str]) -> str:
    parts = [f"note: {n}" for n in result_notes] + [f"clean-up: {c}" for c in cleanup]
    return "\n".join(parts)


def build(run: Run) -> ET.ElementTree:
    root = ET.Element(
        "testsuites",
        name=f"micropay interop ({run.transport})",
        tests=str(len(run.results)),
        failures=str(run.count(Verdict.FAIL)),
        errors=str(run.count(Verdict.ERROR)),
        skipped=str(run.count(Verdict.INCONCLUSIVE)),
        time=f"{run.duration_s:.3f}",
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(run.started_at))
    for suite in SUITES:
        results = [r for r in run.results if r.purpose.suite == suite]
        if not results:
            continue
        node = ET.SubElement(
            root,
            "testsuite",
            name=f"{run.transport}.{suite}",
            tests=str(len(results)),
            failures=str(sum(r.verdict is Verdict.FAIL for r in results)),
            errors=str(sum(r.verdict is Verdict.ERROR for r in results)),
            skipped=str(sum(r.verdict is Verdict.INCONCLUSIVE for r in results)),
            time=f"{sum(r.duration_s for r in results):.3f}",
            timestamp=stamp,
        )
        props = ET.SubElement(node, "properties")
        for name, value in (("transport", run.transport), ("endpoint", run.endpoint),
                            ("application", run.app_id), ("run", run.run_id)):  # fmt: skip
            ET.SubElement(props, "property", name=name, value=value)
        for r in results:
            case = ET.SubElement(
                node,
                "testcase",
                classname=f"interop.{run.transport}.{suite}.{r.purpose.group}",
                name=f"{r.purpose.id} {r.purpose.title}",
                time=f"{r.duration_s:.3f}",
            )
            if r.verdict is Verdict.FAIL:
                ET.SubElement(
                    case, "failure", message=r.reason, type="fail"
                ).text = f"expected: {r.purpose.expected}\n{r.detail}"
            elif r.verdict is Verdict.ERROR:
                ET.SubElement(case, "error", message=r.reason, type="error").text = r.detail
            elif r.verdict is Verdict.INCONCLUSIVE:
                ET.SubElement(case, "skipped", message=f"inconclusive: {r.reason}")
            out = _text(r.notes, r.cleanup)
            if out:
                ET.SubElement(case, "system-out").text = out
    ET.indent(root)
    return ET.ElementTree(root)


def write(run: Run, path: str | Path) -> None:
    build(run).write(path, encoding="utf-8", xml_declaration=True)
