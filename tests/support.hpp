// SPDX-License-Identifier: MIT
// Shared test helpers: the Catch2 2/3 include, skips, descriptor counting, threads that
// are always joined, and deadlines.
#pragma once

#ifdef SOCKIT_CATCH2_V3
#include <catch2/catch_all.hpp>
#include <catch2/reporters/catch_reporter_event_listener.hpp>
#include <catch2/reporters/catch_reporter_registrars.hpp>
#else
#define CATCH_CONFIG_EXTERNAL_INTERFACES // the listener base and registrar (SkipListener)
#include <catch2/catch.hpp>
#endif

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifndef _WIN32
#include <atomic>
#include <fstream>
#include <iterator>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <sockit/sockit.hpp>

namespace sockit_test {

// Skips. A test that cannot run on this host calls SOCKIT_SKIP(reason), which records the
// skip and returns. Whether the host can run it is decided with the system's own calls, never
// with sockit's: a sockit bug must fail a test, not skip it. A skip
//  - prints "SKIP: <test case>: <reason>" on stderr;
//  - appends "<test case>: <reason>" to the skip log, $SOCKIT_SKIP_LOG or else
//    SOCKIT_SKIP_LOG_DEFAULT (CMake: skipped.log in the build directory), with one write(2)
//    in O_APPEND mode, so that test processes running side by side never mix their lines;
//  - is a failure instead when SOCKIT_REQUIRE_ALL=1 (CI sets it): a check that cannot run
//    there must not pass unseen.
// A test case that skipped and had no failure ends with "SKIPPED: <test case> (...)" on stderr,
// which CTest's SKIP_REGULAR_EXPRESSION (tests/CMakeLists.txt) counts as a skipped test; a
// test case whose other sections failed is reported failed, never skipped.

#ifndef SOCKIT_SKIP_LOG_DEFAULT
#define SOCKIT_SKIP_LOG_DEFAULT "skipped.log"
#endif

/// True when the environment says SOCKIT_REQUIRE_ALL=1: a skip is then a failure.
inline bool skips_fail() {
    const char* value = std::getenv("SOCKIT_REQUIRE_ALL");
    return value != nullptr && std::strcmp(value, "1") == 0;
}

/// Where skips are recorded: $SOCKIT_SKIP_LOG if set and not empty, else SOCKIT_SKIP_LOG_DEFAULT.
inline std::string skip_log_path() {
    const char* value = std::getenv("SOCKIT_SKIP_LOG");
    return value != nullptr && *value != '\0' ? value : SOCKIT_SKIP_LOG_DEFAULT;
}

/// The skips of the running test case (SkipListener resets it as each test case starts).
inline int& skips_in_test_case() {
    static int count = 0;
    return count;
}

/// Appends `line` to the file at `path` with one write in append mode. False if it could not.
inline bool append_line(const std::string& path, const std::string& line) {
#ifdef _WIN32
    std::FILE* out = std::fopen(path.c_str(), "ab");
    if (out == nullptr) return false;
    bool ok = std::fwrite(line.data(), 1, line.size(), out) == line.size();
    return std::fclose(out) == 0 && ok;
#else
    int out = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) return false;
    bool ok = ::write(out, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    return ::close(out) == 0 && ok;
#endif
}

/// Records that the running test skips its check for `reason` (see above); under
/// SOCKIT_REQUIRE_ALL=1 fails the test instead. Use SOCKIT_SKIP, which also returns.
inline void skip(const std::string& reason) {
    const std::string test = Catch::getResultCapture().getCurrentTestName();
    std::fprintf(stderr, "SKIP: %s: %s\n", test.c_str(), reason.c_str());
    std::fflush(stderr);
    if (skips_fail()) FAIL("skipped, which SOCKIT_REQUIRE_ALL=1 makes a failure: " << reason);
    ++skips_in_test_case();
    const std::string log = skip_log_path();
    if (!append_line(log, test + ": " + reason + "\n"))
        std::fprintf(stderr, "SKIP: the skip log %s cannot be written: %s\n", log.c_str(), std::strerror(errno));
}

/// Counts a test case that skipped, without a failure, as skipped for CTest (see above).
#ifdef SOCKIT_CATCH2_V3
class SkipListener : public Catch::EventListenerBase {
public:
    using Catch::EventListenerBase::EventListenerBase;
#else
class SkipListener : public Catch::TestEventListenerBase {
public:
    using Catch::TestEventListenerBase::TestEventListenerBase;
#endif
    void testCaseStarting(const Catch::TestCaseInfo& info) override {
        skips_in_test_case() = 0;
#ifndef SOCKIT_CATCH2_V3
        Catch::TestEventListenerBase::testCaseStarting(info);
#else
        (void)info;
#endif
    }
    void testCaseEnded(const Catch::TestCaseStats& stats) override {
        if (skips_in_test_case() > 0 && stats.totals.assertions.failed == 0) {
#ifdef SOCKIT_CATCH2_V3
            const std::string& name = stats.testInfo->name;
#else
            const std::string& name = stats.testInfo.name;
#endif
            std::fprintf(stderr, "SKIPPED: %s (%d skip%s, no failure)\n", name.c_str(), skips_in_test_case(),
                         skips_in_test_case() == 1 ? "" : "s");
            std::fflush(stderr);
        }
#ifndef SOCKIT_CATCH2_V3
        Catch::TestEventListenerBase::testCaseEnded(stats);
#endif
    }
};

#ifdef SOCKIT_CATCH2_V3
inline const Catch::ListenerRegistrar<SkipListener> skip_listener("sockit-skips");
#else
inline const Catch::ListenerRegistrar<SkipListener> skip_listener;
#endif

/// A matcher for messages containing `text` (Catch2 2 and 3 name it differently).
inline auto contains(const std::string& text) {
#ifdef SOCKIT_CATCH2_V3
    return Catch::Matchers::ContainsSubstring(text);
#else
    return Catch::Matchers::Contains(text);
#endif
}

/// The number of descriptors open in this process (entries of /proc/self/fd), or -1 if
/// that cannot be counted: no /proc, or Windows (where wine's /proc is wine's own).
inline int open_fds() {
#ifdef _WIN32
    return -1;
#else
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    int count = 0;
    while (::readdir(dir) != nullptr) ++count;
    ::closedir(dir);
    return count - 3; // ".", ".." and the directory's own descriptor
#endif
}

/// Put first in a test case: at the end, checks that no descriptor leaked (where
/// `open_fds` can count them; elsewhere it checks nothing).
class FdLeakCheck {
public:
    FdLeakCheck() : before_(open_fds()) {}
    FdLeakCheck(const FdLeakCheck&) = delete;
    FdLeakCheck& operator=(const FdLeakCheck&) = delete;
    ~FdLeakCheck() {
        if (before_ >= 0) CHECK(open_fds() == before_);
    }

private:
    int before_;
};

/// A thread that is joined when it goes out of scope, whatever happens.
class JoinedThread {
public:
    template <class F>
    explicit JoinedThread(F&& f) : thread_(std::forward<F>(f)) {}
    JoinedThread(const JoinedThread&) = delete;
    JoinedThread& operator=(const JoinedThread&) = delete;
    ~JoinedThread() { join(); }
    void join() {
        if (thread_.joinable()) thread_.join();
    }

private:
    std::thread thread_;
};

/// A point in time a test must not wait beyond.
class Deadline {
public:
    explicit Deadline(std::chrono::milliseconds limit) : at_(std::chrono::steady_clock::now() + limit) {}
    bool expired() const { return std::chrono::steady_clock::now() >= at_; }

private:
    std::chrono::steady_clock::time_point at_;
};

/// Measures how long `f` takes.
template <class F>
std::chrono::milliseconds elapsed(F&& f) {
    auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

#ifndef _WIN32
/// The calling thread's id, for /proc/self/task.
inline long this_thread_id() { return static_cast<long>(::syscall(SYS_gettid)); }

/// Waits (at most 2 s) until thread `tid` sleeps, i.e. is blocked in its system call
/// (its state in /proc/self/task/TID/stat is 'S'). False if that was never seen.
inline bool wait_until_blocked(const std::atomic<long>& tid) {
    Deadline deadline(std::chrono::milliseconds(2000));
    while (!deadline.expired()) {
        if (tid != 0) {
            std::ifstream stat("/proc/self/task/" + std::to_string(tid.load()) + "/stat");
            std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
            auto close_paren = text.rfind(')');
            if (close_paren != std::string::npos && close_paren + 2 < text.size() && text[close_paren + 2] == 'S')
                return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}

/// The system call thread `tid` of this process is sleeping in (the first number of
/// /proc/self/task/TID/syscall); -1 if it is running, or -2 if that cannot be read.
inline long blocked_syscall(long tid) {
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/syscall");
    if (!in) return -2;
    std::string first;
    in >> first;
    if (first.empty()) return -2;
    if (first == "running") return -1;
    try {
        return std::stol(first);
    } catch (const std::exception&) {
        return -2;
    }
}

/// True if thread `tid` sleeps in one of the system calls `calls` (SYS_recvfrom, SYS_accept4,
/// ...) now. Where /proc does not say which call a thread is in, a sleeping thread is taken
/// as sleeping in it.
inline bool is_blocked_in(long tid, const std::vector<long>& calls) {
    std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto close_paren = text.rfind(')');
    if (close_paren == std::string::npos || close_paren + 2 >= text.size() || text[close_paren + 2] != 'S')
        return false;
    const long call = blocked_syscall(tid);
    if (call == -2) return true;
    for (long expected : calls)
        if (call == expected) return true;
    return false;
}

/// Waits (at most 2 s) until thread `tid` sleeps in one of the system calls `calls`: proof
/// that the call under test has started waiting in the kernel. False if that was never seen.
inline bool wait_until_blocked_in(const std::atomic<long>& tid, const std::vector<long>& calls) {
    Deadline deadline(std::chrono::milliseconds(2000));
    while (!deadline.expired()) {
        if (tid != 0 && is_blocked_in(tid, calls)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
}
#endif

#ifdef __linux__
/// What Linux reports back for SO_RCVBUF or SO_SNDBUF set to `requested`: twice the value
/// (room for its bookkeeping), the value first capped at /proc/sys/net/core/rmem_max
/// (`limit` "rmem_max") or wmem_max. -1 if the limit cannot be read.
inline int linux_buffer_size(int requested, const std::string& limit) {
    std::ifstream in("/proc/sys/net/core/" + limit);
    long max = -1;
    if (!(in >> max) || max <= 0) return -1;
    return 2 * static_cast<int>(requested < max ? requested : max);
}
#endif

#ifndef _WIN32
/// In a (child) process: enters the new namespaces `flags` names (CLONE_NEWNS, CLONE_NEWNET),
/// inside a new user namespace of which it is root when it lacks the privilege. 0 on success,
/// 3 if unshare(2) failed, 4 if the user namespace's id maps could not be written.
inline int enter_namespaces(int flags) {
    if (::unshare(flags) == 0) return 0;
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | flags) != 0) return 3;
    auto write_file = [](const char* file, const std::string& text) {
        int out = ::open(file, O_WRONLY);
        bool ok = out >= 0 && ::write(out, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (out >= 0) ::close(out);
        return ok;
    };
    write_file("/proc/self/setgroups", "deny");
    if (!write_file("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_file("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
        return 4;
    return 0;
}

/// In a child process: runs `f` and ends the process with its result (107 if it threw).
template <class F>
[[noreturn]] void exit_with(F&& f) {
    int result = 1;
    try {
        result = f();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "child process: %s\n", e.what());
        result = 107;
    } catch (...) {
        result = 107;
    }
    ::_exit(result);
}

/// Waits for child process `pid` (at most 20 s, then kills it): its exit status, 108 if
/// there is no child, 109 if it did not exit normally, 200 if it was killed.
inline int wait_for_child(pid_t pid) {
    if (pid <= 0) return 108;
    int status = 0;
    Deadline deadline(std::chrono::milliseconds(20000));
    for (;;) {
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 109;
        if (deadline.expired()) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            return 200;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

/**
 * Runs `f` in a child process whose /etc/hosts reads `hosts` (a mount namespace of its own,
 * inside a user namespace when not root), so that a test can give a name the addresses it
 * needs. Returns `f`'s result (0: success), or 100 + a step if the child could not be set
 * up, or 200 if it did not end within 20 s (it is then killed).
 */
template <class F>
int with_hosts_file(const std::string& hosts, F&& f) {
    char path[] = "/tmp/sockit-hosts-XXXXXX";
    int fd = ::mkstemp(path);
    if (fd < 0) return 101;
    bool written = ::write(fd, hosts.data(), hosts.size()) == static_cast<ssize_t>(hosts.size());
    ::close(fd);
    if (!written) return 102;
    std::fflush(nullptr); // nothing buffered is written twice
    pid_t pid = ::fork();
    if (pid == 0) {
        if (int failed = enter_namespaces(CLONE_NEWNS)) ::_exit(100 + failed);
        if (::mount("none", "/", "none", MS_REC | MS_PRIVATE, nullptr) != 0) ::_exit(105);
        if (::mount(path, "/etc/hosts", "none", MS_BIND, nullptr) != 0) ::_exit(106);
        exit_with(f);
    }
    int result = wait_for_child(pid);
    ::unlink(path);
    return result;
}

#ifdef __linux__
/// in_private_network's result when the system gives no network namespace (the test skips).
constexpr int no_network_namespace = 103;

/**
 * Runs `f` in a child process with a network namespace of its own (inside a user namespace
 * when not root) whose loopback interface is up, so that a test can set up the interface or
 * its routes as it needs without touching the machine's. Returns `f`'s result (0: success),
 * no_network_namespace if the system refused the namespace, another 100 + a step if the child
 * could not be set up, or 200 if it did not end within 20 s (it is then killed).
 */
template <class F>
int in_private_network(F&& f) {
    std::fflush(nullptr); // nothing buffered is written twice
    pid_t pid = ::fork();
    if (pid == 0) {
        if (int failed = enter_namespaces(CLONE_NEWNET)) ::_exit(100 + failed);
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ::ifreq lo{};
        std::strcpy(lo.ifr_name, "lo");
        if (fd < 0 || ::ioctl(fd, SIOCGIFFLAGS, &lo) != 0) ::_exit(105);
        lo.ifr_flags = static_cast<short>(lo.ifr_flags | IFF_UP);
        if (::ioctl(fd, SIOCSIFFLAGS, &lo) != 0) ::_exit(106);
        ::close(fd);
        exit_with(f);
    }
    return wait_for_child(pid);
}
#endif
#endif

/// A connected TCP pair on 127.0.0.1: {client side, server side}.
inline std::pair<sockit::TcpStream, sockit::TcpStream> tcp_pair(sockit::Family family = sockit::Family::v4) {
    sockit::TcpServer server(family == sockit::Family::v6 ? "::1" : "127.0.0.1", 0);
    sockit::TcpClient client(family == sockit::Family::v6 ? "::1" : "127.0.0.1", server.port());
    auto accepted = server.accept();
    return {std::move(client), std::move(accepted.first)};
}

/// The loopback interface's index: "lo" on POSIX systems; on Windows, whose interface names
/// sockit does not look up, the loopback pseudo-interface, which is always 1.
inline unsigned loopback_index() {
#ifdef _WIN32
    return 1;
#else
    std::error_code ec;
    return sockit::interface_index("lo", ec); // 0 if there is none
#endif
}

/// True if this machine can bind ::1 (IPv6 tests are skipped otherwise). Decided with the
/// system's own calls, never sockit's: a broken IPv6 bind in sockit must fail its tests, not
/// skip them.
inline bool has_ipv6() {
#ifdef _WIN32
    std::error_code ec;
    auto s = sockit::Socket::open(sockit::Family::v6, sockit::SocketType::stream, 0, ec);
    if (ec) return false;
    s.bind(sockit::Address::loopback(sockit::Family::v6), ec);
    return !ec;
#else
    int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    ::sockaddr_in6 loopback{};
    loopback.sin6_family = AF_INET6;
    loopback.sin6_addr = in6addr_loopback;
    bool ok = ::bind(fd, reinterpret_cast<const ::sockaddr*>(&loopback), sizeof loopback) == 0;
    ::close(fd);
    return ok;
#endif
}

/// A port on `host` that nothing listens on (bound once, then released).
inline std::uint16_t free_port(const char* host = "127.0.0.1") {
    sockit::Address any(host, 0);
    sockit::Socket s(any.family(), sockit::SocketType::stream);
    s.bind(any);
    return s.local_address().port();
}

#ifndef _WIN32
/// A listener whose accept queue is full, so that further connects hang (on Linux).
struct FullListener {
    sockit::Socket listener;
    std::vector<sockit::Socket> queued;
    bool full = false; ///< false if the system completed every connect (then skip the test)
};

/**
 * Listens on 127.0.0.1 with backlog 0 and connects, never accepting, until a connect does not
 * complete within 100 ms. `queued` keeps the connections that completed. All of it is done
 * with the system's own calls (socket, bind, listen, a non-blocking connect and poll), the
 * listener then adopted with Socket::from_fd: whether the queue is full never depends on
 * sockit's connect or its timeout, which the tests that use this check.
 */
inline std::unique_ptr<FullListener> fill_accept_queue() {
    auto out = std::make_unique<FullListener>();
    ::sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::socklen_t size = sizeof to;
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(listener >= 0);
    out->listener = sockit::Socket::from_fd(listener);
    REQUIRE(::bind(listener, reinterpret_cast<const ::sockaddr*>(&to), sizeof to) == 0);
    REQUIRE(::listen(listener, 0) == 0);
    REQUIRE(::getsockname(listener, reinterpret_cast<::sockaddr*>(&to), &size) == 0);
    for (int i = 0; i < 16 && !out->full; ++i) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        sockit::Socket kept = sockit::Socket::from_fd(fd); // closes it whatever happens
        if (::connect(fd, reinterpret_cast<const ::sockaddr*>(&to), sizeof to) != 0) {
            REQUIRE(errno == EINPROGRESS);
            ::pollfd wait{fd, POLLOUT, 0};
            int ready = ::poll(&wait, 1, 100);
            REQUIRE(ready >= 0);
            if (ready == 0) {
                out->full = true; // closed here: its retransmitted SYN would take any room made later
                break;
            }
            int error = 0;
            ::socklen_t length = sizeof error;
            REQUIRE(::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
            REQUIRE(error == 0);
        }
        out->queued.push_back(std::move(kept));
    }
    return out;
}
#endif

} // namespace sockit_test

/// Skips the rest of the running test for `reason` (text and `<<`-streamed values) and
/// returns from the enclosing function, which must return void: see sockit_test::skip.
/// In a SECTION, use it only in the test case's last one: Catch2 finds a test case's sections
/// as it runs through it, so it would never reach those after a section that returned.
#define SOCKIT_SKIP(reason)                                                                                            \
    do {                                                                                                               \
        std::ostringstream sockit_skip_reason_;                                                                        \
        sockit_skip_reason_ << reason;                                                                                 \
        sockit_test::skip(sockit_skip_reason_.str());                                                                  \
        return;                                                                                                        \
    } while (false)
