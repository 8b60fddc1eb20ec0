#!/usr/bin/env python3
"""Build the YAML conformance corpus the doctor's parser is tested against.

Usage: yaml-corpus.py OUT.json PYYAML_SDIST YAML_RUST2_DIR LENIENT_DIR

Each case is a YAML text and what the doctor must make of it:

* PyYAML's own test data (from its source distribution on PyPI: the YAML 1.1 spec
  examples and libyaml's edge cases), and the hand-written docker-compose shapes in
  LENIENT_DIR. Each is composed with PyYAML's libyaml loader (CSafeLoader) and its
  pure-Python loader (SafeLoader, what docker-compose v1 used). Whatever either accepts,
  the doctor must parse, and the tree (scalars, sequences, mappings after `<<` merges,
  scalars' 1-based lines) must equal libyaml's. A case in LENIENT_DIR that PyYAML rejects
  fails the build of the corpus: those cases exist to prove libyaml accepts them.
* The YAML 1.2 spec examples that yaml-rust2's crate ships and tests as valid (the
  "Spec Example" cases of the yaml-test-suite): the doctor must parse each one, also
  those libyaml rejects.

The Rust side is `doctor::yaml::tests::conformance_corpus`, run with
DBPS_YAML_CORPUS=OUT.json (scripts/test.sh does this).
"""

import json
import os
import re
import sys
import tarfile

import yaml

NULLS = {"", "~", "null", "Null", "NULL"}


class Recursive(Exception):
    pass


def scalar_key(node):
    return node.value if isinstance(node, yaml.ScalarNode) else None


def merged_pairs(node):
    """A mapping's (key, value) pairs with `<<` merges applied: keys written in the
    mapping win over merged ones, like PyYAML's constructor and the doctor's builder."""
    own, merges = [], []
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == "<<" and k.tag != "tag:yaml.org,2002:str":
            merges.extend(v.value if isinstance(v, yaml.SequenceNode) else [v])
        else:
            own.append((k, v))
    present = {scalar_key(k) for k, _ in own if scalar_key(k) is not None}
    out = list(own)
    for src in merges:
        if not isinstance(src, yaml.MappingNode):
            continue
        for k, v in merged_pairs(src):
            key = scalar_key(k)
            if key is None or key not in present:
                out.append((k, v))
                if key is not None:
                    present.add(key)
    return out


def content_line(node, text):
    """The 1-based line where a scalar's own text starts. libyaml places a node at its
    tag or anchor (`--- !!str` with the string on the next line), yaml-rust2 at the
    content; the doctor's evidence points at the content."""
    mark = node.start_mark
    i, line = mark.index, mark.line
    while i < len(text) and text[i] in "!&":
        while i < len(text) and text[i] not in " \t\n":
            i += 1
        while i < len(text) and text[i] in " \t\r\n":
            line += text[i] == "\n"
            i += 1
    return line + 1


def tree(node, text, stack=()):
    """The doctor's view of a node: JSON-friendly, with the 1-based line of each scalar
    that is not a block scalar or empty. (Where a collection, a block scalar or an empty
    node starts is a matter of convention: libyaml says at its anchor, tag or `|`,
    yaml-rust2 at its first entry or content line. Entries' own lines are compared.)"""
    if any(node is s for s in stack):
        raise Recursive()
    stack = stack + (node,)
    if isinstance(node, yaml.ScalarNode):
        plain = node.style in (None, "")
        if node.style in ("|", ">"):
            # A block scalar at the very end of a text without a final line break keeps
            # its clipped break in yaml-rust2 and loses it in libyaml: compare without.
            return {"s": node.value.rstrip("\n"), "b": True}
        if plain and node.value == "":
            return {"s": None}  # an empty node: where it "starts" is a convention
        return {"s": None if plain and node.value in NULLS else node.value,
                "l": content_line(node, text)}
    if isinstance(node, yaml.SequenceNode):
        return {"seq": [tree(n, text, stack) for n in node.value]}
    return {"map": [[tree(k, text, stack), tree(v, text, stack)] for k, v in merged_pairs(node)]}


def compose(text, loader):
    docs = list(yaml.compose_all(text, Loader=loader))
    return [tree(d, text) for d in docs if d is not None and not (
        isinstance(d, yaml.ScalarNode) and d.style in (None, "") and d.value in NULLS)]


def libyaml_view(text):
    """(accepted, tree): libyaml's tree if it accepts, else the pure loader's."""
    loaders = [getattr(yaml, "CSafeLoader", None), yaml.SafeLoader]
    for loader in filter(None, loaders):
        try:
            return True, compose(text, loader)
        except Recursive:
            return None, None
        except yaml.YAMLError:
            continue
        except (RecursionError, ValueError, TypeError):
            continue
    return False, None


RUST_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}


def rust_string(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in RUST_ESCAPES:
            out.append(RUST_ESCAPES[n])
            i += 2
        elif n == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            end = body.index("}", i)
            out.append(chr(int(body[i + 3:end], 16)))
            i = end + 1
        elif n == "\n":
            i += 2
            while i < len(body) and body[i] in " \t\n":
                i += 1
        else:
            raise ValueError(f"unknown escape \\{n}")
    return "".join(out)


def spec_examples(crate_dir):
    """yaml-rust2's YAML 1.2 spec examples that its own tests parse as valid."""
    tests = os.path.join(crate_dir, "tests")
    src = open(os.path.join(tests, "specexamples.rs.inc"), encoding="utf-8").read()
    consts = {m.group(1): rust_string(m.group(2))
              for m in re.finditer(r'const (EX\w+)\s*:\s*&str\s*=\s*"((?:[^"\\]|\\.)*)"\s*;', src, re.S)}
    suite = open(os.path.join(tests, "spec_test.rs.inc"), encoding="utf-8").read()
    valid = sorted(set(re.findall(r"str_to_test_events\((EX\w+)\)", suite)))
    if len(valid) < 80:
        sys.exit(f"error: only {len(valid)} spec examples found in {tests}")
    return [(f"yaml-1.2-spec/{name}", consts[name]) for name in valid if name in consts]


def pyyaml_cases(sdist):
    exts = (".data", ".canonical", ".loader-error", ".single-loader-error", ".detect")
    with tarfile.open(sdist) as tar:
        for member in sorted(tar.getmembers(), key=lambda m: m.name):
            if "/tests/legacy_tests/data/" not in member.name or not member.name.endswith(exts):
                continue
            raw = tar.extractfile(member).read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                continue
            yield f"pyyaml/{os.path.basename(member.name)}", text


# YAML 1.1 reads NEL, LS and PS as line breaks; YAML 1.2 (and the doctor) as text.
LINE_BREAKS_1_1 = ("\u0085", "\u2028", "\u2029")

# Cases libyaml accepts that the doctor does not read, and why.
KNOWN_GAPS = {
    "pyyaml/spec-07-13.data": "a %TAG directive right after a document without `...` (YAML 1.1)",
    "pyyaml/spec-05-02-utf8.data": "a byte-order mark inside a document (an error in YAML 1.2; "
                                   "libyaml skips it, yaml-rust2 reads it as text)",
}


def main():
    out, sdist, crate_dir, lenient = sys.argv[1:5]
    cases = []
    counts = {"pyyaml": 0, "spec": 0, "lenient": 0, "libyaml_accepts": 0, "skipped": 0}

    def add(case_id, text, must_parse):
        text = text.removeprefix("\ufeff")  # the doctor's reader drops a byte-order mark
        if case_id in KNOWN_GAPS or any(c in text for c in LINE_BREAKS_1_1):
            counts["skipped"] += 1
            return None
        accepted, expected = libyaml_view(text)
        if accepted is None:  # a recursive structure: no tree to compare
            return accepted
        case = {"id": case_id, "text": text, "must_parse": must_parse or accepted,
                "libyaml": expected if accepted else None}
        try:  # a lone surrogate ("\ud800") has no UTF-8 form: no Rust string to compare
            json.dumps(case, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return None
        counts["libyaml_accepts"] += bool(accepted)
        cases.append(case)
        return accepted

    for case_id, text in pyyaml_cases(sdist):
        counts["pyyaml"] += 1
        add(case_id, text, False)
    for case_id, text in spec_examples(crate_dir):
        counts["spec"] += 1
        add(case_id, text, True)
    for name in sorted(os.listdir(lenient)):
        text = open(os.path.join(lenient, name), encoding="utf-8").read()
        counts["lenient"] += 1
        if not add(f"lenient/{name}", text, True):
            sys.exit(f"error: PyYAML rejects {lenient}/{name}: it is not what docker compose accepts")
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f)
    print("yaml corpus: {pyyaml} PyYAML test files, {spec} YAML 1.2 spec examples, "
          "{lenient} docker-compose shapes; libyaml accepts {libyaml_accepts}; left out: "
          "{skipped} (YAML 1.1 Unicode line breaks, known gaps)".format(**counts))
    for case_id, why in KNOWN_GAPS.items():
        print(f"  known gap: {case_id}: {why}")


if __name__ == "__main__":
    main()
