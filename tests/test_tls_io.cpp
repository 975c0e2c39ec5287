// SPDX-License-Identifier: MIT
// TLS streams in use: non-blocking with the Poller (a 16 MiB echo, a server that a silent
// client cannot stall), partial writes, the stream algorithms, SocketStream, Unix-domain
// sockets, and threads sharing one context.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include <sockit/tls.hpp>

#include "tls_support.hpp"

using namespace std::chrono_literals;
using sockit::TlsContext;
using sockit::TlsStream;
using namespace sockit_test;

namespace {

/// `size` bytes of a pattern that shows where a byte was lost or repeated.
std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    std::uint32_t x = 2463534242u;
    for (char& c : out) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        c = static_cast<char>(x);
    }
    return out;
}

bool would_block(const std::error_code& ec) { return ec == std::errc::operation_would_block; }

/// A client and a server TLS stream over loopback, handshaken, each with a 5 s timeout.
std::pair<TlsStream, TlsStream> connected_pair(const TlsContext& client_ctx, const TlsContext& server_ctx) {
    auto tcp = tcp_loopback_pair();
    TlsStream client = TlsStream::client(client_ctx, std::move(tcp.first), "localhost");
    TlsStream server = TlsStream::server(server_ctx, std::move(tcp.second));
    client.set_timeout(5s);
    server.set_timeout(5s);
    Background handshake([&] { server.handshake(); });
    client.handshake();
    handshake.get();
    return {std::move(client), std::move(server)};
}

} // namespace

TEST_CASE("TLS: a 16 MiB echo driven by the Poller in non-blocking mode", "[tls][poller]") {
    FdLeakCheck fds;
    auto server_ctx = server_context(pki().localhost);
    auto tcp = tcp_loopback_pair();
    TlsStream client = TlsStream::client(client_context(), std::move(tcp.first), "localhost");
    TlsStream server = TlsStream::server(server_ctx, std::move(tcp.second));
    client.set_blocking(false);
    server.set_blocking(false);
    sockit::Poller poller;
    poller.add(client, sockit::Interest::both, 1);
    poller.add(server, sockit::Interest::readable, 2);

    const std::string payload = pattern(std::size_t{16} << 20);
    std::size_t sent = 0, received = 0, would_blocks = 0;
    std::string echo; // what the server has read and not yet sent back
    std::size_t echo_at = 0;
    std::vector<char> buf(64 * 1024);
    bool mismatch = false;
    Deadline limit(30s);
    while (received < payload.size() && !limit.expired() && !mismatch) {
        std::error_code ec;
        bool client_write = false, server_write = false;
        // The client: send what it can, then read what came back.
        while (sent < payload.size()) {
            std::size_t n = client.send(payload.data() + sent, std::min<std::size_t>(payload.size() - sent, 65536), ec);
            if (ec) break;
            sent += n;
        }
        if (ec) {
            REQUIRE(would_block(ec));
            ++would_blocks;
            client_write = client.wants_write();
        }
        for (;;) {
            std::size_t n = client.recv(buf.data(), buf.size(), ec);
            if (ec) break;
            REQUIRE(n > 0);
            mismatch = payload.compare(received, n, buf.data(), n) != 0;
            received += n;
        }
        REQUIRE(would_block(ec));
        client_write = client_write || client.wants_write();
        // The server: echo what it holds, then read more while it holds little.
        while (echo_at < echo.size()) {
            std::size_t n = server.send(echo.data() + echo_at, echo.size() - echo_at, ec);
            if (ec) break;
            echo_at += n;
        }
        if (ec) {
            REQUIRE(would_block(ec));
            server_write = server.wants_write();
        }
        if (echo_at == echo.size()) {
            echo.clear();
            echo_at = 0;
        }
        const bool server_reads = echo.size() < (std::size_t{1} << 20);
        while (server_reads && echo.size() < (std::size_t{1} << 20)) {
            std::size_t n = server.recv(buf.data(), buf.size(), ec);
            if (ec) break;
            REQUIRE(n > 0);
            echo.append(buf.data(), n);
        }
        if (server_reads && ec) {
            REQUIRE(would_block(ec));
            server_write = server_write || server.wants_write();
        }
        if (client.pending() > 0 || server.pending() > 0 || (echo_at < echo.size() && !server_write)) continue;
        using sockit::Interest;
        poller.modify(client, Interest::readable | (client_write ? Interest::writable : Interest::none), 1);
        poller.modify(server,
                      (server_reads ? Interest::readable : Interest::none) |
                          (server_write ? Interest::writable : Interest::none),
                      2);
        poller.wait(1s);
    }
    CHECK_FALSE(mismatch);
    CHECK(received == payload.size());
    CHECK(would_blocks > 0); // the loop did run non-blocking
    poller.remove(client);
    poller.remove(server);
}

TEST_CASE("TLS: a server driven by the Poller serves a client while another never speaks", "[tls][poller]") {
    auto server_ctx = server_context(pki().localhost);
    auto client_ctx = client_context();
    sockit::TcpServer listener("127.0.0.1", 0);
    listener.set_blocking(false);
    sockit::TcpClient silent(listener.local_address()); // connects, then never speaks
    std::string reply;
    Background talker([&] {
        std::this_thread::sleep_for(50ms); // after the silent one, which is accepted first
        TlsStream client = TlsStream::connect(client_ctx, "localhost", listener.port(), 5s);
        client.send_all("ping\n");
        reply = client.recv_until("\n", 100);
    });
    sockit::Poller poller;
    poller.add(listener, sockit::Interest::readable, 0);
    std::vector<TlsStream> streams;
    bool answered = false;
    Deadline limit(10s);
    while (!answered && !limit.expired()) {
        for (const sockit::PollEvent& ev : poller.wait(1s)) {
            if (ev.tag == 0) {
                std::error_code ec;
                auto accepted = listener.accept(ec);
                if (ec) continue;
                streams.push_back(TlsStream::server(server_ctx, std::move(accepted.first)));
                streams.back().set_blocking(false);
                poller.add(streams.back(), sockit::Interest::readable, streams.size());
                continue;
            }
            TlsStream& s = streams[ev.tag - 1];
            std::error_code ec;
            char buf[100];
            std::size_t n = s.recv(buf, sizeof buf, ec); // the handshake first, then data
            if (ec) {
                REQUIRE(ec == std::errc::operation_would_block);
                poller.modify(s, s.wants_write() ? sockit::Interest::writable : sockit::Interest::readable, ev.tag);
                continue;
            }
            if (n == std::string("ping\n").size()) {
                poller.remove(s);
                s.set_timeout(5s);
                s.send_all("pong\n");
                answered = true;
            }
        }
    }
    talker.get();
    CHECK(answered);
    CHECK(reply == "pong\n");
    CHECK(streams.size() == 2); // the silent client was accepted too
    for (TlsStream& s : streams) {
        std::error_code ignored; // the answered one is removed already
        poller.remove(s, ignored);
    }
}

TEST_CASE("TLS: partial writes with a small send buffer lose and repeat nothing", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    auto pair = connected_pair(client_context(), server_ctx);
    TlsStream& client = pair.first;
    TlsStream& server = pair.second;
    client.set_option(sockit::SendBufferSize(4096));
    server.set_option(sockit::ReceiveBufferSize(65536)); // small enough to fill, not so small that TCP crawls
    const std::string payload = pattern(std::size_t{4} << 20);
    client.set_blocking(false);
    std::size_t sent = 0;
    std::error_code ec;
    std::size_t calls = 0;
    while (!ec) {
        std::size_t n = client.send(payload.data() + sent, payload.size() - sent, ec);
        sent += n;
        ++calls;
        if (!ec) CHECK(n < payload.size() - sent + n); // each call took only part of what it was given
    }
    CHECK(ec == std::errc::operation_would_block);
    CHECK(client.wants_write());
    CHECK(sent < payload.size());
    CHECK(calls > 1);
    std::string got(payload.size(), '\0');
    std::error_code read_ec;
    Background reader([&] { server.recv_exactly(&got[0], got.size(), read_ec); });
    client.set_timeout(10s);
    std::error_code send_ec;
    client.send_all(payload.data() + sent, payload.size() - sent, send_ec); // the blocked record first
    reader.get();
    CHECK_FALSE(read_ec);
    CHECK_FALSE(send_ec);
    CHECK(got == payload);
}

TEST_CASE("TLS: send_all, recv_exactly, recv_until, gather and scatter over TLS", "[tls]") {
    auto server_ctx = server_context(pki().localhost);
    auto pair = connected_pair(client_context(), server_ctx);
    TlsStream& client = pair.first;
    TlsStream& server = pair.second;
    const std::string body = pattern(100000);
    client.send_all({sockit::buffer("HEAD"), sockit::buffer(body), sockit::buffer("line one\nline two\n")});
    char head[4];
    std::string got(body.size(), '\0');
    sockit::MutableBuffer parts[2] = {{head, sizeof head}, {&got[0], 1000}};
    std::size_t n = server.recv(parts, 2);
    CHECK(n >= sizeof head);
    CHECK(std::string(head, 4) == "HEAD");
    server.recv_exactly(&got[n - 4], got.size() - (n - 4));
    CHECK(got == body);
    CHECK(server.recv_until("\n", 100) == "line one\n");
    CHECK(server.pending() == std::string("line two\n").size()); // decrypted, waiting
    CHECK(server.recv_until("\n", 100) == "line two\n");
    CHECK(server.pending() == 0);
    // The limit of recv_until, with the bytes taken handed over.
    client.send_all("no delimiter here");
    try {
        server.recv_until("\n", 5);
        FAIL("no exception");
    } catch (const sockit::Error& e) {
        CHECK(e.code() == sockit::Errc::limit_exceeded);
        CHECK(e.received() == "no de");
    }
}

TEST_CASE("TLS: TlsSocketStream reads and writes lines", "[tls][stream]") {
    auto server_ctx = server_context(pki().localhost);
    auto pair = connected_pair(client_context(), server_ctx);
    Background server([&] {
        sockit::TlsSocketStream io(std::move(pair.second));
        std::string line;
        while (std::getline(io, line)) io << "echo " << line << '\n' << std::flush;
    });
    {
        sockit::TlsSocketStream io(std::move(pair.first));
        io << "one\ntwo\n" << std::flush;
        std::string a, b;
        std::getline(io, a);
        std::getline(io, b);
        CHECK(a == "echo one");
        CHECK(b == "echo two");
        io.socket().shutdown(); // close_notify: the server's getline sees the end
    }
    server.get();
}

TEST_CASE("TLS over a Unix-domain stream", "[tls][unix]") {
    auto server_ctx = server_context(pki().localhost);
    auto unix_pair = sockit::stream_pair();
    TlsStream client = TlsStream::client(client_context(), std::move(unix_pair.first), "localhost");
    TlsStream server = TlsStream::server(server_ctx, std::move(unix_pair.second));
    client.set_timeout(5s);
    server.set_timeout(5s);
    Background peer([&] { server.send_all(server.recv_until("\n", 100)); });
    client.send_all("over unix\n");
    CHECK(client.recv_until("\n", 100) == "over unix\n");
    peer.get();
}

TEST_CASE("TLS: threads share one client and one server context", "[tls][threads]") {
    auto server_ctx = server_context(pki().localhost);
    auto client_ctx = client_context();
    constexpr int threads = 4, rounds = 5;
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    {
        std::vector<std::unique_ptr<JoinedThread>> workers;
        for (int t = 0; t < threads; ++t)
            workers.push_back(std::make_unique<JoinedThread>([&, t] {
                try {
                    for (int r = 0; r < rounds; ++r) {
                        auto pair = connected_pair(client_ctx, server_ctx);
                        const std::string text = "thread " + std::to_string(t) + " round " + std::to_string(r) + "\n";
                        pair.first.send_all(text);
                        if (pair.second.recv_until("\n", 100) == text) ++done;
                    }
                } catch (...) {
                    ++failed;
                }
            }));
    }
    CHECK(failed == 0);
    CHECK(done == threads * rounds);
    CHECK(client_ctx.frozen());
}
