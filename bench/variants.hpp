// SPDX-License-Identifier: MIT
// The benchmark's scenarios, written once per variant: raw BSD calls (the floor),
// sockit, and standalone Asio's synchronous API. Each variant is a struct with the
// same static functions; bench.cpp runs them side by side.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <sockit/sockit.hpp>

#if __has_include(<asio.hpp>)
#include <asio.hpp>
#define SOCKIT_BENCH_HAVE_ASIO 1
#endif

// Every variant's round trip is inlined into the same loop, so that instruction counts
// compare the socket code and not the compiler's inlining choices for the harness.
#define BENCH_INLINE __attribute__((always_inline))

namespace bench {

using Clock = std::chrono::steady_clock;

/// What one run of a scenario measured.
struct Run {
    double seconds = 0;             ///< wall time of the measured loop
    std::uint64_t operations = 0;   ///< round trips, bytes, datagrams received or connections
    std::uint64_t lost = 0;         ///< datagrams sent but not received (one-way UDP)
    std::vector<double> latency_ns; ///< per-round-trip times, when recorded
};

/// Parameters shared by every variant.
struct Params {
    std::size_t message = 64;            ///< ping-pong message size
    std::size_t iterations = 20000;      ///< round trips / connections per run
    std::size_t bulk_bytes = 256u << 20; ///< bytes per bulk run
    std::size_t bulk_write = 64 * 1024;  ///< bytes per write in bulk runs
    std::size_t datagrams = 200000;      ///< datagrams per one-way UDP run
    int receive_buffer = 0;              ///< SO_RCVBUF for one-way UDP (0: system default)
    bool record_latency = true;          ///< time each round trip
    bool with_timeout = false;           ///< sockit only: a timeout set on both sides
};

[[noreturn]] inline void die(const char* what) {
    std::perror(what);
    std::exit(2);
}

inline void pin_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % static_cast<int>(std::thread::hardware_concurrency() ? std::thread::hardware_concurrency() : 1),
            &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set); // best effort
}

/// The CPUs the server and client threads are pinned to (SOCKIT_BENCH_CPUS="S,C"; default
/// "0,0": on a virtual machine a wake-up across CPUs costs tens of microseconds, far more
/// than the code measured, so both sides share one CPU unless asked otherwise).
inline std::pair<int, int> bench_cpus() {
    const char* env = std::getenv("SOCKIT_BENCH_CPUS");
    int server = 0, client = 0;
    if (env != nullptr) std::sscanf(env, "%d,%d", &server, &client);
    return {server, client};
}

/// Runs `server` in a thread while `client` runs here, each pinned (see bench_cpus).
template <class Server, class Client>
void side_by_side(Server&& server, Client&& client) {
    auto [server_cpu, client_cpu] = bench_cpus();
    std::thread t([&, server_cpu = server_cpu] {
        pin_to_cpu(server_cpu);
        server();
    });
    pin_to_cpu(client_cpu);
    client();
    t.join();
}

/// Runs `server` and `client` pinned to two different CPUs, for the one-way scenarios where
/// sender and receiver are meant to run in parallel rather than wake each other up.
template <class Server, class Client>
void side_by_side_apart(Server&& server, Client&& client) {
    std::thread t([&] {
        pin_to_cpu(1);
        server();
    });
    pin_to_cpu(0);
    client();
    t.join();
}

// Round trips are timed only when asked, so that instruction counts stay comparable.
template <class F>
__attribute__((flatten)) void timed_round_trips(const Params& p, Run& run, F&& round_trip) {
    if (p.record_latency) run.latency_ns.reserve(p.iterations);
    auto start = Clock::now();
    for (std::size_t i = 0; i < p.iterations; ++i) {
        if (p.record_latency) {
            auto t0 = Clock::now();
            round_trip();
            run.latency_ns.push_back(static_cast<double>((Clock::now() - t0).count()));
        } else {
            round_trip();
        }
    }
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    run.operations = p.iterations;
}

// ---------------------------------------------------------------------------------------------
// Raw BSD calls: the floor.
struct Raw {
    static constexpr const char* name = "raw";

    static int listener(int type, std::uint16_t* port) {
        int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
        if (fd < 0) die("socket");
        int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("bind");
        if (type == SOCK_STREAM && ::listen(fd, SOMAXCONN) < 0) die("listen");
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        *port = ntohs(a.sin_port);
        return fd;
    }
    static sockaddr_in loopback(std::uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(port);
        return a;
    }
    static int connect_to(std::uint16_t port) {
        int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = loopback(port);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("connect");
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return fd;
    }
    static bool read_full(int fd, char* p, std::size_t n) {
        while (n > 0) {
            ssize_t r = ::recv(fd, p, n, 0);
            if (r <= 0) return false;
            p += r;
            n -= static_cast<std::size_t>(r);
        }
        return true;
    }
    static void write_full(int fd, const char* p, std::size_t n) {
        while (n > 0) {
            ssize_t r = ::send(fd, p, n, MSG_NOSIGNAL);
            if (r < 0) die("send");
            p += r;
            n -= static_cast<std::size_t>(r);
        }
    }

    static Run tcp_pingpong(const Params& p) {
        std::uint16_t port;
        int lfd = listener(SOCK_STREAM, &port);
        Run run;
        side_by_side(
            [&] {
                int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
                int one = 1;
                ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                std::vector<char> buf(p.message);
                while (read_full(c, buf.data(), p.message)) write_full(c, buf.data(), p.message);
                ::close(c);
            },
            [&] {
                int fd = connect_to(port);
                std::vector<char> buf(p.message, 'x');
                timed_round_trips(p, run, [&]() BENCH_INLINE {
                    write_full(fd, buf.data(), p.message);
                    read_full(fd, buf.data(), p.message);
                });
                ::close(fd);
            });
        ::close(lfd);
        return run;
    }

    static Run tcp_bulk(const Params& p) {
        std::uint16_t port;
        int lfd = listener(SOCK_STREAM, &port);
        Run run;
        side_by_side(
            [&] {
                int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
                std::vector<char> buf(256 * 1024);
                while (::recv(c, buf.data(), buf.size(), 0) > 0) {}
                ::close(c);
            },
            [&] {
                int fd = connect_to(port);
                std::vector<char> buf(p.bulk_write, 'b');
                auto start = Clock::now();
                for (std::size_t sent = 0; sent < p.bulk_bytes; sent += p.bulk_write)
                    write_full(fd, buf.data(), buf.size());
                ::shutdown(fd, SHUT_WR);
                char c;
                ::recv(fd, &c, 1, 0); // the server closes after reading everything
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                run.operations = p.bulk_bytes;
                ::close(fd);
            });
        ::close(lfd);
        return run;
    }

    static Run udp_pingpong(const Params& p) {
        std::uint16_t port;
        int sfd = listener(SOCK_DGRAM, &port);
        Run run;
        side_by_side(
            [&] {
                std::vector<char> buf(65536);
                for (;;) {
                    sockaddr_in from{};
                    socklen_t len = sizeof from;
                    ssize_t n = ::recvfrom(sfd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
                    if (n <= 0) break; // an empty datagram ends the run
                    ::sendto(sfd, buf.data(), static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
                }
            },
            [&] {
                int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
                sockaddr_in to = loopback(port);
                std::vector<char> buf(p.message, 'u');
                timed_round_trips(p, run, [&]() BENCH_INLINE {
                    ::sendto(fd, buf.data(), p.message, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
                    sockaddr_in from{};
                    socklen_t len = sizeof from;
                    ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
                });
                ::sendto(fd, "", 0, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
                ::close(fd);
            });
        ::close(sfd);
        return run;
    }

    static Run connect_rate(const Params& p) {
        std::uint16_t port;
        int lfd = listener(SOCK_STREAM, &port);
        Run run;
        side_by_side(
            [&] {
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    int c = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
                    ::close(c);
                }
            },
            [&] {
                auto start = Clock::now();
                linger l{1, 0}; // reset on close: no TIME_WAIT, so runs do not exhaust ports
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                    sockaddr_in a = loopback(port);
                    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) die("connect");
                    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                    ::close(fd);
                }
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                run.operations = p.iterations;
            });
        ::close(lfd);
        return run;
    }
};

// ---------------------------------------------------------------------------------------------
// sockit.
struct Sockit {
    static constexpr const char* name = "sockit";

    static void maybe_timeout(const Params& p, sockit::TcpStream& s) {
        if (p.with_timeout) s.set_timeout(std::chrono::seconds(30));
    }
    static bool read_full(sockit::TcpStream& s, char* p, std::size_t n) {
        while (n > 0) {
            std::size_t r = s.recv(p, n);
            if (r == 0) return false;
            p += r;
            n -= r;
        }
        return true;
    }

    static Run tcp_pingpong(const Params& p) {
        sockit::TcpServer server("127.0.0.1", 0);
        Run run;
        side_by_side(
            [&] {
                auto [conn, peer] = server.accept();
                conn.set_no_delay();
                maybe_timeout(p, conn);
                std::vector<char> buf(p.message);
                while (read_full(conn, buf.data(), p.message)) conn.send_all(buf.data(), p.message);
            },
            [&] {
                sockit::TcpClient client("127.0.0.1", server.port());
                client.set_no_delay();
                maybe_timeout(p, client);
                std::vector<char> buf(p.message, 'x');
                timed_round_trips(p, run, [&]() BENCH_INLINE {
                    client.send_all(buf.data(), p.message);
                    read_full(client, buf.data(), p.message);
                });
            });
        return run;
    }

    static Run tcp_bulk(const Params& p) {
        sockit::TcpServer server("127.0.0.1", 0);
        Run run;
        side_by_side(
            [&] {
                auto [conn, peer] = server.accept();
                std::vector<char> buf(256 * 1024);
                while (conn.recv(buf.data(), buf.size()) > 0) {}
            },
            [&] {
                sockit::TcpClient client("127.0.0.1", server.port());
                std::vector<char> buf(p.bulk_write, 'b');
                auto start = Clock::now();
                for (std::size_t sent = 0; sent < p.bulk_bytes; sent += p.bulk_write)
                    client.send_all(buf.data(), buf.size());
                client.shutdown(sockit::Shutdown::write);
                char c;
                client.recv(&c, 1);
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                run.operations = p.bulk_bytes;
            });
        return run;
    }

    static Run udp_pingpong(const Params& p) {
        sockit::UdpSocket server("127.0.0.1", 0);
        Run run;
        side_by_side(
            [&] {
                std::vector<char> buf(65536);
                for (;;) {
                    auto d = server.recv_from(buf.data(), buf.size());
                    if (d.size == 0) break;
                    server.send_to(buf.data(), d.size, d.sender);
                }
            },
            [&] {
                sockit::UdpSocket client(sockit::Family::v4);
                const sockit::Address to("127.0.0.1", server.port());
                std::vector<char> buf(p.message, 'u');
                timed_round_trips(p, run, [&]() BENCH_INLINE {
                    client.send_to(buf.data(), p.message, to);
                    client.recv_from(buf.data(), buf.size());
                });
                client.send_to("", to);
            });
        return run;
    }

    static Run connect_rate(const Params& p) {
        sockit::TcpServer server("127.0.0.1", 0, sockit::ServerOptions{SOMAXCONN, true, false, false});
        Run run;
        side_by_side(
            [&] {
                for (std::size_t i = 0; i < p.iterations; ++i) server.accept();
            },
            [&] {
                auto start = Clock::now();
                const sockit::Address to("127.0.0.1", server.port());
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    sockit::Socket s(sockit::Family::v4, sockit::SocketType::stream);
                    s.connect(to);
                    s.set_option(sockit::Linger(true, std::chrono::seconds(0)));
                }
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                run.operations = p.iterations;
            });
        return run;
    }
};

#ifdef SOCKIT_BENCH_HAVE_ASIO
// ---------------------------------------------------------------------------------------------
// Standalone Asio, synchronous API.
struct Asio {
    static constexpr const char* name = "asio";
    using tcp = asio::ip::tcp;
    using udp = asio::ip::udp;

    static Run tcp_pingpong(const Params& p) {
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        Run run;
        side_by_side(
            [&] {
                tcp::socket s = acceptor.accept();
                s.set_option(tcp::no_delay(true));
                std::vector<char> buf(p.message);
                asio::error_code ec;
                for (;;) {
                    asio::read(s, asio::buffer(buf), ec);
                    if (ec) break;
                    asio::write(s, asio::buffer(buf));
                }
            },
            [&] {
                tcp::socket s(io);
                s.connect(acceptor.local_endpoint());
                s.set_option(tcp::no_delay(true));
                std::vector<char> buf(p.message, 'x');
                timed_round_trips(p, run, [&]() BENCH_INLINE {
                    asio::write(s, asio::buffer(buf));
                    asio::read(s, asio::buffer(buf));
                });
            });
        return run;
    }

    static Run tcp_bulk(const Params& p) {
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        Run run;
        side_by_side(
            [&] {
                tcp::socket s = acceptor.accept();
                std::vector<char> buf(256 * 1024);
                asio::error_code ec;
                while (!ec) s.read_some(asio::buffer(buf), ec);
            },
            [&] {
                tcp::socket s(io);
                s.connect(acceptor.local_endpoint());
                std::vector<char> buf(p.bulk_write, 'b');
                auto start = Clock::now();
                for (std::size_t sent = 0; sent < p.bulk_bytes; sent += p.bulk_write) asio::write(s, asio::buffer(buf));
                s.shutdown(tcp::socket::shutdown_send);
                char c;
                asio::error_code ec;
                s.read_some(asio::buffer(&c, 1), ec);
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                run.operations = p.bulk_bytes;
            });
        return run;
    }

    static Run udp_pingpong(const Params& p) {
        asio::io_context io;
        udp::socket server(io, udp::endpoint(asio::ip::address_v4::loopback(), 0));
        Run run;
        side_by_side(
            [&] {
                std::vector<char> buf(65536);
                for (;;) {
                    udp::endpoint from;
                    std::size_t n = server.receive_from(asio::buffer(buf), from);
                    if (n == 0) break;
                    server.send_to(asio::buffer(buf.data(), n), from);
                }
            },
            [&] {
                udp::socket s(io, udp::v4());
                udp::endpoint to = server.local_endpoint();
                std::vector<char> buf(p.message, 'u');
                timed_round_trips(p, run, [&]() BENCH_INLINE {
                    s.send_to(asio::buffer(buf.data(), p.message), to);
                    udp::endpoint from;
                    s.receive_from(asio::buffer(buf), from);
                });
                s.send_to(asio::buffer(buf.data(), 0), to);
            });
        return run;
    }

    static Run connect_rate(const Params& p) {
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        Run run;
        side_by_side(
            [&] {
                for (std::size_t i = 0; i < p.iterations; ++i) acceptor.accept();
            },
            [&] {
                auto start = Clock::now();
                for (std::size_t i = 0; i < p.iterations; ++i) {
                    tcp::socket s(io);
                    s.connect(acceptor.local_endpoint());
                    s.set_option(asio::socket_base::linger(true, 0));
                }
                run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
                run.operations = p.iterations;
            });
        return run;
    }
};
#endif

} // namespace bench
