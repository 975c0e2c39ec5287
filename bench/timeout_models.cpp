// SPDX-License-Identifier: MIT
// Timeout models for a socket library, side by side: "recv with a 5 s timeout" and "send with
// a 5 s timeout" written by hand with raw system calls in five ways, and sockit as it is, over a
// loopback TCP connection. Counts system calls (a perf tracepoint counter on raw_syscalls:sys_enter)
// and clock reads per operation in the measured threads only, and times the loop;
// bench/timeout_models.sh adds user-space instructions under callgrind and prints the table.
// See docs/benchmarks.md, "Timeout models compared".
//
// The models (each a class with send_all and recv_exactly, bounded as a whole by the timeout):
//   raw          blocking descriptor, no timeout: the baseline;
//   kernel       SO_RCVTIMEO / SO_SNDTIMEO set once on a blocking descriptor; an operation that
//                needs a second call first cuts its direction's option to what is left, and
//                restores it afterwards (kernel-both, used only by --probe: cuts both options);
//   try-poll     non-blocking descriptor; the call first, poll only after EAGAIN; the clock is
//                read only when it has to wait;
//   poll-first   poll before every call, then the call with MSG_DONTWAIT (CPython's way);
//   adaptive     try-poll, but polls first (ppoll, whose written-back timeout tells whether it
//                slept) when the previous operation in the same direction had to wait (one bit
//                per direction);
//   sockit       sockit::TcpStream with set_timeout (the library as it is).
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "variants.hpp"

namespace tm_bench {
namespace {

using bench::die;

constexpr std::int64_t ms_ns = 1000000;
constexpr std::int64_t s_ns = 1000 * ms_ns;

enum class Status { ok, timed_out, closed, error };

const char* to_string(Status s) {
    switch (s) {
    case Status::ok: return "ok";
    case Status::timed_out: return "timed out";
    case Status::closed: return "closed";
    default: return "error";
    }
}

struct Timeouts {
    std::int64_t recv_ns;
    std::int64_t send_ns;
};

// ---- the clock, counted -------------------------------------------------------------------------
// Every clock_gettime of this program goes through the counting wrapper at the end of the file,
// sockit's included (a vDSO call, not a system call: counted here, since no system-call count
// sees it and callgrind, which hides the vDSO, sees only a system call in its place).
thread_local std::uint64_t t_clock_reads = 0;

inline std::int64_t now_ns() noexcept {
    timespec ts;
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * s_ns + ts.tv_nsec;
}

// ---- helpers shared by the hand-written models --------------------------------------------------
inline void set_nonblocking(int fd) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) die("fcntl");
}

/// SO_RCVTIMEO or SO_SNDTIMEO: `ns` rounded up to whole microseconds (never to 0, which means none).
inline bool set_kernel_timeout(int fd, int option, std::int64_t ns) {
    std::int64_t us = (ns + 999) / 1000;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(us / 1000000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1000000);
    return ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv) == 0;
}

inline double kernel_timeout_s(int fd, int option) {
    timeval tv{};
    socklen_t len = sizeof tv;
    if (::getsockopt(fd, SOL_SOCKET, option, &tv, &len) < 0) die("getsockopt");
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

/// One poll of `fd` for `events` for up to `ns` (rounded up to whole milliseconds, so that
/// a 0 return means the time has passed). EINTR is returned as `error` with errno set.
inline Status poll_for(int fd, short events, std::int64_t ns) {
    std::int64_t ms = (ns + ms_ns - 1) / ms_ns;
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms));
    if (r > 0) return Status::ok; // readable/writable, or an error the next call reports
    return r == 0 ? Status::timed_out : Status::error;
}

/// Waits until `fd` is ready for `events` within an operation's deadline. The first wait of
/// an operation starts the deadline (one clock read) and polls for the whole timeout; later
/// waits read the clock to poll for what is left.
inline Status wait_ready(int fd, short events, std::int64_t timeout_ns, bool& started, std::int64_t& deadline) {
    std::int64_t left;
    if (!started) {
        started = true;
        deadline = now_ns() + timeout_ns;
        left = timeout_ns;
    } else {
        left = deadline - now_ns();
    }
    for (;;) {
        if (left <= 0) return Status::timed_out;
        Status s = poll_for(fd, events, left);
        if (s != Status::error || errno != EINTR) return s;
        left = deadline - now_ns();
    }
}

inline Status call_error() { return errno == EPIPE || errno == ECONNRESET ? Status::closed : Status::error; }

// ---- (a) raw: blocking, no timeout ---------------------------------------------------------------
class RawModel {
public:
    RawModel(int fd, Timeouts) : fd_(fd) {}
    ~RawModel() { ::close(fd_); }
    RawModel(const RawModel&) = delete;
    RawModel& operator=(const RawModel&) = delete;

    Status send_all(const char* p, std::size_t n) {
        while (n > 0) {
            ssize_t r = ::send(fd_, p, n, MSG_NOSIGNAL);
            if (r >= 0) {
                p += r;
                n -= static_cast<std::size_t>(r);
            } else if (errno != EINTR) {
                return call_error();
            }
        }
        return Status::ok;
    }
    Status recv_exactly(char* p, std::size_t n) {
        while (n > 0) {
            ssize_t r = ::recv(fd_, p, n, 0);
            if (r > 0) {
                p += r;
                n -= static_cast<std::size_t>(r);
            } else if (r == 0) {
                return Status::closed;
            } else if (errno != EINTR) {
                return call_error();
            }
        }
        return Status::ok;
    }

private:
    int fd_;
};

// ---- (b) kernel timeouts: SO_RCVTIMEO / SO_SNDTIMEO on a blocking descriptor ----------------------
// The options are set once. An operation reads the clock when it starts (its first call may
// block for the whole timeout); if it needs another call, it first cuts the option to what is
// left of its deadline, and restores the option when it ends. `Both` cuts and restores both
// options at once, as a library with a single timeout setter would (used by --probe).
template <bool Both>
class KernelModel {
public:
    KernelModel(int fd, Timeouts t) : fd_(fd), t_(t) {
        if (!set_kernel_timeout(fd_, SO_RCVTIMEO, t.recv_ns) || !set_kernel_timeout(fd_, SO_SNDTIMEO, t.send_ns))
            die("setsockopt");
    }
    ~KernelModel() { ::close(fd_); }
    KernelModel(const KernelModel&) = delete;
    KernelModel& operator=(const KernelModel&) = delete;

    Status send_all(const char* p, std::size_t n) {
        return transfer(SO_SNDTIMEO, t_.send_ns, n, [&](std::size_t left) {
            ssize_t r = ::send(fd_, p, left, MSG_NOSIGNAL);
            if (r > 0) p += r;
            return r;
        });
    }
    Status recv_exactly(char* p, std::size_t n) {
        return transfer(SO_RCVTIMEO, t_.recv_ns, n, [&](std::size_t left) {
            ssize_t r = ::recv(fd_, p, left, 0);
            if (r > 0) p += r;
            return r;
        });
    }

private:
    int fd_;
    Timeouts t_;

    template <class Call>
    Status transfer(int option, std::int64_t timeout_ns, std::size_t n, Call&& call) {
        const std::int64_t deadline = now_ns() + timeout_ns;
        bool cut = false;
        Status s = Status::ok;
        for (;;) {
            ssize_t r = call(n);
            if (r > 0) {
                n -= static_cast<std::size_t>(r);
                if (n == 0) break;
            } else if (r == 0 && option == SO_RCVTIMEO) {
                s = Status::closed;
                break;
            } else if (r < 0 && errno != EINTR) {
                s = errno == EAGAIN || errno == EWOULDBLOCK ? Status::timed_out : call_error();
                break;
            }
            // Another call: the kernel may only wait for what is left.
            std::int64_t left = deadline - now_ns();
            if (left <= 0) {
                s = Status::timed_out;
                break;
            }
            cut = true;
            if (!set_kernel_timeout(fd_, option, left) ||
                (Both && !set_kernel_timeout(fd_, option == SO_RCVTIMEO ? SO_SNDTIMEO : SO_RCVTIMEO, left))) {
                s = Status::error;
                break;
            }
        }
        if (cut) {
            set_kernel_timeout(fd_, option, timeout_ns);
            if (Both) {
                bool recv = option == SO_RCVTIMEO;
                set_kernel_timeout(fd_, recv ? SO_SNDTIMEO : SO_RCVTIMEO, recv ? t_.send_ns : t_.recv_ns);
            }
        }
        return s;
    }
};

// ---- (c) try-then-poll, (e) adaptive ------------------------------------------------------------------
// A non-blocking descriptor. The call comes first; after EAGAIN, poll for what is left of the
// deadline (started by the first wait) and call again. Adaptive: if the previous operation in
// the same direction had to wait, poll first this time. That first poll "had to wait" if the
// kernel slept in it: more than a microsecond of its timeout went (a poll that finds the socket
// ready takes well under one).
template <bool Adaptive>
class TryPollModel {
public:
    static constexpr std::int64_t slept_ns = 1000;

    TryPollModel(int fd, Timeouts t) : fd_(fd), t_(t) { set_nonblocking(fd_); }
    ~TryPollModel() { ::close(fd_); }
    TryPollModel(const TryPollModel&) = delete;
    TryPollModel& operator=(const TryPollModel&) = delete;

    Status send_all(const char* p, std::size_t n) {
        return transfer(POLLOUT, t_.send_ns, send_waited_, n, [&](std::size_t left) {
            ssize_t r = ::send(fd_, p, left, MSG_NOSIGNAL);
            if (r > 0) p += r;
            return r;
        });
    }
    Status recv_exactly(char* p, std::size_t n) {
        return transfer(POLLIN, t_.recv_ns, recv_waited_, n, [&](std::size_t left) {
            ssize_t r = ::recv(fd_, p, left, 0);
            if (r > 0) p += r;
            return r;
        });
    }

private:
    int fd_;
    Timeouts t_;
    bool recv_waited_ = false; // adaptive: one bit per direction
    bool send_waited_ = false;

    template <class Call>
    Status transfer(short events, std::int64_t timeout_ns, bool& waited_before, std::size_t n, Call&& call) {
        bool started = false, waited = false;
        std::int64_t deadline = 0;
        std::int64_t budget = timeout_ns; // what the first wait may use
        if (Adaptive && waited_before) {
            // ppoll as the system call itself, which writes back what is left of its timeout:
            // whether it slept, and what a later wait of this operation may still use, come
            // from the kernel, without reading the clock.
            timespec left{static_cast<time_t>(timeout_ns / s_ns), static_cast<long>(timeout_ns % s_ns)};
            pollfd p{fd_, events, 0};
            long r = ::syscall(SYS_ppoll, &p, 1, &left, nullptr, 8);
            if (r == 0) return Status::timed_out;
            budget = static_cast<std::int64_t>(left.tv_sec) * s_ns + left.tv_nsec;
            waited = timeout_ns - budget > slept_ns;
        }
        for (;;) {
            ssize_t r = call(n);
            if (r > 0) {
                n -= static_cast<std::size_t>(r);
                if (n == 0) break;
            } else if (r == 0 && events == POLLIN) {
                return Status::closed;
            } else if (r < 0 && errno == EAGAIN) {
                waited = true;
                Status s = wait_ready(fd_, events, budget, started, deadline);
                if (s != Status::ok) return s;
            } else if (r < 0 && errno != EINTR) {
                return call_error();
            }
        }
        if (Adaptive) waited_before = waited;
        return Status::ok;
    }
};

// ---- (d) poll-first: CPython's way --------------------------------------------------------------------
// A blocking descriptor. Each operation reads the clock to start its deadline; before every
// call, poll for what is left (the first poll for the whole timeout), then the call with
// MSG_DONTWAIT.
class PollFirstModel {
public:
    PollFirstModel(int fd, Timeouts t) : fd_(fd), t_(t) {}
    ~PollFirstModel() { ::close(fd_); }
    PollFirstModel(const PollFirstModel&) = delete;
    PollFirstModel& operator=(const PollFirstModel&) = delete;

    Status send_all(const char* p, std::size_t n) {
        return transfer(POLLOUT, t_.send_ns, n, [&](std::size_t left) {
            ssize_t r = ::send(fd_, p, left, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (r > 0) p += r;
            return r;
        });
    }
    Status recv_exactly(char* p, std::size_t n) {
        return transfer(POLLIN, t_.recv_ns, n, [&](std::size_t left) {
            ssize_t r = ::recv(fd_, p, left, MSG_DONTWAIT);
            if (r > 0) p += r;
            return r;
        });
    }

private:
    int fd_;
    Timeouts t_;

    template <class Call>
    Status transfer(short events, std::int64_t timeout_ns, std::size_t n, Call&& call) {
        const std::int64_t deadline = now_ns() + timeout_ns;
        std::int64_t left = timeout_ns;
        for (;;) {
            Status s = poll_for(fd_, events, left);
            if (s == Status::timed_out) return s;
            if (s == Status::ok) {
                ssize_t r = call(n);
                if (r > 0) {
                    n -= static_cast<std::size_t>(r);
                    if (n == 0) return Status::ok;
                } else if (r == 0 && events == POLLIN) {
                    return Status::closed;
                } else if (r < 0 && errno != EAGAIN && errno != EINTR) {
                    return call_error();
                }
            } else if (errno != EINTR) {
                return s;
            }
            left = deadline - now_ns();
            if (left <= 0) return Status::timed_out;
        }
    }
};

// ---- sockit as it is ------------------------------------------------------------------------------------
// One TcpStream with the receive timeout. A different send timeout needs a second handle (a
// dup of the same socket) with its own set_timeout, since a sockit socket has one timeout.
class SockitModel {
public:
    SockitModel(int fd, Timeouts t) : stream_(sockit::Socket::from_fd(fd)) {
        stream_.set_timeout(std::chrono::nanoseconds(t.recv_ns));
        if (t.send_ns != t.recv_ns) {
            writer_ = sockit::TcpStream(stream_.socket().dup());
            writer_.set_timeout(std::chrono::nanoseconds(t.send_ns));
            separate_writer_ = true;
        }
    }

    Status send_all(const char* p, std::size_t n) {
        std::error_code ec;
        (separate_writer_ ? writer_ : stream_).send_all(p, n, ec);
        return status(ec);
    }
    Status recv_exactly(char* p, std::size_t n) {
        std::error_code ec;
        stream_.recv_exactly(p, n, ec);
        return status(ec);
    }

private:
    sockit::TcpStream stream_, writer_;
    bool separate_writer_ = false;

    static Status status(const std::error_code& ec) {
        if (!ec) return Status::ok;
        if (ec == sockit::Errc::timed_out) return Status::timed_out;
        if (ec == sockit::Errc::end_of_stream || ec == std::errc::broken_pipe || ec == std::errc::connection_reset)
            return Status::closed;
        return Status::error;
    }
};

// ---- system calls of the calling thread: a perf tracepoint counter ------------------------------------
class SyscallCounter {
public:
    /// Opens a counter of raw_syscalls:sys_enter for the calling thread; false if the kernel
    /// refuses (perf_event_paranoid above -1 without CAP_PERFMON, or no tracefs).
    bool open() {
        long id = tracepoint_id();
        if (id < 0) return false;
        perf_event_attr a{};
        a.type = PERF_TYPE_TRACEPOINT;
        a.size = sizeof a;
        a.config = static_cast<std::uint64_t>(id);
        a.disabled = 1;
        fd_ = static_cast<int>(::syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
        if (fd_ < 0) return false;
        start();
        overhead_ = stop(); // the disabling ioctl is counted: measured, then subtracted
        return true;
    }
    ~SyscallCounter() {
        if (fd_ >= 0) ::close(fd_);
    }
    void start() {
        ::ioctl(fd_, PERF_EVENT_IOC_RESET, 0);
        ::ioctl(fd_, PERF_EVENT_IOC_ENABLE, 0);
    }
    std::uint64_t stop() {
        ::ioctl(fd_, PERF_EVENT_IOC_DISABLE, 0);
        std::uint64_t v = 0;
        if (::read(fd_, &v, sizeof v) != sizeof v) die("read perf counter");
        return v - overhead_;
    }

private:
    int fd_ = -1;
    std::uint64_t overhead_ = 0;

    static long tracepoint_id() {
        for (const char* dir : {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}) {
            std::ifstream f(std::string(dir) + "/events/raw_syscalls/sys_enter/id");
            long id = -1;
            if (f >> id) return id;
        }
        return -1;
    }
};

bool g_count_syscalls = false;

/// What one measured thread did.
struct Measured {
    std::string side;
    int thread = 0; ///< creation order (1: the main thread), as valgrind numbers threads
    std::uint64_t ops = 0;
    double seconds = 0;
    std::int64_t syscalls = -1; ///< -1: not counted
    std::uint64_t clocks = 0;
};

// The measured loop, kept out of line so that every model's loop is the same code around `op`.
template <class Op>
__attribute__((noinline)) void measured_loop(std::size_t n, Op& op) {
    for (std::size_t i = 0; i < n; ++i) op();
}

/// Runs `op` `warmup` times, then `n` times measured, in the calling thread.
template <class Op>
Measured measure(const char* side, int thread, std::size_t warmup, std::size_t n, Op op) {
    for (std::size_t i = 0; i < warmup; ++i) op();
    Measured m;
    m.side = side;
    m.thread = thread;
    m.ops = n;
    SyscallCounter counter;
    bool counting = g_count_syscalls && counter.open();
    if (g_count_syscalls && !counting) {
        std::cerr << "timeout_models: cannot count system calls here (perf_event_open on raw_syscalls:sys_enter"
                     " needs root or kernel.perf_event_paranoid=-1)\n";
        std::exit(3);
    }
    auto t0 = bench::Clock::now();
    const std::uint64_t clocks0 = t_clock_reads;
    if (counting) counter.start();
    measured_loop(n, op);
    if (counting) m.syscalls = static_cast<std::int64_t>(counter.stop());
    m.clocks = t_clock_reads - clocks0;
    m.seconds = std::chrono::duration<double>(bench::Clock::now() - t0).count();
    return m;
}

inline void check(Status s, const char* what) {
    if (s != Status::ok) {
        std::cerr << "timeout_models: " << what << ": " << to_string(s) << " (" << std::strerror(errno) << ")\n";
        std::exit(2);
    }
}

/// A connected loopback TCP pair (TCP_NODELAY on both), blocking: {client, server}.
std::pair<int, int> connected_pair() {
    std::uint16_t port;
    int lfd = bench::Raw::listener(SOCK_STREAM, &port);
    int client = bench::Raw::connect_to(port);
    int server = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
    if (server < 0) die("accept4");
    int one = 1;
    ::setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::close(lfd);
    return {client, server};
}

constexpr std::int64_t recv_timeout_ns = 5 * s_ns;
constexpr std::int64_t send_timeout_ns = 5 * s_ns;
constexpr std::int64_t writer_timeout_ns = 3 * s_ns; // the writer thread's, in the two-thread scenario
constexpr std::size_t message = 64;
constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t warmup_ops = 100;
constexpr std::size_t warmup_chunks = 16;

// 1) Ping-pong: the client sends 64 bytes and receives exactly 64 back; the server echoes with
// plain blocking calls in its own thread. Measured: the client.
template <class Model>
std::vector<Measured> pingpong(std::size_t n) {
    auto [client_fd, server_fd] = connected_pair();
    std::vector<Measured> out;
    bench::side_by_side(
        [&, server_fd = server_fd] {
            char buf[message];
            while (bench::Raw::read_full(server_fd, buf, message)) bench::Raw::write_full(server_fd, buf, message);
            ::close(server_fd);
        },
        [&, client_fd = client_fd] {
            Model m(client_fd, {recv_timeout_ns, send_timeout_ns});
            char buf[message] = {};
            out.push_back(measure("client", 1, warmup_ops, n, [&] {
                check(m.send_all(buf, message), "send_all");
                check(m.recv_exactly(buf, message), "recv_exactly");
            }));
        });
    return out;
}

// 2) Streaming: the client sends 64 KiB chunks as fast as it can, the server receives each with
// recv_exactly; both use the model. Measured: both.
template <class Model>
std::vector<Measured> stream(std::size_t total_mib) {
    const std::size_t chunks = (total_mib << 20) / chunk;
    if (chunks <= warmup_chunks) die("stream: too few MiB");
    auto [client_fd, server_fd] = connected_pair();
    Measured receiver;
    std::vector<Measured> out;
    bench::side_by_side(
        [&, server_fd = server_fd] {
            Model m(server_fd, {recv_timeout_ns, send_timeout_ns});
            std::vector<char> buf(chunk);
            receiver = measure("receiver", 2, warmup_chunks, chunks - warmup_chunks,
                               [&] { check(m.recv_exactly(buf.data(), chunk), "recv_exactly"); });
        },
        [&, client_fd = client_fd] {
            Model m(client_fd, {recv_timeout_ns, send_timeout_ns});
            std::vector<char> buf(chunk, 's');
            out.push_back(measure("sender", 1, warmup_chunks, chunks - warmup_chunks,
                                  [&] { check(m.send_all(buf.data(), chunk), "send_all"); }));
        });
    out.push_back(receiver);
    return out;
}

// 3) Two threads on one socket: on the client socket, one thread only writes 64-byte messages
// (3 s timeout), another only reads them back (recv_exactly, 5 s timeout); the server echoes.
// Measured: the reader and the writer.
template <class Model>
std::vector<Measured> two_threads(std::size_t n) {
    auto [client_fd, server_fd] = connected_pair();
    auto [server_cpu, client_cpu] = bench::bench_cpus();
    std::thread server([&, server_fd = server_fd, server_cpu = server_cpu] {
        bench::pin_to_cpu(server_cpu);
        char buf[message];
        while (bench::Raw::read_full(server_fd, buf, message)) bench::Raw::write_full(server_fd, buf, message);
        ::close(server_fd);
    });
    std::vector<Measured> out;
    {
        Model m(client_fd, {recv_timeout_ns, writer_timeout_ns});
        Measured writer;
        std::thread writer_thread([&, client_cpu = client_cpu] {
            bench::pin_to_cpu(client_cpu);
            char buf[message] = {};
            writer = measure("writer", 3, warmup_ops, n, [&] { check(m.send_all(buf, message), "send_all"); });
        });
        bench::pin_to_cpu(client_cpu);
        char buf[message];
        out.push_back(
            measure("reader", 1, warmup_ops, n, [&] { check(m.recv_exactly(buf, message), "recv_exactly"); }));
        writer_thread.join();
        out.push_back(writer);
    } // the model closes the client socket: the server sees the end
    server.join();
    return out;
}

template <class Model>
std::vector<Measured> run_scenario(const std::string& scenario, std::size_t n) {
    if (scenario == "pingpong") return pingpong<Model>(n);
    if (scenario == "stream") return stream<Model>(n);
    if (scenario == "threads") return two_threads<Model>(n);
    std::cerr << "unknown scenario " << scenario << " (pingpong, stream, threads)\n";
    std::exit(2);
}

template <class F>
bool for_model(const std::string& model, F&& f) {
    if (model == "raw") return f(static_cast<RawModel*>(nullptr)), true;
    if (model == "kernel") return f(static_cast<KernelModel<false>*>(nullptr)), true;
    if (model == "kernel-both") return f(static_cast<KernelModel<true>*>(nullptr)), true;
    if (model == "try-poll") return f(static_cast<TryPollModel<false>*>(nullptr)), true;
    if (model == "poll-first") return f(static_cast<PollFirstModel*>(nullptr)), true;
    if (model == "adaptive") return f(static_cast<TryPollModel<true>*>(nullptr)), true;
    if (model == "sockit") return f(static_cast<SockitModel*>(nullptr)), true;
    return false;
}

const char* const all_models[] = {"raw", "kernel", "kernel-both", "try-poll", "poll-first", "adaptive", "sockit"};

int run_mode(const std::string& scenario, const std::string& model, std::size_t n) {
    std::vector<Measured> results;
    bool known = for_model(model, [&](auto* tag) {
        using Model = std::remove_pointer_t<decltype(tag)>;
        results = run_scenario<Model>(scenario, n);
    });
    if (!known) {
        std::cerr << "unknown model " << model << "\n";
        return 2;
    }
    for (const auto& m : results) {
        std::printf("result %s %s %s thread=%d ops=%llu seconds=%.6f syscalls=%lld clocks=%llu\n", scenario.c_str(),
                    model.c_str(), m.side.c_str(), m.thread, static_cast<unsigned long long>(m.ops), m.seconds,
                    static_cast<long long>(m.syscalls), static_cast<unsigned long long>(m.clocks));
    }
    return 0;
}

// ---- --probe: does the reader's multi-call operation move the writer's kernel timeout? -----------------
// The reader's recv_exactly(64) waits 100 ms for 32 bytes, then waits for the rest with its
// option cut to what is left of 5 s; meanwhile the writer's SO_SNDTIMEO (3 s wanted) is read.
template <class Model>
void probe_one(const char* name) {
    auto [client_fd, server_fd] = connected_pair();
    Model m(client_fd, {recv_timeout_ns, writer_timeout_ns});
    auto read_both = [&, fd = client_fd] {
        char out[64];
        std::snprintf(out, sizeof out, "%.3f s / %.3f s", kernel_timeout_s(fd, SO_SNDTIMEO),
                      kernel_timeout_s(fd, SO_RCVTIMEO));
        return std::string(out);
    };
    std::string before = read_both();
    Status got = Status::error;
    std::thread reader([&] {
        char buf[message];
        got = m.recv_exactly(buf, message);
    });
    char half[message / 2] = {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    bench::Raw::write_full(server_fd, half, sizeof half);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string during = read_both();
    bench::Raw::write_full(server_fd, half, sizeof half);
    reader.join();
    std::string after = read_both();
    check(got, "probe recv_exactly");
    std::printf("probe %-11s SO_SNDTIMEO / SO_RCVTIMEO (writer wants 3 s, reader 5 s): set-up %s, "
                "while the reader waits for the rest %s, after %s\n",
                name, before.c_str(), during.c_str(), after.c_str());
    ::close(server_fd);
}

// Nanoseconds per clock_gettime (through the counting wrapper) on `clock`.
double clock_cost_ns(clockid_t clock) {
    constexpr int n = 1000000;
    timespec ts;
    auto t0 = bench::Clock::now();
    for (int i = 0; i < n; ++i) ::clock_gettime(clock, &ts);
    return std::chrono::duration<double, std::nano>(bench::Clock::now() - t0).count() / n;
}

int probe_mode() {
    std::printf("clock reads: CLOCK_MONOTONIC %.1f ns, CLOCK_MONOTONIC_COARSE %.1f ns (vDSO, no system call)\n",
                clock_cost_ns(CLOCK_MONOTONIC), clock_cost_ns(CLOCK_MONOTONIC_COARSE));
    probe_one<KernelModel<false>>("kernel");
    probe_one<KernelModel<true>>("kernel-both");
    probe_one<SockitModel>("sockit");
    return 0;
}

// ---- --check: every model times out when it should, and a multi-call operation keeps one deadline --------
template <class Model>
bool check_one(const char* name) {
    constexpr std::int64_t t = 200 * ms_ns;
    bool ok = true;
    auto expect = [&](const char* what, Status s, std::int64_t elapsed) {
        // Never early; late by at most a scheduler tick or two (a restarted timeout: +100 ms).
        bool good = s == Status::timed_out && elapsed >= t - 2 * ms_ns && elapsed < t + 60 * ms_ns;
        if (!good)
            std::printf("check %-11s FAILED %s: %s after %.1f ms (want timed out after %lld ms)\n", name, what,
                        to_string(s), static_cast<double>(elapsed) / 1e6, static_cast<long long>(t / ms_ns));
        ok = ok && good;
    };
    char buf[message];
    { // nothing arrives
        auto [c, s] = connected_pair();
        Model m(c, {t, t});
        std::int64_t t0 = now_ns();
        Status st = m.recv_exactly(buf, message);
        expect("recv_exactly, nothing sent", st, now_ns() - t0);
        ::close(s);
    }
    { // half arrives after 100 ms: the second call waits only for what is left of the same 200 ms
        auto [c, s] = connected_pair();
        Model m(c, {t, t});
        std::thread peer([s = s] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            char half[message / 2] = {};
            bench::Raw::write_full(s, half, sizeof half);
        });
        std::int64_t t0 = now_ns();
        Status st = m.recv_exactly(buf, message);
        expect("recv_exactly, half sent after 100 ms", st, now_ns() - t0);
        peer.join();
        ::close(s);
    }
    { // the peer never reads: a 64 MiB send_all fills the buffers, then times out
        auto [c, s] = connected_pair();
        Model m(c, {t, t});
        std::vector<char> big(64u << 20, 'x');
        std::int64_t t0 = now_ns();
        Status st = m.send_all(big.data(), big.size());
        expect("send_all of 64 MiB, peer not reading", st, now_ns() - t0);
        ::close(s);
    }
    { // and data still flows
        auto [c, s] = connected_pair();
        Model m(c, {t, t});
        bench::Raw::write_full(s, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", message);
        Status st = m.recv_exactly(buf, message);
        if (st != Status::ok || std::memcmp(buf, "0123456789abcdef", 16) != 0) {
            std::printf("check %-11s FAILED: recv_exactly of data sent: %s\n", name, to_string(st));
            ok = false;
        }
        ::close(s);
    }
    if (ok) std::printf("check %-11s ok: times out after 200 ms, one deadline per operation\n", name);
    return ok;
}

int check_mode() {
    bool ok = true;
    for (const char* model : all_models) {
        if (std::string(model) == "raw") continue; // no timeout to check
        for_model(model, [&](auto* tag) {
            using Model = std::remove_pointer_t<decltype(tag)>;
            ok = check_one<Model>(model) && ok;
        });
    }
    return ok ? 0 : 1;
}

} // namespace
} // namespace tm_bench

// Counts every clock_gettime of the program in the calling thread, then reads the clock.
extern "C" int clock_gettime(clockid_t clock, timespec* ts) noexcept {
    using Real = int (*)(clockid_t, timespec*);
    static const Real real = reinterpret_cast<Real>(::dlsym(RTLD_NEXT, "clock_gettime"));
    ++tm_bench::t_clock_reads;
    return real(clock, ts);
}

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() >= 4 && args[0] == "--run") {
        tm_bench::g_count_syscalls = args.size() >= 5 && args[4] == "--syscalls";
        return tm_bench::run_mode(args[1], args[2], static_cast<std::size_t>(std::atol(args[3].c_str())));
    }
    if (args.size() == 1 && args[0] == "--probe") return tm_bench::probe_mode();
    if (args.size() == 1 && args[0] == "--check") return tm_bench::check_mode();
    std::cout << "usage: timeout_models --run SCENARIO MODEL N [--syscalls]\n"
                 "         SCENARIO: pingpong (N round trips), stream (N MiB in 64 KiB chunks),\n"
                 "                   threads (N messages written and read back by two threads)\n"
                 "         MODEL: raw kernel kernel-both try-poll poll-first adaptive sockit\n"
                 "       timeout_models --probe   (kernel timeouts seen by the writer while the reader waits)\n"
                 "       timeout_models --check   (every model times out when it should)\n"
                 "See bench/timeout_models.sh and docs/benchmarks.md.\n";
    return args.empty() || args[0] == "--help" || args[0] == "-h" ? 0 : 2;
}
