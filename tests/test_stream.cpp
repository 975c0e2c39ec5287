// SPDX-License-Identifier: MIT
// SocketStream: line I/O with std::getline and operator<<, flushing, large
// writes, end of stream, timeouts and failures, UTF-8 text.
#include "support.hpp"

#include <string>
#include <vector>

using namespace std::chrono_literals;
using sockit::SocketStream;
using sockit::TcpStream;
using sockit_test::contains;
using sockit_test::FdLeakCheck;
using sockit_test::JoinedThread;

namespace {

/// Receives until the peer closes (bounded by a timeout on `s`).
std::string recv_all(TcpStream& s) {
    s.set_timeout(5s);
    std::string out;
    char buf[4096];
    std::error_code ec;
    for (;;) {
        std::size_t n = s.recv(buf, sizeof buf, ec);
        if (ec || n == 0) return out;
        out.append(buf, n);
    }
}

} // namespace

TEST_CASE("SocketStream line I/O both ways", "[stream]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.first.set_timeout(5s);
    pair.second.set_timeout(5s);
    std::vector<std::string> server_got;
    {
        SocketStream client(std::move(pair.first));
        JoinedThread server([&] {
            SocketStream io(std::move(pair.second));
            std::string line;
            while (std::getline(io, line)) {
                server_got.push_back(line);
                io << "echo: " << line << ' ' << line.size() << '\n' << std::flush;
            }
        });
        std::string reply;
        client << "first line\n" << std::flush;
        REQUIRE(std::getline(client, reply));
        CHECK(reply == "echo: first line 10");
        client << "second" << std::endl;
        REQUIRE(std::getline(client, reply));
        CHECK(reply == "echo: second 6");
        client << "你好，世界" << '\n' << std::flush; // UTF-8 text is bytes like any other
        REQUIRE(std::getline(client, reply));
        CHECK(reply == "echo: 你好，世界 15");
        client.socket().shutdown(sockit::Shutdown::write);
        CHECK_FALSE(std::getline(client, reply));
        CHECK(client.eof());
        CHECK_FALSE(client.bad());
        CHECK_FALSE(client.error());
    }
    CHECK(server_got == std::vector<std::string>{"first line", "second", "你好，世界"});
}

TEST_CASE("SocketStream output", "[stream]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    SECTION("nothing is sent before flush; flush sends everything") {
        SocketStream io(std::move(pair.first));
        io << "abc" << 42;
        char buf[16];
        std::error_code ec;
        pair.second.set_blocking(false);
        pair.second.recv(buf, sizeof buf, ec);
        CHECK(ec == std::errc::operation_would_block); // still buffered
        io.flush();
        CHECK(io.good());
        pair.second.set_timeout(5s);
        std::string got;
        while (got.size() < 5) {
            std::size_t n = pair.second.recv(buf, sizeof buf);
            REQUIRE(n > 0);
            got.append(buf, n);
        }
        CHECK(got == "abc42");
    }
    SECTION("writes larger than the buffer arrive intact, in order") {
        std::string big(1u << 20, '\0');
        for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
        std::string expected;
        std::string got;
        {
            JoinedThread reader([&] { got = recv_all(pair.second); });
            SocketStream io(std::move(pair.first), 64); // a tiny buffer
            for (int i = 0; i < 1000; ++i) {
                io << i << ',';
                expected += std::to_string(i) + ',';
            }
            io << big;
            expected += big;
            io << "tail";
            expected += "tail";
            io.flush();
            CHECK(io.good());
            io.socket().shutdown(sockit::Shutdown::write);
        }
        CHECK(got.size() == expected.size());
        CHECK(got == expected);
    }
    SECTION("the destructor sends what is still buffered") {
        std::string got;
        {
            JoinedThread reader([&] { got = recv_all(pair.second); });
            SocketStream io(std::move(pair.first));
            io << "unflushed";
        }
        CHECK(got == "unflushed");
    }
}

TEST_CASE("SocketStream sends pending output before it reads", "[stream]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.first.set_timeout(2s);
    pair.second.set_timeout(2s);
    std::string request;
    JoinedThread server([&] {
        char buf[64];
        std::error_code ec;
        std::size_t n = pair.second.recv(buf, sizeof buf, ec); // times out if the request stays buffered
        request.assign(buf, n);
        pair.second.send_all("reply\n", ec);
    });
    SocketStream io(std::move(pair.first));
    io << "request\n"; // no flush
    std::string reply;
    CHECK(std::getline(io, reply));
    CHECK(reply == "reply");
    server.join();
    CHECK(request == "request\n");
}

TEST_CASE("SocketStream end of stream sets eofbit", "[stream]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.send_all("one\nlast without newline");
    pair.second.close();
    SocketStream io(std::move(pair.first));
    std::string line;
    REQUIRE(std::getline(io, line));
    CHECK(line == "one");
    REQUIRE(std::getline(io, line));
    CHECK(line == "last without newline");
    CHECK(io.eof());
    CHECK_FALSE(std::getline(io, line));
    CHECK_FALSE(io.bad());
    CHECK_FALSE(io.error());
}

TEST_CASE("SocketStream read timeout", "[stream][timeout]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.first.set_timeout(100ms);
    SocketStream io(std::move(pair.first));
    std::string line;
    SECTION("sets fail() and error()") {
        CHECK_FALSE(std::getline(io, line));
        CHECK(io.fail());
        CHECK(io.error() == std::errc::timed_out);
        SECTION("the stream works again after clear()") {
            io.clear();
            pair.second.send_all("late\n");
            REQUIRE(std::getline(io, line));
            CHECK(line == "late");
        }
    }
    SECTION("with exceptions(badbit), TimeoutError propagates") {
        io.exceptions(std::ios::badbit);
        try {
            std::getline(io, line);
            FAIL("getline returned");
        } catch (const sockit::TimeoutError& e) {
            CHECK_THAT(e.what(), contains("timed out"));
            CHECK_THAT(e.what(), contains("127.0.0.1:"));
        }
        CHECK(io.bad());
        CHECK(io.error() == std::errc::timed_out);
    }
}

TEST_CASE("SocketStream write to a closed peer fails the stream", "[stream]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.close();
    SocketStream io(std::move(pair.first), 1024);
    std::string chunk(4096, 'x');
    for (int i = 0; i < 100 && io.good(); ++i) io << chunk << std::flush;
    CHECK(io.bad());
    CHECK((io.error() == std::errc::broken_pipe || io.error() == std::errc::connection_reset));
}

TEST_CASE("SocketStream with exceptions(badbit) throws the write error", "[stream]") {
    FdLeakCheck leaks;
    auto pair = sockit_test::tcp_pair();
    pair.second.close();
    SocketStream io(std::move(pair.first), 1024);
    io.exceptions(std::ios::badbit);
    std::string chunk(4096, 'x');
    bool thrown = false;
    for (int i = 0; i < 100 && !thrown; ++i) {
        try {
            io << chunk << std::flush;
        } catch (const sockit::ConnectionError& e) {
            thrown = true;
            CHECK_THAT(e.what(), contains("SocketStream send 127.0.0.1:"));
        }
    }
    CHECK(thrown);
    CHECK(io.bad());
}
