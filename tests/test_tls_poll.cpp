// SPDX-License-Identifier: MIT
// What a timeout costs a TLS stream in system calls, as test_poll.cpp proves for plain
// sockets: a read that had to wait makes the next read wait first (poll, then the reads of
// the record) instead of trying first (a recv that fails, poll, the reads), unless bytes are
// already buffered inside the TLS layer. recv(2) is interposed with a per-thread counter
// (forwarding to the C library): sockit's TLS layer reads through it.
#include "tls_support.hpp"

#include <dlfcn.h>
#include <sys/socket.h>

namespace {
thread_local int recv_calls = 0;
} // namespace

extern "C" ssize_t recv(int fd, void* data, size_t size, int flags) {
    using Recv = ssize_t (*)(int, void*, size_t, int);
    static const Recv real = reinterpret_cast<Recv>(::dlsym(RTLD_NEXT, "recv"));
    ++recv_calls;
    return real(fd, data, size, flags);
}

using namespace std::chrono_literals;

TEST_CASE("TLS: a read after one that had to wait waits first: one recv fewer per wait", "[tls][timeout]") {
    using namespace sockit_test;
    auto client_ctx = client_context();
    auto server_ctx = server_context(pki().localhost);
    auto tcp = tcp_loopback_pair();
    auto client = sockit::TlsStream::client(client_ctx, std::move(tcp.first), "127.0.0.1");
    auto server = sockit::TlsStream::server(server_ctx, std::move(tcp.second));
    client.set_timeout(5s);
    server.set_timeout(5s);
    {
        Background handshake([&] { server.handshake(); });
        client.handshake();
        handshake.get();
    }
    // The first read also takes TLS 1.3's session tickets: out of the count.
    server.send_all("pong", 4);
    char buf[4];
    client.recv_exactly(buf, sizeof buf);

    // Ping-pong: each reply comes a little after it is asked for. A record is two reads (its
    // header, then the rest): trying first costs a third, the recv that finds nothing.
    for (int round = 0; round < 3; ++round) {
        Background late([&] {
            std::this_thread::sleep_for(50ms);
            server.send_all("pong", 4);
        });
        const int before = recv_calls;
        client.recv_exactly(buf, sizeof buf);
        const int calls = recv_calls - before;
        late.get();
        CAPTURE(round);
        CHECK(std::string(buf, 4) == "pong");
        // Round 0 tries first or not as the warm-up read did or did not wait; later rounds wait first.
        if (round > 0) CHECK(calls == 2);
    }

    // Bytes already decrypted and buffered (two records' worth asked as one, read in parts):
    // no wait, and the buffered part is read without any recv at all.
    server.send_all("abcdefgh", 8);
    const int before = recv_calls;
    client.recv_exactly(buf, 4); // waits first (the last read waited), then reads the record
    CHECK(std::string(buf, 4) == "abcd");
    const int after_first = recv_calls;
    client.recv_exactly(buf, 4); // from the buffer: SSL_pending, no wait, no recv
    CHECK(std::string(buf, 4) == "efgh");
    CHECK(recv_calls == after_first);
    CHECK(after_first - before == 2);

    // That wait found the bytes there at once: the next read tries first again.
    {
        Background late([&] {
            std::this_thread::sleep_for(50ms);
            server.send_all("pong", 4);
        });
        const int start = recv_calls;
        client.recv_exactly(buf, sizeof buf);
        const int calls = recv_calls - start;
        late.get();
        CHECK(calls == 3); // a recv that finds nothing, poll, then the record's two reads
    }
}
