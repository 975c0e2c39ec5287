#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Lists the public functions of sockit that no test names.
#
# The public functions come from clang's own parse of include/sockit/sockit.hpp (its AST as
# JSON), not from reading the text: every function and public method declared in namespace
# sockit outside sockit::detail, every method a class makes public with a using-declaration,
# and member templates. Constructors, destructors, conversions and operators are left out:
# a test names them by using the type, which no search for a name can tell apart.
#
# A function counts as tested when a test source (tests/*.cpp, tests/*.hpp, tests/stress/)
# calls it by name: `.name(`, `->name(`, `::name(`, or `name(` for a free function. Where a
# name has both forms, the std::error_code form (last argument an error_code variable of
# the tests) and the throwing form are looked for separately. The check is by name, not by
# class: `close` called on one class counts for every class with a `close`. The fuzzers
# (tests/fuzz) and the packaging consumers (tests/consumers) are not counted: they assert
# little about what a call did.
#
# Prints one line per untested function, then a count; exits 1 if there is any.
# Usage: scripts/uncovered.sh [-v]   (-v: also list what is covered, and where)
set -uo pipefail
cd "$(dirname "$0")/.."
clang=$(command -v clang++-14 || command -v clang++) || {
    echo "uncovered.sh needs clang++ (its AST dump finds the public functions)" >&2
    exit 2
}
ast=$(mktemp "${TMPDIR:-/tmp}/sockit-ast.XXXXXX")
trap 'rm -f "$ast"' EXIT
if ! "$clang" -std=c++17 -Iinclude -fsyntax-only -Xclang -ast-dump=json -Xclang -ast-dump-filter=sockit \
    -Wno-pragma-once-outside-header     -x c++ include/sockit/sockit.hpp >"$ast"; then
    echo "uncovered.sh: clang could not parse include/sockit/sockit.hpp" >&2
    exit 2
fi

python3 - "$ast" "$@" <<'PY'
import glob, json, re, sys

ast_path = sys.argv[1]
verbose = "-v" in sys.argv[2:]

# Functions no test needs to call, each with its reason. "name" covers every form of the
# name; "name [error_code form]" or "name [throwing form]" only that form.
EXCEPTIONS = {
    # (none yet: every public function has a test)
}

# --- the public functions, from clang's AST --------------------------------------------
text = open(ast_path, encoding="utf-8").read()
decoder = json.JSONDecoder()
roots, pos = [], 0
while True:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    if pos >= len(text):
        break
    node, pos = decoder.raw_decode(text, pos)
    roots.append(node)

public = {}  # name -> {"classes": set, "free": bool}
using_names = []  # (member, base, class): made public by a using-declaration (a function or a type)
forms = {}   # name -> set of "error_code", "throwing" (over every declaration of the name)


def takes_error_code(fn):
    return any(p.get("kind") == "ParmVarDecl" and re.search(r"std::error_code\s*&$", p.get("type", {}).get("qualType", ""))
               for p in fn.get("inner", []))


def note_form(fn):
    name = fn.get("name", "")
    if fn.get("isImplicit") or not name or name.startswith("operator"):
        return
    forms.setdefault(name, set()).add("error_code" if takes_error_code(fn) else "throwing")


def add_public(name, owner):
    if not name or name.startswith("operator") or name.startswith("~"):
        return
    entry = public.setdefault(name, {"classes": set(), "free": False})
    if owner is None:
        entry["free"] = True
    else:
        entry["classes"].add(owner)


def unwrap(node):
    """The function or class a template declares."""
    if node.get("kind") in ("FunctionTemplateDecl", "ClassTemplateDecl"):
        for inner in node.get("inner", []):
            if inner.get("kind") in ("FunctionDecl", "CXXMethodDecl", "CXXRecordDecl"):
                return inner
    return node


detail_records = {}  # name -> definition, of the classes in sockit::detail


def collect_detail(node, in_detail):
    for child in node.get("inner", []):
        kind = child.get("kind")
        if kind == "NamespaceDecl":
            collect_detail(child, in_detail or child.get("name") == "detail")
            continue
        child = unwrap(child)
        if in_detail and child.get("kind") == "CXXRecordDecl" and child.get("name") and "inner" in child:
            detail_records.setdefault(child["name"], child)


def detail_record_of(type_info):
    """The sockit::detail class a type names (an alias's target, a base), or None."""
    m = re.match(r"(?:sockit::)?(?:detail::)?(\w+)", type_info.get("desugaredQualType", type_info.get("qualType", "")))
    return detail_records.get(m.group(1)) if m else None


def walk_record(record, prefix, owner=None, seen=None):
    if record.get("isImplicit") or "inner" not in record:
        return
    name = owner or prefix + record.get("name", "")
    seen = seen if seen is not None else set()
    if record.get("id") in seen:
        return
    seen.add(record.get("id"))
    for base in record.get("bases", []):  # public bases in sockit::detail are public API too
        target = detail_record_of(base.get("type", {}))
        if base.get("access") == "public" and target is not None:
            walk_record(target, "", name, seen)
    access = "private" if record.get("tagUsed") == "class" else "public"
    for child in record.get("inner", []):
        kind = child.get("kind")
        if kind == "AccessSpecDecl":
            access = child.get("access", access)
            continue
        child = unwrap(child)
        kind = child.get("kind")
        if kind == "CXXMethodDecl":
            if access == "public" and not child.get("isImplicit"):
                note_form(child)
                add_public(child.get("name", ""), name)
        elif kind == "UsingDecl" and access == "public":
            member = child.get("name", "").split("::")[-1]
            base = child.get("name", "").split("::")[-2] if "::" in child.get("name", "") else ""
            if member != base:  # `using Base::Base;` inherits constructors
                using_names.append((member, base, name))
        elif kind == "CXXRecordDecl" and access == "public" and child.get("name"):
            walk_record(child, name + "::")


def walk_namespace(ns):
    for child in ns.get("inner", []):
        kind = child.get("kind")
        if kind == "NamespaceDecl":
            if child.get("name") != "detail":
                walk_namespace(child)  # inline namespaces (the poller's backend)
            continue
        child = unwrap(child)
        kind = child.get("kind")
        if kind == "FunctionDecl":
            note_form(child)
            if not child.get("isImplicit"):
                add_public(child.get("name", ""), None)
        elif kind == "CXXRecordDecl" and child.get("name"):
            walk_record(child, "")
        elif kind in ("TypeAliasDecl", "TypedefDecl"):  # `using NoDelay = detail::BooleanOption<...>`
            target = detail_record_of(child.get("type", {}))
            if target is not None:
                walk_record(target, "", child.get("name"))


def methods_of(node, out):
    """Every method of every class (any access): the forms a using-declaration makes public."""
    node = unwrap(node)
    if node.get("kind") == "CXXRecordDecl" and node.get("name"):
        for child in node.get("inner", []):
            child = unwrap(child)
            if child.get("kind") == "CXXMethodDecl" and not child.get("isImplicit"):
                out.setdefault((node["name"], child.get("name", "")), []).append(child)
    for inner in node.get("inner", []):
        methods_of(inner, out)


for root in roots:
    if root.get("kind") == "NamespaceDecl" and root.get("name") == "sockit":
        collect_detail(root, False)
for root in roots:
    if root.get("kind") == "NamespaceDecl" and root.get("name") == "sockit":
        walk_namespace(root)
all_methods = {}
for root in roots:
    methods_of(root, all_methods)
for member, base, owner in using_names:
    declared = all_methods.get((base, member), [])
    if declared:  # a function (a using-declaration may also name a type)
        for fn in declared:
            note_form(fn)
        add_public(member, owner)

# --- what the tests call -------------------------------------------------------------------
sources = sorted(set(glob.glob("tests/*.cpp") + glob.glob("tests/*.hpp") + glob.glob("tests/stress/*.cpp") +
                     glob.glob("tests/stress/*.hpp")))
code = {}
for path in sources:
    body = open(path, encoding="utf-8").read()
    body = re.sub(r"//[^\n]*", "", body)                      # comments name functions too
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    body = re.sub(r'"(?:\\.|[^"\\\n])*"', '""', body)          # so do strings (messages)
    code[path] = body
ec_vars = set()
for body in code.values():
    ec_vars.update(re.findall(r"std::error_code\s*&?\s*(\w+)\s*[;,)={]", body))
ec_vars.discard("const")


def arguments(body, open_paren):
    """The text of the top-level last argument of the call whose '(' is at open_paren."""
    depth, start = 0, open_paren + 1
    for i in range(open_paren, min(len(body), open_paren + 4000)):
        c = body[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                return body[start:i]
        elif c == "," and depth == 1:
            start = i + 1
    return ""


# Qualifiers that name sockit: `sockit::name(`, `Address::loopback(`, `sockit::Poller::open(`.
class_names = set()


def note_classes(node):
    if node.get("kind") in ("CXXRecordDecl", "TypeAliasDecl", "TypedefDecl") and node.get("name"):
        class_names.add(node["name"])
    for inner in node.get("inner", []):
        if not (inner.get("kind") == "NamespaceDecl" and inner.get("name") == "detail"):
            note_classes(inner)


for root in roots:
    if root.get("kind") == "NamespaceDecl" and root.get("name") == "sockit":
        note_classes(root)
qualifier = r"(?<![\w:])(?:sockit::)?(?:" + "|".join(sorted(class_names)) + r")::|(?<![\w:])sockit::"


def calls(name, free):
    """(path, form) for every call of `name` in the tests: a member call (`.name(`, `->name(`),
    a call qualified by sockit or one of its classes, or, for a free function, an unqualified
    call in a file that brings the name in (`using namespace sockit;`, `using sockit::name;`)."""
    targets = [r"(?:\.|->)\s*", "(?:" + qualifier + ")"]
    found = []
    for path, body in code.items():
        patterns = list(targets)
        if free and re.search(r"using\s+namespace\s+sockit\s*;|using\s+sockit::" + re.escape(name) + r"\s*;", body):
            patterns.append(r"(?<![\w.>:])")
        pattern = "(?:" + "|".join(patterns) + ")" + re.escape(name) + r"\s*(?:<[^;(){}]*>)?\s*\("
        for m in re.finditer(pattern, body):
            last = arguments(body, m.end() - 1).strip()
            found.append((path, "error_code" if last in ec_vars else "throwing"))
    return found


missing, covered = [], []
for name in sorted(public):
    entry = public[name]
    where = sorted(entry["classes"])
    where = where[:4] + ([f"and {len(where) - 4} more"] if len(where) > 4 else [])
    where += ["a free function"] if entry["free"] else []
    name_forms = forms.get(name, {"throwing"})
    seen = calls(name, entry["free"])
    wanted = sorted(name_forms) if len(name_forms) > 1 else [None]
    for form in wanted:
        label = name if form is None else f"{name} [{form} form]"
        if name in EXCEPTIONS or label in EXCEPTIONS:
            if verbose:
                print(f"excepted: {label}: {EXCEPTIONS.get(label) or EXCEPTIONS[name]}")
            continue
        hits = [p for p, f in seen if form is None or f == form]
        if hits:
            covered.append(label)
            if verbose:
                print(f"covered: {label} ({', '.join(sorted(set(hits))[:3])})")
        else:
            missing.append(f"{label}  ({', '.join(where)})")

for line in missing:
    print(f"uncovered: {line}")
print(f"{len(missing)} public functions or forms that no test calls ({len(covered)} called; "
      f"{len(public)} public names)")
sys.exit(1 if missing else 0)
PY
