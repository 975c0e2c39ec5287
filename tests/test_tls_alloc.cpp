// SPDX-License-Identifier: MIT
// A TLS stream's send and recv allocate nothing of sockit's own per record, counted by
// replacing the global operator new (OpenSSL's own buffers come from malloc, made once per
// connection). In its own executable: one replacement per program.
#include "tls_support.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<long> allocations{0};
}

namespace {
void* counted_alloc(std::size_t size) noexcept {
    allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
} // namespace

// Every plain form is replaced, so that what one form allocates another never frees
// with a different allocator (sanitizers check that).
void* operator new(std::size_t size) {
    if (void* p = counted_alloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
    if (void* p = counted_alloc(size)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return counted_alloc(size); }
// GCC sees free() of what "new" returned and warns, not knowing new is malloc here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

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
