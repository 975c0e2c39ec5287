// SPDX-License-Identifier: MIT
// A TLS stream's send and recv allocate nothing of sockit's own per record, counted by
// replacing the global operator new (OpenSSL's own buffers come from malloc, made once per
// connection). In its own executable: one replacement per program.
#include "tls_support.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#include "counting_new.hpp"

using namespace std::chrono_literals;

TEST_CASE("TLS send and recv allocate nothing per record", "[tls][alloc]") {
    using namespace sockit_test;
    auto server_ctx = server_context(pki().localhost);
    auto tcp = tcp_loopback_pair();
    sockit::TlsStream client = sockit::TlsStream::client(client_context(), std::move(tcp.first), "localhost");
    sockit::TlsStream server = sockit::TlsStream::server(server_ctx, std::move(tcp.second));
    client.set_timeout(5s);
    server.set_timeout(5s);
    {
        Background handshake([&] { server.handshake(); });
        client.handshake();
        handshake.get();
    }
    char out[16384] = {'x'};
    char in[sizeof out];
    char header[8] = {'h'};
    // Once each way first: the client takes the server's session tickets on its first read.
    client.send_all(out, 64);
    server.recv_exactly(in, 64);
    server.send_all(out, 64);
    client.recv_exactly(in, 64);
    for (bool timed : {false, true}) {
        if (timed) {
            client.set_timeout(5s);
            server.set_timeout(5s);
        } else {
            client.set_timeout(std::nullopt);
            server.set_timeout(std::nullopt);
        }
        const long before = allocations.load();
        for (int i = 0; i < 200; ++i) {
            const std::size_t size = i % 2 == 0 ? 64 : sizeof out;
            client.send_all(out, size);
            server.recv_exactly(in, size);
            server.send_all({sockit::ConstBuffer{header, sizeof header}, sockit::ConstBuffer{out, 100}});
            std::size_t got = 0;
            while (got < sizeof header + 100) got += client.recv(in, sizeof in);
        }
        const long allocated = allocations.load() - before;
        INFO("timed: " << timed);
        CHECK(allocated == 0);
    }
}
