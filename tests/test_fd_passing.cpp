// SPDX-License-Identifier: MIT
// Passing descriptors over Unix-domain sockets (SCM_RIGHTS): close-on-exec, never leaked.
#include "support.hpp"

#include <string>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using sockit::Errc;

namespace {
/// A pipe whose ends are closed at the end of the scope.
struct Pipe {
    sockit::Descriptor read_end, write_end;
    Pipe() {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        read_end = sockit::Descriptor(fds[0]);
        write_end = sockit::Descriptor(fds[1]);
    }
};

/// An abstract name nobody else uses.
sockit::UnixAddress unique_name(const char* what) {
    static int counter = 0;
    return sockit::UnixAddress::abstract(std::string("sockit-fds-") + what + "-" + std::to_string(::getpid()) + "-" +
                                         std::to_string(++counter));
}

bool cloexec(int fd) {
    std::error_code ec;
    bool on = sockit::detail::ops::close_on_exec(fd, ec);
    return !ec && on;
}
} // namespace

TEST_CASE("send_fds passes a working descriptor, received close-on-exec", "[unix][fds]") {
    sockit_test::FdLeakCheck fds;
    auto [a, b] = sockit::stream_pair();
    Pipe pipe;
    CHECK(a.send_fds("P", {pipe.write_end.native_handle()}) == 1);
    b.set_timeout(5s);
    char tag;
    auto got = b.recv_fds(&tag, 1, 4);
    CHECK(got.size == 1);
    CHECK(tag == 'P');
    REQUIRE(got.fds.size() == 1);
    CHECK(got.fds[0].native_handle() != pipe.write_end.native_handle());
    CHECK(cloexec(got.fds[0].native_handle()));
    pipe.write_end.close(); // only the received copy is left
    REQUIRE(::write(got.fds[0].native_handle(), "via", 3) == 3);
    char buf[3];
    REQUIRE(::read(pipe.read_end.native_handle(), buf, 3) == 3);
    CHECK(std::string(buf, 3) == "via");
}

TEST_CASE("A socket passed over a socket keeps working", "[unix][fds]") {
    sockit_test::FdLeakCheck fds;
    auto [a, b] = sockit::stream_pair();
    auto [left, right] = sockit::stream_pair();
    a.send_fds("s", {right.native_handle()});
    right.close();
    char tag;
    b.set_timeout(5s);
    auto got = b.recv_fds(&tag, 1, 1);
    REQUIRE(got.fds.size() == 1);
    sockit::UnixStream adopted(sockit::Socket::from_fd(got.fds[0].release()));
    left.send_all("through");
    adopted.set_timeout(5s);
    char buf[7];
    adopted.recv_exactly(buf, 7);
    CHECK(std::string(buf, 7) == "through");
}

TEST_CASE("Too many descriptors are reported and none is leaked", "[unix][fds][errors]") {
    sockit_test::FdLeakCheck fds;
    auto [a, b] = sockit::stream_pair();
    Pipe p1, p2, p3;
    int three[] = {p1.read_end.native_handle(), p2.read_end.native_handle(), p3.read_end.native_handle()};
    b.set_timeout(5s);
    char buf[8];
    SECTION("error_code form") {
        std::error_code ec;
        CHECK(a.send_fds("abc", 3, three, 3, ec) == 3);
        REQUIRE_FALSE(ec);
        auto got = b.recv_fds(buf, sizeof buf, 1, ec);
        CHECK(ec == Errc::descriptors_truncated);
        CHECK(ec == std::errc::message_size);
        CHECK(got.fds.empty());
        CHECK(got.size == 3); // the data is delivered all the same
        CHECK(std::string(buf, 3) == "abc");
    }
    SECTION("no room at all") {
        a.send_fds("d", three, 2);
        std::error_code ec;
        auto got = b.recv_fds(buf, sizeof buf, 0, ec);
        CHECK(ec == Errc::descriptors_truncated);
        CHECK(got.fds.empty());
    }
    SECTION("throwing form") {
        a.send_fds("e", three, 3);
        CHECK_THROWS_WITH(b.recv_fds(buf, sizeof buf, 2),
                          sockit_test::contains("recv_fds (room for 2 descriptors): more descriptors were sent"));
    }
}

TEST_CASE("send_fds rejects bad arguments", "[unix][fds][errors]") {
    sockit_test::FdLeakCheck fds;
    auto [a, b] = sockit::stream_pair();
    Pipe p;
    std::error_code ec;
    int fd = p.read_end.native_handle();
    a.send_fds("", 0, &fd, 1, ec);
    CHECK(ec == Errc::invalid_argument);
    std::vector<int> many(254, fd);
    a.send_fds("x", 1, many.data(), many.size(), ec);
    CHECK(ec == Errc::invalid_argument);
    int closed = 1000000;
    a.send_fds("x", 1, &closed, 1, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_THROWS_WITH(a.send_fds("x", {closed}), sockit_test::contains("send_fds (1 descriptors)"));
}

TEST_CASE("Datagrams carry descriptors too", "[unix][fds][datagram]") {
    sockit_test::FdLeakCheck fds;
    auto [x, y] = sockit::datagram_pair();
    Pipe p;
    x.send_fds("dgram", {p.write_end.native_handle(), p.read_end.native_handle()});
    y.set_timeout(5s);
    char buf[16];
    auto got = y.recv_fds(buf, sizeof buf, 2);
    CHECK(std::string(buf, got.size) == "dgram");
    REQUIRE(got.fds.size() == 2);
    CHECK(cloexec(got.fds[0].native_handle()));
    CHECK(cloexec(got.fds[1].native_handle()));
    SECTION("a truncated datagram closes its descriptors") {
        x.send_fds("long datagram", {p.write_end.native_handle()});
        std::error_code ec;
        auto cut = y.recv_fds(buf, 4, 2, ec);
        CHECK(ec == Errc::datagram_truncated);
        CHECK(cut.fds.empty());
    }
}

TEST_CASE("UnixDatagram::send_fds to an address; the receiver learns the sender", "[unix][fds][datagram]") {
    sockit_test::FdLeakCheck fds;
    auto receiver_name = unique_name("receiver");
    auto sender_name = unique_name("sender");
    sockit::UnixDatagram receiver(receiver_name);
    sockit::UnixDatagram sender(sender_name);
    receiver.set_timeout(5s);
    Pipe p;
    char buf[16];

    CHECK(sender.send_fds("to", {p.write_end.native_handle()}, receiver_name) == 2);
    auto got = receiver.recv_fds(buf, sizeof buf, 2);
    CHECK(std::string(buf, got.size) == "to");
    REQUIRE(got.fds.size() == 1);
    CHECK(cloexec(got.fds[0].native_handle()));
    CHECK(got.sender == sender_name);

    SECTION("error_code form; an unbound sender is unnamed") {
        std::error_code ec;
        auto anonymous = sockit::UnixDatagram::open(ec);
        REQUIRE_FALSE(ec);
        CHECK(anonymous.send_fds("anon", {p.read_end.native_handle()}, receiver_name, ec) == 4);
        REQUIRE_FALSE(ec);
        got = receiver.recv_fds(buf, sizeof buf, 2, ec);
        REQUIRE_FALSE(ec);
        CHECK(std::string(buf, got.size) == "anon");
        CHECK(got.fds.size() == 1);
        CHECK(got.sender.is_unnamed());
    }
    SECTION("nobody at the address: the error names it") {
        auto nobody = unique_name("nobody");
        std::error_code ec;
        sender.send_fds("x", {p.read_end.native_handle()}, nobody, ec);
        CHECK(ec == std::errc::connection_refused);
        CHECK_THROWS_WITH(sender.send_fds("x", {p.read_end.native_handle()}, nobody),
                          sockit_test::contains("send_fds @" + nobody.path()));
    }
    SECTION("to the connected peer, without throwing") {
        sender.connect(receiver_name);
        std::error_code ec;
        CHECK(sender.send_fds("peer", {p.read_end.native_handle()}, ec) == 4);
        REQUIRE_FALSE(ec);
        got = receiver.recv_fds(buf, sizeof buf, 2);
        CHECK(std::string(buf, got.size) == "peer");
        CHECK(got.sender == sender_name);
        CHECK(sender.send_to("again", receiver_name, ec) == 5);
        CHECK_FALSE(ec);
    }
}

TEST_CASE("UnixStream::send_fds has an error_code form for each throwing form", "[unix][fds]") {
    sockit_test::FdLeakCheck fds;
    auto [a, b] = sockit::stream_pair();
    Pipe p;
    b.set_timeout(5s);
    std::error_code ec;
    int both[] = {p.read_end.native_handle(), p.write_end.native_handle()};
    CHECK(a.send_fds("1", both, 2, ec) == 1);
    REQUIRE_FALSE(ec);
    CHECK(a.send_fds("2", {p.read_end.native_handle()}, ec) == 1);
    REQUIRE_FALSE(ec);
    char tag;
    CHECK(b.recv_fds(&tag, 1, 4).fds.size() == 2);
    CHECK(b.recv_fds(&tag, 1, 4).fds.size() == 1);
    a.send_fds("", {p.read_end.native_handle()}, ec);
    CHECK(ec == Errc::invalid_argument); // a stream needs data to carry descriptors
}
