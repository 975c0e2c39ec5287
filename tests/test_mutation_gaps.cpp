// SPDX-License-Identifier: MIT
// Promises that a deliberate break in the library (scripts/mutation.sh) showed no other
// test kept: each test case here names the break it catches.
#include "support.hpp"

#include <csignal>
#include <cstring>
#include <string>

using sockit_test::contains;
using sockit_test::FdLeakCheck;

namespace {

bool sigpipe_is_default() {
    struct sigaction current;
    std::memset(&current, 0, sizeof current);
    ::sigaction(SIGPIPE, nullptr, &current);
    return current.sa_handler == SIG_DFL;
}

} // namespace

// Catches sendmsg(2) without MSG_NOSIGNAL (the mutant gather-without-nosignal): a gathered
// send_all goes out through sendmsg, not send, and must not raise SIGPIPE either.
TEST_CASE("a gathered send_all to a closed peer throws, never raises SIGPIPE", "[tcp][gather]") {
    FdLeakCheck leaks;
    REQUIRE(sigpipe_is_default());
    auto pair = sockit_test::tcp_pair();
    pair.second.close();
    const std::string header(16, 'h');
    const std::string body(4096, 'b');
    bool thrown = false;
    for (int i = 0; i < 100 && !thrown; ++i) { // EPIPE comes on a later send, after the peer's reset
        try {
            pair.first.send_all({sockit::buffer(header), sockit::buffer(body)});
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

// Catches a send_all that does not move on after a partial send (the mutant
// send-all-no-advance). A blocking send(2) on a stream hands the kernel everything before it
// returns, so only a socket with a timeout (each send made with MSG_DONTWAIT) sees partial
// sends here: a small send buffer and a reader taking small pieces make sure of many.
TEST_CASE("send_all with a timeout loops over partial sends and every byte arrives in order", "[tcp][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    std::string data(4u << 20, '\0');
    std::uint32_t x = 12345;
    for (char& c : data) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    pair.first.set_option(sockit::SendBufferSize(64 * 1024));
    pair.first.set_timeout(std::chrono::seconds(10));
    pair.second.set_timeout(std::chrono::seconds(10)); // the reader ends even if the sender fails
    std::string got;
    got.reserve(data.size());
    {
        sockit_test::JoinedThread reader([&] {
            char buf[1500];
            std::error_code ec;
            for (;;) {
                std::size_t n = pair.second.recv(buf, sizeof buf, ec);
                if (ec || n == 0) return;
                got.append(buf, n);
            }
        });
        // A first send of it all, with the reader not keeping up, is partial: the premise.
        std::error_code ec;
        std::size_t first = pair.first.send(data.data(), data.size(), ec);
        REQUIRE_FALSE(ec);
        CHECK(first < data.size());
        pair.first.send_all(data.data() + first, data.size() - first);
        pair.first.shutdown(sockit::Shutdown::write);
    }
    CHECK(got.size() == data.size());
    CHECK(got == data);
}
