// SPDX-License-Identifier: MIT
// TcpServer, TcpClient and TcpStream over loopback: echo, server options, the
// connection errors and their messages, half-close, SIGPIPE, large transfers.
#include "support.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include <dlfcn.h>
#include <sys/socket.h>

namespace {
thread_local long sends = 0;            // send(2) calls this thread made
thread_local long short_sends = 0;      // of those, the ones that took fewer bytes than asked
thread_local long full_sends = 0;       // of those, the ones that found the buffer full (would block)
thread_local std::size_t most_sent = 0; // the most bytes one call took
} // namespace

// send(2), counted per thread (forwarding to the C library), to see send_all's loop.
extern "C" ssize_t send(int fd, const void* data, size_t size, int flags) {
    using Send = ssize_t (*)(int, const void*, size_t, int);
    static const Send real = reinterpret_cast<Send>(::dlsym(RTLD_NEXT, "send"));
    const ssize_t n = real(fd, data, size, flags);
    const int error = errno;
    ++sends;
    if (n >= 0 && static_cast<std::size_t>(n) < size) ++short_sends;
    if (n >= 0 && static_cast<std::size_t>(n) > most_sent) most_sent = static_cast<std::size_t>(n);
    if (n < 0 && (error == EAGAIN || error == EWOULDBLOCK)) ++full_sends;
    errno = error;
    return n;
}

using namespace std::chrono_literals;
using sockit::Address;
using sockit::Family;
using sockit::TcpClient;
using sockit::TcpServer;
using sockit::TcpStream;
using sockit_test::contains;
using sockit_test::elapsed;
using sockit_test::FdLeakCheck;
using sockit_test::JoinedThread;

namespace {

/// Receives exactly `n` bytes (or fewer if the peer closes first).
std::string recv_exactly(TcpStream& s, std::size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
        std::size_t got = s.recv(buf, std::min(sizeof buf, n - out.size()));
        if (got == 0) break;
        out.append(buf, got);
    }
    return out;
}

/// Echoes one connection until its peer closes (or 5 s pass without traffic).
void echo_once(TcpServer& server) {
    std::error_code ec;
    auto accepted = server.accept(ec);
    if (ec) return;
    accepted.first.set_timeout(5s, ec);
    char buf[1024];
    for (;;) {
        std::size_t n = accepted.first.recv(buf, sizeof buf, ec);
        if (ec || n == 0) return;
        accepted.first.send_all(buf, n, ec);
        if (ec) return;
    }
}

/// Runs an echo exchange with a server on `host`.
void check_echo(const char* host) {
    TcpServer server(host, 0);
    CHECK(server.port() != 0);
    server.set_timeout(5s); // the thread ends even if the client never connects
    JoinedThread t([&] { echo_once(server); });
    TcpClient client(host, server.port());
    CHECK(client.peer_address() == Address(host, server.port()));
    for (std::string line : {"hello", "world", "\xe4\xbd\xa0\xe5\xa5\xbd"}) {
        client.send_all(line);
        CHECK(recv_exactly(client, line.size()) == line);
    }
    client.shutdown(sockit::Shutdown::write);
    CHECK(client.recv(16).empty());
}

bool sigpipe_is_default() {
    struct sigaction current;
    std::memset(&current, 0, sizeof current);
    ::sigaction(SIGPIPE, nullptr, &current);
    return current.sa_handler == SIG_DFL;
}

} // namespace

TEST_CASE("TcpServer and TcpClient echo", "[tcp]") {
    FdLeakCheck leaks;
    SECTION("IPv4") { check_echo("127.0.0.1"); }
    SECTION("IPv6") {
        if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
        check_echo("::1");
    }
}

TEST_CASE("TcpServer setup", "[tcp]") {
    FdLeakCheck leaks;
    SECTION("port 0 lets the system choose, port() tells which") {
        TcpServer server("127.0.0.1", 0);
        CHECK(server.port() != 0);
        CHECK(server.local_address() == Address("127.0.0.1", server.port()));
    }
    SECTION("an empty host listens on every interface") {
        TcpServer server("", 0);
        CHECK(server.local_address() == Address("0.0.0.0", server.port()));
        TcpClient client("127.0.0.1", server.port());
        auto accepted = server.accept();
        CHECK(accepted.second == client.local_address());
    }
    SECTION("reuse-address on and reuse-port off by default") {
        TcpServer server("127.0.0.1", 0);
        CHECK(server.get_option<sockit::ReuseAddress>().value());
        CHECK_FALSE(server.get_option<sockit::ReusePort>().value());
        sockit::ServerOptions options;
        options.reuse_address = false;
        options.reuse_port = true;
        TcpServer other("127.0.0.1", 0, options);
        CHECK_FALSE(other.get_option<sockit::ReuseAddress>().value());
        CHECK(other.get_option<sockit::ReusePort>().value());
    }
    SECTION("a second server on the same port: AddressInUse naming the address") {
        TcpServer first("127.0.0.1", 0);
        std::string where = "127.0.0.1:" + std::to_string(first.port());
        try {
            TcpServer second("127.0.0.1", first.port());
            FAIL("second server bound " << where);
        } catch (const sockit::AddressInUse& e) {
            CHECK(e.code() == std::errc::address_in_use);
            CHECK(std::string(e.what()) == "bind " + where + ": " + e.code().message());
        }
    }
    SECTION("bad host or port text") {
        CHECK_THROWS_AS(TcpServer("127.0.0.1", 70000), sockit::AddressError);
        CHECK_THROWS_WITH(TcpServer("127.0.0.1", -1), contains("-1"));
        sockit::ServerOptions options;
        options.dual_stack = true;
        CHECK_THROWS_WITH(TcpServer("127.0.0.1", 0, options), contains("dual-stack"));
    }
    SECTION("a server built from an Address; accept in its error_code form") {
        TcpServer server(Address::loopback(Family::v4));
        TcpClient client(server.local_address());
        std::error_code ec;
        auto accepted = server.accept(ec);
        CHECK_FALSE(ec);
        CHECK(accepted.first.peer_address() == client.local_address());
    }
}

TEST_CASE("a refused connection says where", "[tcp]") {
    FdLeakCheck leaks;
    std::uint16_t port = sockit_test::free_port();
    try {
        TcpClient client("127.0.0.1", port);
        FAIL("connected to a port nobody listens on");
    } catch (const sockit::ConnectionRefused& e) {
        CHECK(std::string(e.what()) == "connect 127.0.0.1:" + std::to_string(port) + ": Connection refused");
        CHECK(e.code() == std::errc::connection_refused);
    }
    std::error_code ec;
    auto client = TcpClient::open("127.0.0.1", port, std::nullopt, ec);
    CHECK(ec == std::errc::connection_refused);
    CHECK_FALSE(client.is_open());
}

TEST_CASE("TcpClient names bad input", "[tcp]") {
    FdLeakCheck leaks;
    try {
        TcpClient client("127.0.0.1", 70000);
        FAIL("no exception");
    } catch (const sockit::AddressError& e) {
        CHECK(std::string(e.what()) == "port 70000: port must be a number from 0 to 65535");
    }
    try {
        TcpClient client("127.0.0.1", 1, std::chrono::nanoseconds(-1));
        FAIL("no exception");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == std::errc::invalid_argument);
        CHECK(std::string(e.what()) == "connect timeout of -1 ns (negative): invalid argument");
    }
}

TEST_CASE("TcpClient tries every resolved address", "[tcp]") {
    FdLeakCheck leaks;
    // A name with three addresses, from a hosts file of the test's own (a private mount
    // namespace): whatever this machine's localhost has, the several-address path runs.
    const std::string hosts = "127.0.0.2 several.test\n127.0.0.3 several.test\n::1 several.test\n";
    int result = sockit_test::with_hosts_file(hosts, [] {
        auto addresses = Address::resolve("several.test", 0);
        if (addresses.size() != 3) return 10;
        // Listen on the last address only: the others refuse, and the client moves on.
        Address last = addresses.back();
        TcpServer server(last);
        for (const Address& a : addresses) {
            if (a == last) continue;
            std::error_code refused =
                sockit::Socket(a.family(), sockit::SocketType::stream).connect_ex(Address(a.host(), server.port()));
            if (refused != std::errc::connection_refused) return 11;
        }
        TcpClient client("several.test", server.port());
        if (client.peer_address() != Address(last.host(), server.port())) return 12;
        if (server.accept().second != client.local_address()) return 13;
        return 0;
    });
    CHECK(result == 0);
}

TEST_CASE("TcpClient connect timeout", "[tcp][timeout]") {
    FdLeakCheck leaks;
    auto full = sockit_test::fill_accept_queue();
    if (!full->full) SOCKIT_SKIP("connects to a full accept queue complete on this system");
    Address to = full->listener.local_address();
    auto took = elapsed([&] {
        try {
            TcpClient client("127.0.0.1", to.port(), 200ms);
            FAIL("connected to a full accept queue");
        } catch (const sockit::TimeoutError& e) {
            CHECK(std::string(e.what()) == "connect " + to.to_string() + ": timed out");
        }
    });
    CHECK(took.count() >= 200);
    CHECK(took.count() < 2200); // the timeout and 2 s for a loaded machine
}

TEST_CASE("TcpClient connected with a timeout keeps it, as Python's create_connection", "[tcp][timeout]") {
    FdLeakCheck leaks;
    TcpServer server("127.0.0.1", 0);
    TcpClient client("127.0.0.1", server.port(), 150ms);
    CHECK(client.timeout() == std::chrono::nanoseconds(150ms));
    CHECK(client.blocking());
    auto accepted = server.accept();
    char buf[4];
    std::error_code ec;
    auto took = sockit_test::elapsed([&] { client.recv(buf, sizeof buf, ec); });
    CHECK(ec == sockit::Errc::timed_out);
    CHECK(took >= 150ms);
    TcpClient plain("127.0.0.1", server.port());
    CHECK_FALSE(plain.timeout());
}

TEST_CASE("recv returns 0 when the peer closes; half-close", "[tcp]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    TcpStream& client = pair.first;
    TcpStream& server = pair.second;
    char buf[16];
    SECTION("close") {
        client.send_all("bye");
        client.close();
        CHECK(recv_exactly(server, 3) == "bye");
        CHECK(server.recv(buf, sizeof buf) == 0);
        std::error_code ec;
        CHECK(server.recv(buf, sizeof buf, ec) == 0);
        CHECK_FALSE(ec);
        CHECK(server.recv(16).empty());
    }
    SECTION("shutdown write: the other direction still works") {
        client.send_all("request");
        client.shutdown(sockit::Shutdown::write);
        CHECK(recv_exactly(server, 100) == "request"); // stops at end of stream
        server.send_all("response");
        server.close();
        CHECK(recv_exactly(client, 100) == "response");
    }
}

TEST_CASE("writing to a closed peer throws, never raises SIGPIPE", "[tcp]") {
    FdLeakCheck leaks;
    REQUIRE(sigpipe_is_default());
    auto pair = sockit_test::tcp_pair();
    pair.second.close();
    std::string chunk(4096, 'x');
    bool thrown = false;
    for (int i = 0; i < 100 && !thrown; ++i) {
        try {
            pair.first.send_all(chunk);
        } catch (const sockit::BrokenPipe& e) {
            thrown = true;
            CHECK(e.code() == std::errc::broken_pipe);
            CHECK_THAT(e.what(), contains("send_all 127.0.0.1:"));
        } catch (const sockit::ConnectionReset& e) {
            thrown = true;
            CHECK(e.code() == std::errc::connection_reset);
        }
    }
    CHECK(thrown);
    CHECK(sigpipe_is_default());
}

TEST_CASE("a reset connection throws ConnectionReset", "[tcp]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.first.set_option(sockit::Linger(true, 0s));
    pair.first.close(); // with linger 0: RST instead of FIN
    char buf[16];
    try {
        pair.second.recv(buf, sizeof buf);
        FAIL("recv after a reset returned");
    } catch (const sockit::ConnectionReset& e) {
        CHECK(e.code() == std::errc::connection_reset);
        CHECK_THAT(e.what(), contains("recv 127.0.0.1:"));
        CHECK_THAT(e.what(), contains("Connection reset by peer"));
    }
}

TEST_CASE("send_all of 16 MiB to a slow reader arrives intact", "[tcp]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    std::string data(16u << 20, '\0');
    std::uint32_t x = 12345;
    for (char& c : data) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    // Small buffers on both sides, and a timeout: each send takes what fits (MSG_DONTWAIT)
    // and then waits for room, so send_all must loop over partial sends. (A blocking send
    // would take all 16 MiB in one call: the kernel itself waits for room.)
    pair.first.set_option(sockit::SendBufferSize(64 * 1024));
    pair.second.set_option(sockit::ReceiveBufferSize(64 * 1024));
    pair.first.set_timeout(20s);
    std::string got;
    got.reserve(data.size());
    pair.second.set_timeout(10s); // the reader ends even if the sender fails
    long calls = 0, short_calls = 0, full_calls = 0;
    std::size_t most = 0;
    {
        JoinedThread reader([&] {
            std::vector<char> buf(16 * 1024);
            std::error_code ec;
            for (;;) { // slowly: 16 KiB, then a pause
                std::size_t n = pair.second.recv(buf.data(), buf.size(), ec);
                if (ec || n == 0) return;
                got.append(buf.data(), n);
                std::this_thread::sleep_for(500us);
            }
        });
        const long sends_before = sends, short_before = short_sends, full_before = full_sends;
        most_sent = 0;
        pair.first.send_all(data);
        calls = sends - sends_before;
        short_calls = short_sends - short_before;
        full_calls = full_sends - full_before;
        most = most_sent;
        pair.first.shutdown(sockit::Shutdown::write);
    }
    INFO(calls << " send calls, " << short_calls << " partial, " << full_calls << " found the buffer full; at most "
               << most << " bytes in one");
    CHECK(got.size() == data.size());
    CHECK(got == data);
    CHECK(short_calls >= 10); // the partial-send loop ran
    CHECK(full_calls >= 1);   // and the timed path: a send that found no room, then a wait
    CHECK(most < data.size() / 4);
}

TEST_CASE("send_all times out against a reader that never reads", "[tcp][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.first.set_timeout(200ms);
    std::string data(32u << 20, 'x');
    auto took = elapsed([&] {
        try {
            pair.first.send_all(data);
            FAIL("32 MiB fitted in the socket buffers");
        } catch (const sockit::TimeoutError& e) {
            std::string what = e.what();
            CHECK_THAT(what, contains("send_all 127.0.0.1:"));
            CHECK_THAT(what, contains(" of 33554432 bytes)"));
            CHECK_THAT(what, contains("(sent "));
            CHECK_THAT(what, contains("timed out"));
            CHECK_FALSE(contains("(sent 0 of").match(what));
        }
    });
    CHECK(took.count() >= 200);
    CHECK(took.count() < 2200); // the timeout and 2 s for a loaded machine
}

TEST_CASE("a dual-stack server accepts IPv4 and IPv6 clients", "[tcp]") {
    FdLeakCheck leaks;
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    sockit::ServerOptions options;
    options.dual_stack = true;
    TcpServer server("", 0, options);
    CHECK(server.local_address().is_v6());
    CHECK_FALSE(server.get_option<sockit::V6Only>().value());
    TcpClient v4("127.0.0.1", server.port());
    auto a = server.accept();
    TcpClient v6("::1", server.port());
    auto b = server.accept();
    CHECK(a.second.port() == v4.local_address().port());
    CHECK(b.second == v6.local_address());
    v4.send_all("4");
    v6.send_all("6");
    CHECK(recv_exactly(a.first, 1) == "4");
    CHECK(recv_exactly(b.first, 1) == "6");
}

TEST_CASE("an IPv6 server is IPv6-only unless dual-stack", "[tcp]") {
    FdLeakCheck leaks;
    if (!sockit_test::has_ipv6()) SOCKIT_SKIP("IPv6 loopback unavailable");
    TcpServer server("::", 0);
    CHECK(server.get_option<sockit::V6Only>().value());
}

TEST_CASE("no-delay", "[tcp]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    CHECK_FALSE(pair.first.no_delay());
    pair.first.set_no_delay();
    CHECK(pair.first.no_delay());
    pair.first.set_no_delay(false);
    CHECK_FALSE(pair.first.no_delay());
    std::error_code ec;
    pair.first.set_no_delay(true, ec);
    CHECK_FALSE(ec);
    CHECK(pair.first.no_delay());
}

TEST_CASE("TcpServer accept honours the timeout", "[tcp][timeout]") {
    FdLeakCheck leaks;
    TcpServer server("127.0.0.1", 0);
    server.set_timeout(100ms);
    CHECK(server.timeout() == std::chrono::nanoseconds(100ms));
    auto took = elapsed([&] {
        try {
            server.accept();
            FAIL("accept returned");
        } catch (const sockit::TimeoutError& e) {
            CHECK(std::string(e.what()) == "accept 127.0.0.1:" + std::to_string(server.port()) + ": timed out");
        }
    });
    CHECK(took.count() >= 100);
    CHECK(took.count() < 2100); // the timeout and 2 s for a loaded machine
    std::error_code ec;
    CHECK_FALSE(server.accept(ec).first.is_open());
    CHECK(ec == std::errc::timed_out);
    TcpClient client("127.0.0.1", server.port());
    auto accepted = server.accept();
    CHECK(accepted.second == client.local_address());
    CHECK_FALSE(accepted.first.timeout()); // an accepted stream starts blocking
}

TEST_CASE("TcpStream exposes its socket", "[tcp]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    CHECK(pair.first.socket().fileno() == pair.first.fileno());
    CHECK_FALSE(pair.first.pending_error());
    CHECK(pair.first.socket().get_option<sockit::SocketError>().value() == 0);
    int fd = pair.second.release();
    CHECK_FALSE(pair.second.is_open());
    TcpStream adopted(sockit::Socket::from_fd(fd));
    adopted.send_all("adopted");
    CHECK(recv_exactly(pair.first, 7) == "adopted");
}
