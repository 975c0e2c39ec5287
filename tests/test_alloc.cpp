// SPDX-License-Identifier: MIT
// send, recv, send_to, recv_from and send_all on caller-owned buffers make no
// heap allocation, with or without a timeout. A counting global operator new
// (per thread, so other threads do not disturb the count) proves it.
#include "support.hpp"

#include <cstdlib>
#include <new>

// ThreadSanitizer's runtime defines operator new itself and cannot be replaced: nothing can be
// counted in that build, which therefore has none of this file's tests (they are not compiled,
// so never skipped).
#if defined(__SANITIZE_THREAD__)
#define SOCKIT_TEST_COUNT_NEW 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SOCKIT_TEST_COUNT_NEW 0
#endif
#endif
#ifndef SOCKIT_TEST_COUNT_NEW
#define SOCKIT_TEST_COUNT_NEW 1
#endif

#if SOCKIT_TEST_COUNT_NEW // to the end of the file

namespace {
thread_local std::size_t allocations = 0;
} // namespace

// Every replaceable non-aligned form is replaced, so that no allocation made by
// another definition (a sanitizer's, say) is ever freed by these.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    ++allocations;
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return operator new(size, tag); }
void* operator new(std::size_t size) {
    if (void* p = operator new(size, std::nothrow)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

using namespace std::chrono_literals;
using sockit_test::FdLeakCheck;

namespace {

/// The number of allocations `f` makes on this thread.
template <class F>
std::size_t allocations_in(F&& f) {
    std::size_t before = allocations;
    f();
    return allocations - before;
}

} // namespace

TEST_CASE("the counting operator new counts", "[alloc]") {
    FdLeakCheck leaks;
    static int* volatile kept = nullptr; // volatile: the allocation cannot be optimised away
    std::size_t n = allocations_in([] {
        kept = new int(1);
        delete kept;
    });
    CHECK(n == 1);
}

TEST_CASE("TCP send, recv and send_all allocate nothing", "[alloc]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    bool with_timeout = GENERATE(false, true);
    if (with_timeout) {
        pair.first.set_timeout(5s);
        pair.second.set_timeout(5s);
    }
    INFO("with a timeout: " << with_timeout);
    static char out[65536];
    static char in[65536];
    std::size_t sent = 0;
    std::size_t received = 0;
    std::size_t n = allocations_in([&] {
        sent += pair.first.send(out, 100);
        pair.first.send_all(out, sizeof out);
        std::error_code ec;
        sent += pair.first.send(out, 100, ec);
        sent += pair.first.send_all(out, 100, ec);
        while (received < sent + sizeof out && !ec) received += pair.second.recv(in, sizeof in, ec);
    });
    CHECK(n == 0);
    CHECK(received == 300 + sizeof out);
}

TEST_CASE("UDP send_to, recv_from and recv_coalesced allocate nothing", "[alloc]") {
    FdLeakCheck leaks;
    sockit::UdpSocket server("127.0.0.1", 0);
    sockit::UdpSocket client("127.0.0.1", 0);
    bool with_timeout = GENERATE(false, true);
    if (with_timeout) server.set_timeout(5s);
    INFO("with a timeout: " << with_timeout);
    const sockit::Address to = server.local_address();
    char buf[512] = "datagram";
    std::size_t total = 0;
    std::size_t n = allocations_in([&] {
        client.send_to(buf, 8, to);
        std::error_code ec;
        client.send_to(buf, 8, to, ec);
        total += server.recv_from(buf, sizeof buf).size;
        total += server.recv_from(buf, sizeof buf, ec).size;
        client.send_to(buf, 8, to);
        total += server.recv_coalesced(sockit::buffer(buf, sizeof buf)).size;
    });
    CHECK(n == 0);
    CHECK(total == 24);
}

#endif // SOCKIT_TEST_COUNT_NEW
