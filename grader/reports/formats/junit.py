"""JUnit XML: one ``<testsuite>`` per exercise or quiz, one ``<testcase>`` per check or question.

Written with the standard library so the output is exactly what junit-10.xsd (Jenkins' xUnit plugin)
accepts: counts on every suite, ``time`` with at most 3 decimals, no ``skipped`` on ``<testsuites>``
(the attribute junitparser adds and the schema rejects), no ``file``/``line`` on ``<testcase>``
(the schema has none, so the location goes into the failure text). A wrong answer is a ``<failure>``;
code that crashed, timed out or returned the wrong type is an ``<error>``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from grader.record import GradeResult, Status, location
from grader.reports.formats import Item, shows_values, suites
from grader.reports.views import confinement
from grader.spec.tolerance import fmt

# XML 1.0 cannot carry most control characters at all, not even escaped; show them as pytest does.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
OUTPUT_CHARS = 4000


def clean(text: str) -> str:
    return _INVALID_XML.sub(lambda m: f"#x{ord(m.group()):02X}", text)


def _time(seconds: float | None) -> str:
    return f"{max(seconds or 0.0, 0.0):.3f}"


def _detail(item: Item, suite_file: str | None) -> str:
    lines = [item.message]
    if item.input:
        lines.append(f"input:    {item.input}")
    if shows_values(item):
        lines.append(f"expected: {fmt(item.expected)}")
        lines.append(f"got:      {fmt(item.got)}")
    if item.misconception:
        lines.append(f"likely mistake: {item.misconception}")
    elif item.note:
        lines.append(item.note)
    file = item.file or suite_file
    if file:
        lines.append(f"at {location(file, item.line, item.cell)}" if item.line or item.cell else f"in {file}")
    return "\n".join(lines)


def _testcase(parent: ET.Element, item: Item, suite_file: str | None) -> None:
    classname = f"{item.suite_id}.{item.function}" if item.function else item.suite_id
    case = ET.SubElement(parent, "testcase", name=clean(item.name), classname=clean(classname),
                         time=_time(item.duration))
    if item.status == Status.PENDING:  # a written answer awaiting review: neither a pass nor a failure yet
        ET.SubElement(case, "skipped", message=clean(item.message.splitlines()[0] if item.message else "awaiting review"))
    elif item.status != Status.PASSED:
        tag = "failure" if item.status == Status.FAILED else "error"
        kind = "wrong answer" if item.status == Status.FAILED else "error"
        node = ET.SubElement(case, tag, message=clean(item.message.splitlines()[0] if item.message else kind),
                             type=kind)
        node.text = clean(_detail(item, suite_file))
    if item.output:
        out = item.output if len(item.output) <= OUTPUT_CHARS else (
            item.output[:OUTPUT_CHARS] + f"\n[... {len(item.output) - OUTPUT_CHARS} more characters cut]")
        ET.SubElement(case, "system-out").text = clean(out)


def to_junit(result: GradeResult, *, timestamp: datetime | None = None) -> ET.Element:
    stamp = (timestamp or datetime.now(timezone.utc)).replace(microsecond=0).isoformat()
    totals = {"tests": 0, "failures": 0, "errors": 0}
    root = ET.Element("testsuites", name=clean(result.course))
    for suite_id, title, file, its in suites(result):
        counts = {
            "tests": len(its),
            "failures": sum(i.status == Status.FAILED for i in its),
            "errors": sum(i.status == Status.ERROR for i in its),
            "skipped": sum(i.status == Status.PENDING for i in its),
        }
        for key in totals:
            totals[key] += counts[key]
        suite = ET.SubElement(root, "testsuite", {"name": clean(suite_id), **{k: str(v) for k, v in counts.items()},
                                                  "time": _time(sum(i.duration or 0.0 for i in its)),
                                                  "timestamp": stamp})
        if file:
            suite.set("file", file)
        props = ET.SubElement(suite, "properties")
        prop_values = {"title": title, "score": fmt(sum(i.score for i in its)),
                       "max_score": fmt(sum(i.max_score for i in its)),
                       "student": result.student or "", "mode": result.mode}
        if result.environment is not None:  # what graded it (grader.spec.provenance), as environment.<key>
            prop_values.update({f"environment.{k}": v for k, v in vars(result.environment).items()})
        conf = confinement(result)
        if conf:
            prop_values["confinement"] = conf.line + (f" · {conf.warning}" if conf.warning else "")
        for name, value in prop_values.items():
            ET.SubElement(props, "property", name=name, value=clean(str(value)))
        for item in its:
            _testcase(suite, item, file)
    if result.grader_error:
        # Not the student's failure: its own suite, as an error, so a dashboard shows the grader broke.
        suite = ET.SubElement(root, "testsuite", name="grader", tests="1", failures="0", errors="1",
                              skipped="0", time="0.000", timestamp=stamp)
        case = ET.SubElement(suite, "testcase", name="grading finished", classname="grader", time="0.000")
        ET.SubElement(case, "error", message="the grader itself failed (not the submission's fault)",
                      type="grader error").text = clean(result.grader_error)
        totals["tests"] += 1
        totals["errors"] += 1
    for key, total in totals.items():
        root.set(key, str(total))
    root.set("time", _time(result.duration))
    return root


def render_junit(result: GradeResult) -> str:
    root = to_junit(result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
