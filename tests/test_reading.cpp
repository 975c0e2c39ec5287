// SPDX-License-Identifier: MIT
// recv_exactly and recv_until: whole messages from a byte stream, with limits and one deadline.
#include "support.hpp"

#include <atomic>
#include <string>

using namespace std::chrono_literals;
using sockit::Errc;

TEST_CASE("recv_exactly gathers short reads into one message", "[tcp][reading]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    std::string message(200000, 'm');
    for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 23);
    sockit_test::JoinedThread writer([&] {
        for (std::size_t i = 0; i < message.size(); i += 777) client.send_all(message.substr(i, 777));
    });
    std::string got(message.size(), '\0');
    server.set_timeout(5s);
    server.recv_exactly(&got[0], got.size());
    writer.join();
    CHECK(got == message);
}

TEST_CASE("recv_exactly tells end of stream from errors", "[tcp][reading][errors]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    client.send_all("12345");
    client.close();
    char buf[10];
    std::error_code ec;
    CHECK(server.recv_exactly(buf, sizeof buf, ec) == 5);
    CHECK(ec == Errc::end_of_stream);
    CHECK_FALSE(ec == std::errc::timed_out);
    CHECK(std::string(buf, 5) == "12345");
}

TEST_CASE("recv_exactly's timeout is one deadline for the whole call", "[tcp][reading][timeout]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    server.set_timeout(300ms);
    std::atomic<bool> stop{false};
    // A byte every 100 ms: each recv succeeds within the timeout, the whole call does not.
    sockit_test::JoinedThread trickle([&] {
        for (int i = 0; i < 20 && !stop; ++i) {
            client.send_all("x");
            std::this_thread::sleep_for(100ms); // the pace of a slow peer, not synchronisation
        }
    });
    char buf[20];
    std::error_code ec;
    auto took = sockit_test::elapsed([&] { server.recv_exactly(buf, sizeof buf, ec); });
    stop = true;
    CHECK(ec == std::errc::timed_out);
    CHECK(took >= 250ms);
    CHECK(took < 1500ms);
    CHECK_THROWS_AS(server.recv_exactly(buf, sizeof buf), sockit::TimeoutError);
}

TEST_CASE("recv_until returns one delimited message and leaves the rest", "[tcp][reading]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    server.set_timeout(5s);
    SECTION("several lines in one segment") {
        client.send_all("first\nsecond\nthird");
        CHECK(server.recv_until("\n", 100) == "first\n");
        CHECK(server.recv_until("\n", 100) == "second\n");
        client.send_all(" part\r\n\r\nbody");
        CHECK(server.recv_until("\r\n\r\n", 100) == "third part\r\n\r\n");
        char rest[4];
        server.recv_exactly(rest, 4);
        CHECK(std::string(rest, 4) == "body");
    }
    SECTION("a delimiter split across two segments") {
        sockit_test::JoinedThread writer([&] {
            client.send_all("head\r");
            std::this_thread::sleep_for(50ms); // makes two segments likely; the result does not depend on it
            client.send_all("\nnext");
        });
        CHECK(server.recv_until("\r\n", 100) == "head\r\n");
        writer.join();
        char rest[4];
        server.recv_exactly(rest, 4);
        CHECK(std::string(rest, 4) == "next");
    }
}

TEST_CASE("recv_until stops at its limit and at end of stream", "[tcp][reading][errors]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    server.set_timeout(5s);
    client.send_all(std::string(5000, 'z'));
    std::error_code ec;
    std::string got = server.recv_until("\n", 1000, ec);
    CHECK(ec == Errc::limit_exceeded);
    CHECK(got.size() == 1000);
    CHECK_THROWS_WITH(server.recv_until("\n", 1000), sockit_test::contains("recv_until"));
    client.send_all("tail");
    client.shutdown(sockit::Shutdown::write);
    std::string rest;
    for (;;) {
        std::string part = server.recv_until("\n", 10000, ec);
        rest += part;
        if (ec) break;
    }
    CHECK(ec == Errc::end_of_stream);
    CHECK(rest == std::string(3000, 'z') + "tail");
    CHECK(server.recv_until("\n", 10, ec).empty());
    CHECK(ec == Errc::end_of_stream);
    server.recv_until("", 10, ec);
    CHECK(ec == Errc::invalid_argument);
}

TEST_CASE("the throwing recv_until hands over every byte it took", "[tcp][reading][errors]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    auto& client = pair.first;
    auto& server = pair.second;
    SECTION("a timeout part-way through a line") {
        server.set_timeout(150ms);
        client.send_all("GET /ind");
        std::string taken;
        try {
            server.recv_until("\n", 1024);
            FAIL("recv_until returned without a delimiter");
        } catch (const sockit::TimeoutError& e) {
            taken = e.received();
            CHECK(e.transferred() == 8);
            CHECK_THAT(e.what(), sockit_test::contains("8 bytes received"));
        }
        CHECK(taken == "GET /ind");
        client.send_all("ex.html\n");
        server.set_timeout(5s);
        CHECK(taken + server.recv_until("\n", 1024) == "GET /index.html\n");
    }
    SECTION("the limit: named as a limit, not as a total") {
        server.set_timeout(5s);
        client.send_all(std::string(1500, 'z'));
        try {
            server.recv_until("\n", 1000);
            FAIL("recv_until returned past its limit");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == Errc::limit_exceeded);
            CHECK(e.received() == std::string(1000, 'z'));
            CHECK_THAT(e.what(), sockit_test::contains("limit of 1000 bytes"));
            CHECK_THAT(e.what(), !sockit_test::contains("received 1000 of 1000"));
        }
    }
    SECTION("end of stream") {
        server.set_timeout(5s);
        client.send_all("tail");
        client.shutdown(sockit::Shutdown::write);
        try {
            server.recv_until("\n", 100);
            FAIL("recv_until returned at end of stream");
        } catch (const sockit::Error& e) {
            CHECK(e.code() == Errc::end_of_stream);
            CHECK(e.received() == "tail");
        }
    }
}

TEST_CASE("the throwing send_all and recv_exactly say how much got through", "[tcp][reading][errors]") {
    sockit_test::FdLeakCheck fds;
    auto pair = sockit_test::tcp_pair();
    pair.second.set_timeout(150ms);
    pair.first.send_all("abc");
    char buf[10];
    try {
        pair.second.recv_exactly(buf, sizeof buf);
        FAIL("recv_exactly returned without its 10 bytes");
    } catch (const sockit::TimeoutError& e) {
        CHECK(e.transferred() == 3);
        CHECK(std::string(buf, 3) == "abc");
    }
}
