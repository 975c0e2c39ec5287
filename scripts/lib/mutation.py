# SPDX-License-Identifier: MIT
"""sockit's mutation test (run it with scripts/mutation.sh; see docs/reliability.md).

Each mutant is a small, realistic bug written into a copy of include/: one exact piece of
text replaced by another. The piece must occur exactly once in the current source, or the
run stops with an error (a mutant that no longer applies would silently be the original).
Each mutant names the test cases that must catch it (they are the tests the documentation
cites for the promise the mutant breaks) and the test files holding them; only those files
are compiled (g++ -O0, with ccache when there is one) against the mutated copy, and only
those test cases are run. Before any mutant, the same test cases are run against an
unmutated copy and must pass, so that a failure means the mutant was caught.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Mutant:
    def __init__(self, name, family, path, old, new, tests, cases, ci=False, why=""):
        self.name = name  # short identifier
        self.family = family  # the promise it breaks (a row of docs/reliability.md)
        self.path = path  # under include/
        self.old = old  # exact text, present once
        self.new = new  # what replaces it
        self.tests = tests  # test files under tests/ to compile
        self.cases = cases  # Catch2 test case names to run
        self.ci = ci  # in the reduced set CI runs
        self.why = why  # the bug, in words


# The mutants. Each `old` is copied from the source as it is; each `cases` entry is a test
# case the documentation cites for the promise.
MUTANTS = [
    Mutant("send-without-nosignal", "no SIGPIPE", "sockit/detail/ops.hpp",
           "return check(::send(fd, data, size, flags | MSG_NOSIGNAL), ec);",
           "return check(::send(fd, data, size, flags), ec);",
           ["test_tcp.cpp"], ["writing to a closed peer throws, never raises SIGPIPE"], ci=True,
           why="send(2) without MSG_NOSIGNAL: writing to a closed peer raises SIGPIPE"),
    Mutant("gather-without-nosignal", "no SIGPIPE", "sockit/detail/ops.hpp",
           "return check(::sendmsg(fd, &msg, flags | MSG_NOSIGNAL), ec);",
           "return check(::sendmsg(fd, &msg, flags), ec);",
           ["test_mutation_gaps.cpp"], ["a gathered send_all to a closed peer throws, never raises SIGPIPE"],
           why="sendmsg(2) (gathered send_all) without MSG_NOSIGNAL"),
    Mutant("socket-without-cloexec", "close-on-exec", "sockit/detail/ops.hpp",
           "return check(::socket(family, type | SOCK_CLOEXEC, protocol), ec);",
           "return check(::socket(family, type, protocol), ec);",
           ["test_socket.cpp"], ["descriptors are created close-on-exec"], ci=True,
           why="socket(2) without SOCK_CLOEXEC: children inherit every socket"),
    Mutant("accept-without-cloexec", "close-on-exec", "sockit/detail/ops.hpp",
           "return check(::accept4(fd, addr, len, SOCK_CLOEXEC), ec);",
           "return check(::accept4(fd, addr, len, 0), ec);",
           ["test_socket.cpp"], ["descriptors are created close-on-exec"],
           why="accept4(2) without SOCK_CLOEXEC: accepted streams leak into children"),
    Mutant("dup-without-cloexec", "close-on-exec", "sockit/detail/ops.hpp",
           "return check(::fcntl(fd, F_DUPFD_CLOEXEC, 0), ec);",
           "return check(::fcntl(fd, F_DUPFD, 0), ec);",
           ["test_handles.cpp"], ["dup gives a second close-on-exec descriptor for the same socket"],
           why="dup makes an inheritable descriptor"),
    Mutant("eintr-fresh-deadline", "EINTR", "sockit/detail/timed_io.hpp",
           "            if (is_interrupted(ec)) continue;\n",
           "            if (is_interrupted(ec)) {\n                deadline = Deadline();\n                continue;\n            }\n",
           ["test_socket.cpp"], ["interrupted calls are retried within one deadline"], ci=True,
           why="an interrupted wait starts a fresh full timeout: signals postpone the timeout forever"),
    Mutant("deadline-short", "timeouts", "sockit/detail/timed_io.hpp",
           "at_ns_ = saturating_add(now, budget(timeout_ns));",
           "at_ns_ = saturating_add(now, budget(timeout_ns) / 2);",
           ["test_socket.cpp"], ["timeouts expire with TimeoutError"],
           why="the deadline is computed short: calls time out before their timeout"),
    Mutant("wait-whole-timeout-again", "timeouts", "sockit/detail/timed_io.hpp",
           "const std::int64_t budget = deadline.started() ? deadline.left(timeout_ns) : deadline.budget(timeout_ns);",
           "const std::int64_t budget = deadline.budget(timeout_ns);",
           ["test_reading.cpp"], ["recv_exactly's timeout is one deadline for the whole call"], ci=True,
           why="after a would-block, the next wait of the same call gets the whole timeout again"),
    Mutant("send-all-no-advance", "partial sends", "sockit/detail/stream_algorithms.hpp",
           "sent += send_some(p + sent, size - sent, deadline, ec);",
           "sent += send_some(p, size - sent, deadline, ec);",
           ["test_mutation_gaps.cpp"], ["send_all with a timeout loops over partial sends and every byte arrives in order"],
           ci=True,
           why="send_all resends from the start after a partial send"),
    Mutant("recv-exactly-eof-success", "end of stream", "sockit/detail/stream_algorithms.hpp",
           "            ec = make_error_code(Errc::end_of_stream);\n            break;\n",
           "            break;\n",
           ["test_reading.cpp"], ["recv_exactly tells end of stream from errors"], ci=True,
           why="recv_exactly treats end of stream as success, returning a short count"),
    Mutant("recv-until-limit-plus-one", "end of stream", "sockit/detail/stream_algorithms.hpp",
           "chunk.resize(std::min<std::size_t>(max_size - out.size(), std::size_t{64} * 1024));",
           "chunk.resize(std::min<std::size_t>(max_size - out.size() + 1, std::size_t{64} * 1024));",
           ["test_reading.cpp"], ["recv_until stops at its limit and at end of stream"],
           why="recv_until takes one byte beyond its limit"),
    Mutant("recvfrom-without-trunc", "truncation", "sockit/detail/ops.hpp",
           "return check(::recvfrom(fd, data, size, flags | MSG_TRUNC, addr, len), ec);",
           "return check(::recvfrom(fd, data, size, flags, addr, len), ec);",
           ["test_udp.cpp"], ["a datagram larger than the buffer is reported as truncated"], ci=True,
           why="recvfrom(2) without MSG_TRUNC: a datagram larger than the buffer is cut silently"),
    Mutant("recv-batch-count", "truncation", "sockit/detail/batch.hpp",
           "    return n;\n#else\n    // One recvfrom per datagram",
           "    return n > 1 ? n - 1 : n;\n#else\n    // One recvfrom per datagram",
           ["test_batch.cpp"], ["send_batch and recv_batch move many datagrams per call"],
           why="recv_batch returns one datagram fewer than it received"),
    Mutant("errno-map-swapped", "errors mapping", "sockit/error.hpp",
           "    if (ec == std::errc::connection_refused) throw ConnectionRefused(ec, context, std::move(transfer));\n"
           "    if (ec == std::errc::connection_reset) throw ConnectionReset(ec, context, std::move(transfer));\n",
           "    if (ec == std::errc::connection_refused) throw ConnectionReset(ec, context, std::move(transfer));\n"
           "    if (ec == std::errc::connection_reset) throw ConnectionRefused(ec, context, std::move(transfer));\n",
           ["test_tcp.cpp"], ["a refused connection says where", "a reset connection throws ConnectionReset"], ci=True,
           why="ECONNREFUSED and ECONNRESET throw each other's class"),
    Mutant("error-code-form-throws", "errors mapping", "sockit/address.hpp",
           "        a.set_port(port, ec);\n        return ec ? Address() : a;\n    }\n\n    /// The loopback address of `family` (127.0.0.1 or ::1) with port 0.",
           "        a.set_port(port);\n        return ec ? Address() : a;\n    }\n\n    /// The loopback address of `family` (127.0.0.1 or ::1) with port 0.",
           ["test_address.cpp"], ["any, loopback and set_port check the port range as the constructor does"],
           why="a noexcept error_code form (Address::any) calls the throwing form: std::terminate"),
    Mutant("port-off-by-one", "bad input", "sockit/address.hpp",
           "if (value > 65535) return \"greater than 65535\";",
           "if (value > 65536) return \"greater than 65535\";",
           ["test_address.cpp"], ["Port text is decimal digits, leading zeros allowed, up to 65535"],
           why="port text 65536 is accepted (and wraps to 0)"),
    Mutant("v6-scope-dropped", "bad input", "sockit/address.hpp",
           "                a.storage_.v6.sin6_scope_id = index;\n",
           "",
           ["test_address.cpp"], ["Address parses numeric IPv4 and IPv6 text"],
           why="the IPv6 scope (fe80::1%eth0) is parsed and then dropped"),
    Mutant("connect-timeout-refused-ok", "connect", "sockit/socket.hpp",
           "if (detail::wait_ready(fd_, detail::Direction::out, timeout_ns_, deadline, ec)) ec = pending_error();",
           "if (detail::wait_ready(fd_, detail::Direction::out, timeout_ns_, deadline, ec)) (void)pending_error();",
           ["test_api_rules.cpp"], ["every socket class has a noexcept factory that owns nothing on failure"],
           why="a connect with a timeout reports success when the peer refused"),
    Mutant("server-without-reuseaddr", "reuse defaults", "sockit/tcp.hpp",
           "    bool reuse_address = true;\n",
           "    bool reuse_address = false;\n",
           ["test_tcp.cpp"], ["TcpServer setup"],
           why="servers do not set SO_REUSEADDR: a restarted server cannot bind its port"),
    Mutant("server-open-leaks-fd", "resource leaks", "sockit/tcp.hpp",
           "        if (ec) {\n            context = detail::context(call, address);\n            return server;\n",
           "        if (ec) {\n            context = detail::context(call, address);\n            (void)s.release();\n"
           "            return server;\n",
           ["test_tcp.cpp"], ["TcpServer setup"], ci=True,
           why="a server whose bind or listen fails leaks its descriptor"),
    Mutant("move-keeps-descriptor", "ownership", "sockit/socket.hpp",
           ": fd_(std::exchange(other.fd_, detail::invalid_handle)), shared_(",
           ": fd_(other.fd_), shared_(",
           ["test_socket.cpp"], ["Socket owns its descriptor"],
           why="a moved-from socket still owns its descriptor and closes it again"),
    Mutant("close-twice", "ownership", "sockit/socket.hpp",
           "        if (fd_ == detail::invalid_handle) return;\n",
           "",
           ["test_socket.cpp"], ["Socket owns its descriptor"],
           why="a second close calls close(2) on -1 and reports EBADF"),
    Mutant("accept-inherits-timeout", "timeouts", "sockit/socket.hpp",
           "        if (ec) out.fd_ = detail::invalid_handle;\n        return out;\n    }\n\n    /// `connect` to a system",
           "        if (ec)\n            out.fd_ = detail::invalid_handle;\n        else\n            out.timeout_ns_ = timeout_ns_;\n"
           "        return out;\n    }\n\n    /// `connect` to a system",
           ["test_timeout_model.cpp"], ["an accepted stream has no timeout, whatever the server's, and keeps its word"],
           why="an accepted stream takes the listener's timeout, which its descriptor's mode does not match"),
    Mutant("poller-ignores-hangup", "poller", "sockit/detail/poller_epoll.hpp",
           "        if ((e.events & EPOLLHUP) != 0) flags |= ready::hangup;\n",
           "",
           ["test_poller.cpp"], ["PollEvent::hangup: both directions closed, or the connection reset"],
           why="the epoll Poller never reports a hang-up"),
    Mutant("send-file-sigpipe", "no SIGPIPE", "sockit/detail/send_file.hpp",
           "        if (!pending_before_ && pending()) {",
           "        if (false) {",
           ["test_send_file.cpp"], ["send_file to a closed peer throws and raises no SIGPIPE"],
           why="send_file leaves the SIGPIPE that sendfile(2) raised to kill the process"),
    Mutant("send-file-deadline-per-call", "timeouts", "sockit/socket.hpp",
           "return detail::ops::sendfile(fd_, f, at, n, e2); }, e, d);",
           "return detail::ops::sendfile(fd_, f, at, n, e2); }, e);",
           ["test_send_file.cpp"], ["send_file's one deadline holds against a reader that keeps each wait short"],
           why="each sendfile(2) call of send_file gets a fresh deadline"),
    Mutant("fast-open-dropped", "TCP extras", "sockit/detail/connector.hpp",
           "        if (!ec && options_.fast_open) enable_fast_open_connect(s, ec);\n",
           "",
           ["test_tcp_extras.cpp"], ["TCP Fast Open: the second connection's data rides in the SYN and the server reads it"],
           why="ConnectOptions::fast_open is ignored"),
    Mutant("mptcp-no-fallback", "TCP extras", "sockit/detail/tcp_extras.hpp",
           "    return ec == std::errc::protocol_not_supported ||",
           "    return false &&",
           ["test_tcp_extras.cpp"], ["Multipath TCP falls back to plain TCP where the system refuses it"],
           why="a refused MPTCP socket is an error instead of a plain TCP socket"),
    Mutant("reply-from-wrong-address", "UDP destination", "sockit/detail/packet_info.hpp",
           "        msg.msg_control = nullptr; // no source: the system's choice",
           "        msg.msg_control = nullptr; // no source: the system's choice\n    }\n    {\n        msg.msg_control = nullptr;\n        msg.msg_controllen = 0;",
           ["test_udp_route.cpp"], ["A wildcard-bound UDP server learns each datagram's destination and replies from it"],
           why="send_from sends without its source address: the reply leaves from another address"),
]


# The documents whose cited tests must exist.
DOCS = ["docs/features.md", "docs/reliability.md"]


def fail(message):
    print(f"mutation: {message}", file=sys.stderr)
    sys.exit(2)


def catch_filter(cases):
    # Catch2's test spec: names separated by commas; commas, brackets and backslashes in a
    # name are escaped with a backslash.
    return ",".join(re.sub(r"([\\,\[\]])", r"\\\1", c) for c in cases)


def find_test_file(name):
    for dirpath, _, files in os.walk(os.path.join(ROOT, "tests")):
        if name in files:
            return os.path.join(dirpath, name)
    return None


def test_names(path):
    """The TEST_CASE and SECTION names in a test file."""
    text = open(path, encoding="utf-8").read()
    names = set()
    for m in re.finditer(r'\b(TEST_CASE|SECTION|TEMPLATE_TEST_CASE)\s*\(\s*"((?:[^"\\]|\\.)*)"', text):
        names.add(m.group(2).replace('\\"', '"'))
    return names


def check_docs(docs):
    """Every test a document cites as `file.cpp: "name"` (and further "names" after it,
    separated by commas or ` / ` for sections) exists in that file. Returns the (file, name)
    pairs cited as proofs (the mutation section's own table, which names each mutant's test,
    is checked but not counted) and the failures."""
    failures = []
    cited = set()
    checked = set()
    for doc in docs:
        text = open(os.path.join(ROOT, doc), encoding="utf-8").read()
        in_mutation_section = False
        for lineno, line in enumerate(text.splitlines(), 1):
            if line.startswith("## "):
                in_mutation_section = line.startswith("## Mutation testing")
            for m in re.finditer(r"(test_\w+\.cpp):((?:[\s,/`]*\"[^\"]*\")+)", line):
                path = find_test_file(m.group(1))
                if path is None:
                    failures.append(f"{doc}:{lineno}: {m.group(1)} is not in tests/")
                    continue
                names = test_names(path)
                for quoted in re.findall(r"\"([^\"]*)\"", m.group(2)):
                    checked.add((m.group(1), quoted))
                    if not in_mutation_section:
                        cited.add((m.group(1), quoted))
                    # "..." marks an abbreviated name: the rest must be part of one.
                    core = quoted.strip().strip(".…").strip()
                    if quoted in names or (core != quoted.strip() and any(core in n for n in names)):
                        continue
                    failures.append(f'{doc}:{lineno}: {m.group(1)} has no test case or section "{quoted}"')
    check_docs.checked = len(checked)
    return cited, failures


def is_cited(test_file, case, cited):
    """Whether `case` of `test_file` is among the cited names (an abbreviated one included)."""
    for f, quoted in cited:
        core = quoted.strip().strip(".…").strip()
        if f == test_file and (quoted == case or (core != quoted.strip() and core in case)):
            return True
    return False


def have(cmd):
    return shutil.which(cmd) is not None


def compiler():
    cxx = os.environ.get("CXX", "g++")
    return (["ccache"] if have("ccache") and os.environ.get("SOCKIT_MUTATION_CCACHE", "1") != "0" else []) + [cxx]


def catch_flags():
    if os.path.exists("/usr/include/catch2/catch_all.hpp") or os.path.exists("/usr/local/include/catch2/catch_all.hpp"):
        return ["-DSOCKIT_CATCH2_V3"], ["-lCatch2Main", "-lCatch2"]
    for lib in ("/usr/lib/libCatch2WithMain.a", "/usr/local/lib/libCatch2WithMain.a",
                "/usr/lib/x86_64-linux-gnu/libCatch2WithMain.a"):
        if os.path.exists(lib):
            return [], [lib]
    fail("Catch2 not found (Debian: apt-get install catch2)")


def build(include_root, tests, out, log):
    """Compiles `tests` against `include_root` into the program `out`; False if it fails."""
    cflags, libs = catch_flags()
    objects = []
    for t in tests:
        src = find_test_file(t)
        obj = os.path.join(os.path.dirname(out), os.path.basename(out) + "-" + t + ".o")
        cmd = compiler() + ["-std=c++17", "-O0", "-w", "-I", include_root] + cflags + ["-c", src, "-o", obj]
        if subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
            return False
        objects.append(obj)
    cmd = [os.environ.get("CXX", "g++")] + objects + libs + ["-pthread", "-ldl", "-o", out]
    return subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT).returncode == 0


def run(program, cases, log, timeout):
    """Runs the test cases; returns (exit status, or None on timeout)."""
    try:
        r = subprocess.run([program, catch_filter(cases)], stdout=log, stderr=subprocess.STDOUT, timeout=timeout,
                           cwd=ROOT)
        return r.returncode
    except subprocess.TimeoutExpired:
        return None


def copy_include(dest):
    if os.path.exists(dest):
        shutil.rmtree(dest)
    shutil.copytree(os.path.join(ROOT, "include"), dest)


def apply(mutant, include_root):
    path = os.path.join(include_root, mutant.path)
    text = open(path, encoding="utf-8").read()
    count = text.count(mutant.old)
    if count != 1:
        fail(f"mutant {mutant.name}: the text to change occurs {count} times in include/{mutant.path} "
             f"(exactly once expected): update the mutant to the current source\n--- text:\n{mutant.old}")
    mutated = text.replace(mutant.old, mutant.new)
    assert mutated != text
    open(path, "w", encoding="utf-8").write(mutated)


def main():
    ap = argparse.ArgumentParser(description="sockit's mutation test")
    ap.add_argument("--ci", action="store_true", help="only the reduced set CI runs")
    ap.add_argument("--only", action="append", default=[], help="only this mutant (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the mutants and exit")
    ap.add_argument("--check-docs", action="store_true", help="only check the tests the documents cite")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per test run (default 120)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()

    mutants = MUTANTS
    if args.ci:
        mutants = [m for m in mutants if m.ci]
    if args.only:
        unknown = set(args.only) - {m.name for m in MUTANTS}
        if unknown:
            fail("no such mutant: " + ", ".join(sorted(unknown)))
        mutants = [m for m in mutants if m.name in args.only]
    if args.list:
        cited, _ = check_docs(DOCS)
        for m in mutants:
            documented = [c for c in m.cases if any(is_cited(t, c, cited) for t in m.tests)]
            print(f"{m.name:28} {m.family:16} {'ci' if m.ci else '  '} "
                  f"{'cited' if documented else '     '} {', '.join(m.tests)}: {m.why}")
        return 0

    # The documents' citations, and the mutants' own test cases, name tests that exist.
    cited, failures = check_docs(DOCS)
    for m in mutants:
        for t in m.tests:
            path = find_test_file(t)
            if path is None:
                failures.append(f"mutant {m.name}: no test file {t}")
                continue
        names = set().union(*(test_names(find_test_file(t)) for t in m.tests if find_test_file(t)))
        for c in m.cases:
            if c not in names:
                failures.append(f'mutant {m.name}: no test case "{c}" in {", ".join(m.tests)}')
    for f in failures:
        print("FAIL - " + f)
    print(f"cited tests: {check_docs.checked} test names checked, {len(failures)} missing")
    if failures:
        return 2
    if args.check_docs:
        return 0

    work = tempfile.mkdtemp(prefix="sockit-mutation-")
    start = time.time()
    try:
        logpath = os.path.join(work, "log.txt")
        log = open(logpath, "w")
        # The same test cases on the unmutated source must pass (one program per set of files).
        original = os.path.join(work, "original", "include")
        copy_include(original)
        programs = {}
        for m in mutants:
            key = tuple(m.tests)
            if key not in programs:
                programs[key] = os.path.join(work, "original-" + "-".join(t[:-4] for t in key))
                log.write(f"=== build original {key}\n")
                log.flush()
                if not build(original, m.tests, programs[key], log):
                    log.close()
                    print(open(logpath).read()[-4000:])
                    fail(f"the tests {', '.join(key)} do not build against the unmutated source")
            baseline = os.path.join(work, "original-" + m.name + ".txt")
            with open(baseline, "w") as blog:
                status = run(programs[key], m.cases, blog, args.timeout)
            output = open(baseline).read()
            if status != 0:
                print(output[-4000:])
                fail(f"mutant {m.name}: its test cases fail on the unmutated source (status {status})")
            # Catch2 exits 0 when no test case matches: each named one must have run.
            ran = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", output)
            if ran is None or int(ran.group(1)) != len(m.cases):
                print(output[-4000:])
                fail(f"mutant {m.name}: the filter {catch_filter(m.cases)!r} did not run its {len(m.cases)} test cases")
        print(f"baseline: the killing test cases pass on the unmutated source ({time.time() - start:.0f} s)")

        results = []
        for m in mutants:
            t0 = time.time()
            root = os.path.join(work, "mutant", "include")
            copy_include(root)
            apply(m, root)
            program = os.path.join(work, "mutant-" + m.name)
            mlog = open(os.path.join(work, m.name + ".txt"), "w")
            if not build(root, m.tests, program, mlog):
                mlog.close()
                print(open(os.path.join(work, m.name + ".txt")).read()[-4000:])
                fail(f"mutant {m.name} does not compile: a mutant must be a bug, not a syntax error")
            status = run(program, m.cases, mlog, args.timeout)
            mlog.close()
            killed = status != 0
            how = "timed out" if status is None else f"exit {status}" if status >= 0 else f"signal {-status}"
            results.append((m, killed, how))
            print(f"{'killed  ' if killed else 'SURVIVED'} {m.name:28} {m.family:16} {time.time() - t0:5.1f} s  "
                  f"{how:9}  {', '.join(m.tests)}: {' / '.join(m.cases)}", flush=True)
            if not killed:
                print(f"         {m.why}; log: {os.path.join(work, m.name + '.txt')}")
                args.keep = True
        killed = sum(1 for _, k, _ in results if k)
        print(f"mutation score: {killed}/{len(results)} killed "
              f"({100.0 * killed / len(results):.0f} %) in {time.time() - start:.0f} s")
        return 0 if killed == len(results) else 1
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
