// SPDX-License-Identifier: MIT
// Out of descriptors: a TcpServer accept loop in a child process with a lowered
// RLIMIT_NOFILE meets EMFILE while clients keep connecting. It must neither spin
// nor die, and it serves the waiting clients once descriptors are free again.
#include "support.hpp"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using sockit_test::JoinedThread;

namespace {

/// What the child reports at the end.
struct Report {
    long failed_accepts = 0;  ///< accept calls that failed with EMFILE or ENFILE
    long cpu_us = 0;          ///< CPU time (all threads) from the first EMFILE to recovery
    long wall_us = 0;         ///< wall-clock time over the same window
    bool typed_error = false; ///< the throwing accept() threw an Error with EMFILE and a clear message
    // The library's own calls while out of descriptors, each timed on the calling thread:
    bool wait_timed_out = false; ///< a UDP recv with a 300 ms timeout ended in timed_out
    long wait_cpu_us = 0;        ///< its CPU time (CLOCK_THREAD_CPUTIME_ID)
    long wait_wall_us = 0;       ///< its wall-clock time
    bool accept_emfile = false;  ///< an accept with a 300 ms timeout on an idle listener ended in EMFILE
    long accept_cpu_us = 0;
    long accept_wall_us = 0;
};

long thread_cpu_now_us() {
    ::timespec t{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<long>(t.tv_sec) * 1000000L + t.tv_nsec / 1000;
}

long cpu_now_us() {
    ::rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L + usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

long wall_now_us() {
    return static_cast<long>(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
}

bool out_of_descriptors(const std::error_code& ec) {
    return ec == std::errc::too_many_files_open || ec == std::errc::too_many_files_open_in_system;
}

void write_all(int fd, const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) ::_exit(4);
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

/// Reads `size` bytes from `fd`, waiting at most `limit` in all; false on timeout or end of file.
bool read_all(int fd, void* data, std::size_t size, std::chrono::milliseconds limit) {
    sockit_test::Deadline deadline(limit);
    char* p = static_cast<char*>(data);
    while (size > 0) {
        if (deadline.expired()) return false;
        ::pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 50) <= 0) continue;
        ssize_t n = ::read(fd, p, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

/// Lowers RLIMIT_NOFILE so that exactly `spare` more descriptors can be opened (new
/// descriptors take the lowest free numbers below the limit; those open above it stay valid).
void leave_spare_descriptors(int spare) {
    int limit = 0;
    for (int free_slots = 0; free_slots < spare; ++limit) {
        if (::fcntl(limit, F_GETFD) == -1) ++free_slots;
    }
    ::rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = static_cast<rlim_t>(limit);
    if (::setrlimit(RLIMIT_NOFILE, &rl) != 0) ::_exit(5);
}

/// The child's state, shared by its threads.
struct Child {
    sockit::TcpServer& server;
    sockit::UdpSocket& idle;        ///< nothing is ever sent to it
    sockit::TcpServer& idle_server; ///< no client ever connects to it
    int out;
    std::mutex mutex;
    Report report;
    long cpu_start = 0;
    long wall_start = 0;
};

/// Times, on this thread, two of the library's calls with a 300 ms timeout while the process
/// has no descriptor left: a recv that must wait it out (it must sleep in the kernel, not
/// poll in a loop), and an accept on an idle listener (EMFILE: it must fail at once, not
/// retry until its deadline).
void measure_library_calls(Child& child) {
    char buf[16];
    std::error_code ec;
    long cpu = thread_cpu_now_us(), wall = wall_now_us();
    child.idle.recv(buf, sizeof buf, ec);
    const long wait_cpu = thread_cpu_now_us() - cpu, wait_wall = wall_now_us() - wall;
    const bool timed_out = ec == std::errc::timed_out;
    cpu = thread_cpu_now_us();
    wall = wall_now_us();
    child.idle_server.accept(ec);
    const long accept_cpu = thread_cpu_now_us() - cpu, accept_wall = wall_now_us() - wall;
    std::lock_guard<std::mutex> lock(child.mutex);
    child.report.wait_timed_out = timed_out;
    child.report.wait_cpu_us = wait_cpu;
    child.report.wait_wall_us = wait_wall;
    child.report.accept_emfile = out_of_descriptors(ec);
    child.report.accept_cpu_us = accept_cpu;
    child.report.accept_wall_us = accept_wall;
}

/// Accepts one client with the documented loop, then echoes until the client closes.
/// On EMFILE or ENFILE it backs off (50 ms) and tries again: the pending connection stays
/// queued, so accepting again at once would fail at once, forever, at 100 % CPU.
void accept_and_echo(Child& child) {
    for (;;) {
        std::error_code ec;
        bool after_failure = false;
        {
            std::lock_guard<std::mutex> lock(child.mutex);
            after_failure = child.report.failed_accepts > 0;
        }
        auto accepted = child.server.accept(ec);
        if (out_of_descriptors(ec)) {
            bool first = false;
            {
                std::lock_guard<std::mutex> lock(child.mutex);
                first = child.report.failed_accepts++ == 0;
                if (first) {
                    child.cpu_start = cpu_now_us();
                    child.wall_start = wall_now_us();
                    try {
                        child.server.accept();
                    } catch (const sockit::Error& e) {
                        child.report.typed_error = out_of_descriptors(e.code()) &&
                                                   std::string(e.what()).find("accept 127.0.0.1:") == 0;
                    }
                }
            }
            if (first) {
                measure_library_calls(child);
                write_all(child.out, "E", 1); // the parent starts its measuring window
            }
        }
        if (out_of_descriptors(ec)) {
            std::this_thread::sleep_for(50ms);
            continue;
        }
        if (ec) ::_exit(3);
        {
            std::lock_guard<std::mutex> lock(child.mutex);
            if (after_failure && child.report.wall_us == 0) { // the first accept of the recovery
                child.report.cpu_us = cpu_now_us() - child.cpu_start;
                child.report.wall_us = wall_now_us() - child.wall_start;
            }
        }
        sockit::TcpStream& stream = accepted.first;
        char buf[64];
        while (std::size_t n = stream.recv(buf, sizeof buf, ec)) {
            if (ec || stream.send_all(buf, n, ec) != n) break;
        }
        return;
    }
}

/**
 * The child: a server with a thread per client, which can hold 3 clients at a time.
 * It tells the parent so, serves those and `waiting` more, and reports on `out`.
 * Its threads start before the descriptors run out, each accepting its own client:
 * a sanitizer's runtime needs a descriptor to check a type the first time (a new
 * thread's state, an exception), which it could not get afterwards.
 */
[[noreturn]] void serve_with_few_descriptors(sockit::TcpServer& server, int waiting, int out) {
    const int capacity = 3;
    // Opened while descriptors are free; each call path used once, so that nothing the
    // measured calls do needs a descriptor for the first time.
    sockit::UdpSocket idle("127.0.0.1", 0);
    sockit::TcpServer idle_server("127.0.0.1", 0);
    idle.set_timeout(std::chrono::milliseconds(1));
    idle_server.set_blocking(false); // a timed accept that waited would wait first next time
    {
        char buf[16];
        std::error_code ec;
        idle.recv(buf, sizeof buf, ec);
        if (ec != std::errc::timed_out) ::_exit(8); // also the first check of sockit's error category
        idle_server.accept(ec);
        if (out_of_descriptors(ec)) ::_exit(9);
        (void)thread_cpu_now_us();
    }
    idle.set_timeout(300ms);
    idle_server.set_timeout(300ms);
    Child child{server, idle, idle_server, out, {}, {}, 0, 0};
    std::atomic<bool> go{false};
    std::vector<std::unique_ptr<JoinedThread>> workers;
    for (int i = 0; i < capacity + waiting; ++i) {
        workers.push_back(std::make_unique<JoinedThread>([&] {
            while (!go) std::this_thread::sleep_for(1ms);
            accept_and_echo(child);
        }));
    }
    // The first check of the types used from here on, while a descriptor is free.
    bool checked = out_of_descriptors(std::error_code()) ||
                   !out_of_descriptors(std::error_code(EMFILE, std::generic_category()));
    try {
        sockit::detail::throw_error(std::error_code(EMFILE, std::generic_category()), "accept");
    } catch (const sockit::Error& e) {
        checked = checked || !out_of_descriptors(e.code()) || e.what() == nullptr;
    }
    if (checked) ::_exit(7);
    leave_spare_descriptors(capacity);
    write_all(out, &capacity, sizeof capacity);
    go = true;
    workers.clear(); // joins: each ends when its client closes
    write_all(out, &child.report, sizeof child.report);
    ::_exit(0);
}

/// Sends one byte and waits (at most 5 s) for its echo.
bool echoes(sockit::TcpClient& client, char byte) {
    std::error_code ec;
    client.send_all(std::string(1, byte), ec);
    char back = 0;
    return !ec && client.recv_exactly(&back, 1, ec) == 1 && back == byte;
}

} // namespace

TEST_CASE("an accept loop out of descriptors neither spins nor dies, and recovers", "[tcp][limits]") {
    sockit_test::FdLeakCheck leaks;
    const int waiting = 5; // clients that connect while the server has no descriptor left
    sockit::Address where;
    int from_child = -1;
    pid_t child = -1;
    {
        sockit::TcpServer server("127.0.0.1", 0);
        where = server.local_address();
        int pipe_fds[2];
        REQUIRE(::pipe2(pipe_fds, O_CLOEXEC) == 0);
        child = ::fork();
        REQUIRE(child >= 0);
        if (child == 0) {
            ::close(pipe_fds[0]);
            serve_with_few_descriptors(server, waiting, pipe_fds[1]);
        }
        ::close(pipe_fds[1]);
        from_child = pipe_fds[0];
    }               // only the child holds the listener now
    struct Reaper { // the child never outlives the test, whatever fails
        pid_t pid;
        int fd;
        ~Reaper() {
            int status = 0;
            if (pid > 0 && ::waitpid(pid, &status, WNOHANG) == 0) {
                ::kill(pid, SIGKILL);
                ::waitpid(pid, &status, 0);
            }
            ::close(fd);
        }
    } reaper{child, from_child};

    int capacity = 0;
    REQUIRE(read_all(from_child, &capacity, sizeof capacity, 5s));
    REQUIRE(capacity > 0);
    REQUIRE(capacity < 50);
    std::vector<sockit::TcpClient> served;
    for (int i = 0; i < capacity; ++i) {
        served.emplace_back(where);
        served.back().set_timeout(5s);
        REQUIRE(echoes(served.back(), 'a'));
    }
    // The server has no descriptor left: these connect (the system queues them) but wait.
    std::vector<sockit::TcpClient> queued;
    for (int i = 0; i < waiting; ++i) {
        queued.emplace_back(where);
        queued.back().set_timeout(5s);
        queued.back().send_all("b");
    }
    char signal = 0;
    REQUIRE(read_all(from_child, &signal, 1, 5s));
    CHECK(signal == 'E');
    std::this_thread::sleep_for(1s); // the window in which the child's CPU time is measured

    served.clear(); // frees the server's descriptors: the queued clients are served now
    for (auto& client : queued) {
        char back = 0;
        std::error_code ec;
        CHECK(client.recv_exactly(&back, 1, ec) == 1);
        CHECK(back == 'b');
        CHECK(echoes(client, 'c'));
        client.close(); // makes room for the next (there are more waiting than the server can hold)
    }
    queued.clear();

    Report report;
    REQUIRE(read_all(from_child, &report, sizeof report, 10s));
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    reaper.pid = -1;
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0); // it did not die
    INFO("failed accepts: " << report.failed_accepts << "; CPU " << report.cpu_us << " us in " << report.wall_us
                            << " us");
    CHECK(report.typed_error);
    CHECK(report.failed_accepts >= 1);
    // The library's calls, out of descriptors. A timed wait sleeps in the kernel: its CPU
    // time is a small part of the 300 ms it lasts (a wait that polled in a loop would use
    // it all).
    INFO("recv with a 300 ms timeout: CPU " << report.wait_cpu_us << " us in " << report.wait_wall_us
                                            << " us; accept: CPU " << report.accept_cpu_us << " us in "
                                            << report.accept_wall_us << " us");
    CHECK(report.wait_timed_out);
    CHECK(report.wait_wall_us >= 300000);
    CHECK(report.wait_cpu_us * 10 < report.wait_wall_us);
    // An accept that cannot get a descriptor fails at once with EMFILE, instead of retrying
    // until its 300 ms deadline (which would cost about 300 ms of CPU).
    CHECK(report.accept_emfile);
    CHECK(report.accept_cpu_us * 10 < 300000);
    CHECK(report.accept_wall_us < 300000 + 2000000);
    // The documented loop as a whole, with its 50 ms back-off, over the second out of
    // descriptors: a loop without the back-off would use all of a CPU.
    CHECK(report.wall_us >= 900000);
    CHECK(report.cpu_us * 5 < report.wall_us);
}
